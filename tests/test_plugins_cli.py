"""``sellerpulse plugins`` as a subprocess: JSON listing, ``--describe``, and a broken installed plugin
that is a warning while the command still works."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-m", "sellerpulse.tui.cli", "plugins"]


def run(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SELLERPULSE_")}
    env.update(env_extra or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=60)


def test_plugins_json_lists_builtin_registrations():
    result = run("--json", env_extra={"SELLERPULSE_LOAD_PLUGINS": ""})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    builtin = next(p for p in data["plugins"] if p["name"] == "builtin")
    assert builtin["builtin"] is True and builtin["module"] == "sellerpulse.plugins.builtin"
    assert builtin["hooks"] == ["register_profiles", "register_sinks", "register_sources"]
    assert "csv" in builtin["registers"]["sources"] and "csv" in data["sources"]
    assert "amazon" in data["profiles"]
    assert data["warnings"] == []


def test_describe_a_source_type_in_text_and_json():
    text = run("--describe", "csv")
    assert text.returncode == 0
    assert "path (path) [required]" in text.stdout
    assert 'format (str) [default "auto"; one of auto, events, amazon-orders' in text.stdout
    data = json.loads(run("--describe", "csv", "--json").stdout)
    assert data["kind"] == "source" and data["plugin"] == "builtin"
    assert [o["name"] for o in data["options"]][:3] == ["path", "follow", "format"]


def test_describe_an_unknown_name_suggests_and_fails():
    result = run("--describe", "cvs")
    assert result.returncode == 64
    assert "no source, sink or plugin named 'cvs'; did you mean 'csv'?" in result.stderr


def test_a_broken_installed_plugin_is_a_warning_not_a_crash(tmp_path: Path):
    dist = tmp_path / "sp_broken_dist-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sp-broken-dist\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[sellerpulse]\nbroken = sp_cli_broken_plugin\n")
    (tmp_path / "sp_cli_broken_plugin.py").write_text("import a_library_nobody_installed\n")
    result = run("--json", env_extra={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert "csv" in data["sources"]
    [warning] = data["warnings"]
    assert warning.startswith("plugin 'broken' (sp_cli_broken_plugin) failed to import: ModuleNotFoundError")
    assert "a_library_nobody_installed" in warning
    text = run(env_extra={"PYTHONPATH": str(tmp_path)})
    assert text.returncode == 0 and "warnings:\n  plugin 'broken'" in text.stdout
