"""The dashboard's command lines as a user runs them (subprocesses, a throwaway home)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SELLERPULSE", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_DATA_HOME=str(home / ".local"))
    return subprocess.run([sys.executable, "-m", "sellerpulse.tui.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_bare_sellerpulse_without_a_config_explains_how_to_start(tmp_path):
    result = run([], tmp_path, tmp_path)
    assert result.returncode == 64  # nothing to watch: a script calling it must not see success
    assert "no config found" in result.stderr and result.stdout == ""
    assert "sellerpulse demo" in result.stderr and "sellerpulse config init" in result.stderr


def test_run_without_sources_is_a_clear_error(tmp_path):
    config = tmp_path / "sellerpulse.toml"
    config.write_text("[general]\nrefresh = 1.0\n")
    result = run(["run", "--config", str(config)], tmp_path, tmp_path)
    assert result.returncode == 64
    assert "no [[sources]]" in result.stderr and "sellerpulse demo" in result.stderr
    assert f"{config}: no [[sources]] configured: edit that file's [[sources]] section" in result.stderr


def test_after_config_init_run_points_at_the_file_to_edit_and_init_agrees(tmp_path):
    written = tmp_path / "mine.toml"
    init = run(["config", "init", "--path", str(written)], tmp_path, tmp_path)
    assert init.returncode == 0, init.stderr
    started = run(["run", "--config", str(written)], tmp_path, tmp_path)
    assert started.returncode == 64
    assert f"{written}: no [[sources]] configured: edit that file's [[sources]] section" in started.stderr
    again = run(["config", "init", "--path", str(written)], tmp_path, tmp_path)
    assert again.returncode == 64
    assert f"{written} already exists: edit it (its [[sources]] section" in again.stderr


@pytest.mark.parametrize("args", [["--no-such-flag"], ["report", "--at"], ["nope"]])
def test_a_bad_command_line_exits_with_the_usage_status_of_every_command(tmp_path, args):
    result = run(args, tmp_path, tmp_path)
    assert result.returncode == 64, result.stderr
    assert "usage: sellerpulse" in result.stderr and "error:" in result.stderr


def test_demo_and_run_document_their_options(tmp_path):
    demo = run(["demo", "--help"], tmp_path, tmp_path)
    for option in ("--scenario", "--seed", "--speed", "--refresh", "--no-color", "--ascii"):
        assert option in demo.stdout
    assert "--config" in run(["run", "--help"], tmp_path, tmp_path).stdout


@pytest.mark.parametrize("command", ["demo", "run"])
def test_a_dashboard_whose_stdout_is_not_a_terminal_says_so_instead_of_drawing(tmp_path, command):
    config = tmp_path / "sellerpulse.toml"
    config.write_text('[[sources]]\ntype = "csv"\npath = "events.csv"\n')
    args = [command, "--no-state"] + (["--config", str(config)] if command == "run" else [])
    result = run(args, tmp_path, tmp_path)  # stdout is a pipe here
    assert result.returncode == 64
    assert result.stdout == ""  # not one escape code
    assert f"`sellerpulse {command}` draws a dashboard on a terminal and stdout is not one" in result.stderr
