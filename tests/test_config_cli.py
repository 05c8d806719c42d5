"""``sellerpulse config path|defaults|init|show`` as a user runs them: subprocesses in a private home."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from sellerpulse.core.config import load_config, loads_config


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment whose config, state and data directories live under tmp_path."""
    out = {k: v for k, v in os.environ.items() if k != "SELLERPULSE_CONFIG"}
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        out[name] = str(tmp_path / name.lower())
    (tmp_path / "work").mkdir()
    return out


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "config", *args],
        cwd=tmp_path / "work",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_path_reports_the_file_and_why(tmp_path: Path, env: dict[str, str]) -> None:
    result = cli(tmp_path, env, "path")
    assert result.returncode == 1
    assert "no config file found" in result.stdout
    user_file = tmp_path / "xdg_config_home" / "sellerpulse" / "sellerpulse.toml"
    assert f"config init` writes a starter file to {user_file}" in result.stdout

    local = tmp_path / "work" / "sellerpulse.toml"
    local.write_text("")
    result = cli(tmp_path, env, "path")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == str(local)
    assert "chosen: ./sellerpulse.toml in the current directory" in result.stdout

    named = tmp_path / "named.toml"
    named.write_text("")
    result = cli(tmp_path, {**env, "SELLERPULSE_CONFIG": str(named)}, "path")
    assert result.stdout.splitlines()[0] == str(named)
    assert "chosen: $SELLERPULSE_CONFIG" in result.stdout

    result = cli(tmp_path, env, "path", "--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 1
    assert "chosen: --config FILE (but it does not exist)" in result.stdout


def test_init_writes_a_private_commented_file_that_loads(tmp_path: Path, env: dict[str, str]) -> None:
    result = cli(tmp_path, env, "init")
    assert result.returncode == 0, result.stderr
    target = tmp_path / "xdg_config_home" / "sellerpulse" / "sellerpulse.toml"
    assert str(target) in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    text = target.read_text()
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert len(comments) > 20
    assert "# [[sources]]" in text and "${SP_API_TOKEN}" in text
    config = load_config(target)
    assert config.general.refresh == 2.0 and config.general.profile == "amazon"
    assert config.warnings == []
    # the bare `sellerpulse config path` now finds it in the user config directory
    assert cli(tmp_path, env, "path").stdout.splitlines()[0] == str(target)


def test_init_examples_are_valid_once_uncommented(tmp_path: Path, env: dict[str, str]) -> None:
    target = tmp_path / "starter.toml"
    assert cli(tmp_path, env, "init", "--path", str(target)).returncode == 0
    lines = target.read_text().splitlines()
    code = [line[2:] if line.startswith("# [") or _is_example(line) else line for line in lines]
    config = loads_config(
        "\n".join(code), env={"SP_API_TOKEN": "t", "TEAM_WEBHOOK_URL": "https://h.invalid/x"}
    )
    assert [s["type"] for s in config.sources] == ["csv", "http"]
    assert config.profile_for("acme-us").metrics["odr"].lag_days == 14
    assert config.timezone_for("acme-us") == "America/New_York"
    assert config.keymap == {"pause": "p,space"}


def _is_example(line: str) -> bool:
    """A commented data line (``# key = value``), not prose."""
    body = line[2:] if line.startswith("# ") else ""
    return " = " in body and body.split(" = ")[0].replace("-", "").replace("_", "").replace(".", "").isalnum()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path, env: dict[str, str]) -> None:
    target = tmp_path / "mine.toml"
    target.write_text('[general]\ntimezone = "Asia/Tokyo"\n')
    result = cli(tmp_path, env, "init", "--path", str(target))
    assert result.returncode == 64
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert target.read_text() == '[general]\ntimezone = "Asia/Tokyo"\n'
    assert cli(tmp_path, env, "init", "--path", str(target), "--force").returncode == 0
    assert "Asia/Tokyo" not in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_defaults_is_commented_toml_with_the_documented_defaults(tmp_path: Path, env: dict[str, str]) -> None:
    result = cli(tmp_path, env, "defaults")
    assert result.returncode == 0
    data = tomllib.loads(result.stdout)
    # the values CONFIG.md documents
    assert data["general"] == {
        "profile": "amazon",
        "timezone": "UTC",
        "refresh": 2.0,
        "log_level": "info",
        "max_accounts": 1000,
    }
    assert "# seconds between UI refreshes (floor 0.5)" in result.stdout
    assert "# lag_days = 14" in result.stdout  # the built-in profile's ODR lag, overridable
    loads_config(result.stdout)


def test_show_masks_secrets(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "secret.toml"
    config.write_text(
        '[general]\nrefresh = 3\n\n[[sources]]\ntype = "http"\nname = "orders"\n'
        'url = "https://example.invalid/orders"\nheaders = { "x-amz-access-token" = "${SP_API_TOKEN}" }\n\n'
        '[[sinks]]\ntype = "webhook"\nurl = "${TEAM_WEBHOOK_URL}"\n'
    )
    config.chmod(0o600)
    secrets = {
        "SP_API_TOKEN": "Atza|very-secret-token",
        "TEAM_WEBHOOK_URL": "https://hooks.invalid/T1/B2/XyZ",
    }
    result = cli(tmp_path, {**env, **secrets}, "show", "--config", str(config))
    assert result.returncode == 0, result.stderr
    for value in secrets.values():
        assert value not in result.stdout + result.stderr
    shown = tomllib.loads(result.stdout)
    assert shown["general"]["refresh"] == 3.0
    assert shown["sources"][0]["headers"]["x-amz-access-token"] == "***"
    assert shown["sinks"][0]["url"] == "***"
    assert shown["sources"][0]["url"] == "https://example.invalid/orders"


def test_show_prints_hostile_values_inert_and_still_the_same_toml(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A config value holding a bidi override, a line separator or a C1 control (a pasted name) is shown
    escaped, never raw, and the printed TOML still reads back to the same value."""
    name = "shop\u202egnp.exe\u2028x\x9b31m"
    config = tmp_path / "hostile.toml"
    config.write_text(f'[accounts.a1]\nname = "{name}"\n', encoding="utf-8")
    result = cli(tmp_path, env, "show", "--config", str(config))
    assert result.returncode == 0, result.stderr
    for raw in ("\u202e", "\u2028", "\x9b"):
        assert raw not in result.stdout
    assert "\\u202e" in result.stdout
    assert tomllib.loads(result.stdout)["accounts"]["a1"]["name"] == name


def test_show_reports_config_errors_with_line(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[general]\ntimezone = "UTC"\nrefersh = 2\n')
    result = cli(tmp_path, env, "show", "--config", str(config))
    assert result.returncode == 64
    assert f"{config}, line 3: unknown key 'refersh' in [general] (did you mean 'refresh'?)" in result.stderr
    assert "Traceback" not in result.stderr


def test_show_warns_about_a_shared_secret_file(tmp_path: Path, env: dict[str, str]) -> None:
    config = tmp_path / "shared.toml"
    config.write_text('[[sinks]]\ntype = "webhook"\nurl = "${HOOK}"\n')
    config.chmod(0o644)
    result = cli(tmp_path, {**env, "HOOK": "https://h.invalid/s3cr3t"}, "show", "--config", str(config))
    assert result.returncode == 0
    assert "readable by other users" in result.stderr
    assert "s3cr3t" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ('[[sources]]\ntype = "ftp"\nname = "x"\n', "unknown source type 'ftp'"),
        ('[[sources]]\ntype = "csv"\nname = "x"\npath = "e.csv"\nfollw = true\n', "did you mean 'follow'"),
        ('[[sources]]\ntype = "csv"\npath = "e.csv"\n[[sinks]]\ntype = "pager"\nname = "p"\n', "'pager'"),
    ],
    ids=["source-type", "source-option", "sink-type"],
)
def test_show_rejects_what_run_rejects(tmp_path: Path, env: dict[str, str], table: str, reason: str) -> None:
    config = tmp_path / "plugins.toml"
    config.write_text(table)
    config.chmod(0o600)
    shown = cli(tmp_path, env, "show", "--config", str(config))
    assert shown.returncode == 64, shown.stdout
    assert reason in shown.stderr and shown.stdout == ""
    started = subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--config", str(config)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode == 64 and reason in started.stderr
