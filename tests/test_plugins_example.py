"""The example third-party plugin (``examples/plugin-jsondir``): tested in process with the fixtures
the project ships, and installed into a fresh virtual environment where ``sellerpulse plugins`` sees it
and a config naming it is read through the runtime."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest
from sellerpulse.plugins.testing import check_source_contract, collect, make_source, plugin_registered

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "plugin-jsondir"


@pytest.fixture
def jsondir(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE))
    module = importlib.import_module("sellerpulse_jsondir")
    try:
        yield module
    finally:
        sys.modules.pop("sellerpulse_jsondir", None)


def event(n: int) -> dict[str, str]:
    return {
        "ts": f"2026-11-02T10:{n:02d}:00Z",
        "kind": "order_placed",
        "order_id": f"J{n}",
        "account": "json-shop",
    }


def write_inbox(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "2026-11-02T10.json").write_text(json.dumps([event(1), event(2)]))
    (folder / "2026-11-02T11.jsonl").write_text(json.dumps(event(3)) + "\n{not json\n")
    (folder / "notes.txt").write_text("not matched by the pattern")


def test_example_registers_through_the_hook_and_keeps_the_contract(jsondir, tmp_path):
    with plugin_registered(jsondir, name="jsondir") as plugins:
        cls = plugins.source_class("jsondir")
        assert plugins.describe_type("jsondir")["plugin"] == "jsondir"
    write_inbox(tmp_path / "inbox")
    batch = check_source_contract(cls, {"path": str(tmp_path / "inbox")})
    assert [e.order_id for e in batch.events] == ["J1", "J2", "J3"]
    assert [(r.position, r.reason) for r in batch.rejections] == [
        ("2026-11-02T11.jsonl line 2", "malformed JSON: Expecting property name enclosed in double quotes")
    ]


async def test_example_follows_new_files(jsondir, tmp_path):
    inbox = tmp_path / "inbox"
    write_inbox(inbox)
    source = make_source(jsondir.JsonDirSource, {"path": str(inbox), "follow": True, "poll_interval": 0.02})

    seen = await collect(source, follow=True, until=lambda merged: len(merged.events) == 3, timeout=3)
    assert len(seen.events) == 3
    (inbox / "2026-11-02T12.json").write_text(json.dumps([event(4)]))
    more = await collect(source, follow=True, until=lambda merged: bool(merged.events), timeout=3)
    assert [e.order_id for e in more.events] == ["J4"]
    assert source.position() == {"last_file": "2026-11-02T12.json"}


@pytest.mark.slow
def test_installed_into_a_fresh_venv_it_is_listed_and_read_from_config(tmp_path):
    pytest.importorskip(
        "wheel", reason="building the example offline needs the 'wheel' package (setuptools < 70.1)"
    )
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True
    )
    python = venv / "bin" / "python"
    # the dev environment (sellerpulse itself, pip, setuptools) is visible from the new venv, the plugin is not
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    dev_site = sysconfig.get_paths()["purelib"]
    Path(purelib, "sellerpulse-dev.pth").write_text(f"import site; site.addsitedir({dev_site!r})\n")
    source = tmp_path / "plugin-src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))

    def listed() -> dict:
        result = subprocess.run(
            [str(python), "-m", "sellerpulse.tui.cli", "plugins", "--json"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert "jsondir" not in listed()["sources"]
    install = [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(source)]
    subprocess.run(install, check=True, capture_output=True, timeout=180)
    data = listed()
    plugin = next(p for p in data["plugins"] if p["name"] == "jsondir")
    assert plugin == {"name": "jsondir", "module": "sellerpulse_jsondir", "version": "0.2.0", "builtin": False,
                      "hooks": ["register_sources"], "registers": {"sources": ["jsondir"]}}  # fmt: skip

    write_inbox(tmp_path / "inbox")
    config = tmp_path / "sellerpulse.toml"
    config.write_text('[[sources]]\ntype = "jsondir"\nname = "exports"\npath = "inbox"\n')
    script = textwrap.dedent(f"""
        import json
        from sellerpulse.core.config import load_config
        from sellerpulse.core.engine import Engine
        from sellerpulse.core.plugins import load_plugins
        from sellerpulse.core.runtime import Runtime, sources_from_config
        from sellerpulse.core.timeutil import parse_instant

        config = load_config({str(config)!r})
        runtime = Runtime(Engine(), sources_from_config(config, load_plugins()))
        health = runtime.run_once()
        snapshot = runtime.snapshot(parse_instant("2026-11-03T00:00:00Z"))
        print(json.dumps({{"health": {{n: h.to_json() for n, h in health.items()}},
                          "accounts": sorted(snapshot.accounts), "rejected": snapshot.rejected}}))
    """)
    result = subprocess.run(
        [str(python), "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["health"]["exports"]["state"] == "done"
    assert out["health"]["exports"]["events"] == 3 and out["health"]["exports"]["rejected"] == 1
    assert out["accounts"] == ["json-shop"] and out["rejected"] == {"exports": 1}

    # and the command line: `sellerpulse report --config FILE` reads the source the config names
    report = subprocess.run(
        [str(python), "-m", "sellerpulse.tui.cli", "report", "--config", str(config), "--at", "2026-11-03T00:00:00Z",
         "--format", "json"],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert list(data["accounts"]) == ["json-shop"]
    assert data["rejected"] == [{"source": "exports", "count": 1}]


@pytest.mark.slow
def test_the_shipped_fixtures_work_in_a_plugin_test_suite(tmp_path):
    """What docs/plugins.md tells plugin authors to do, done in a separate pytest run."""
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["sellerpulse.plugins.testing"]\n')
    (tmp_path / "test_mine.py").write_text(
        textwrap.dedent("""
            import os

            def test_builtins_only(plugins):
                assert os.environ["SELLERPULSE_LOAD_PLUGINS"] == ""
                assert "csv" in plugins.sources()
        """)
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
