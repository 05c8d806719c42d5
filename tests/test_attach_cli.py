"""``sellerpulse attach`` and a bare ``sellerpulse`` as a user runs them (child processes, a pseudo-
terminal for the dashboard): found through serve's serve file, refused clearly without a serve."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from attach_fixtures import Serve, seller, user_dirs
from sellerpulse.tui.cli import build_parser
from sellerpulse.tui.commands.common import EXIT_USAGE

CLI = [sys.executable, "-m", "sellerpulse.tui.cli"]


def test_attach_without_a_url_and_without_a_running_serve_says_how_to_start_one(tmp_path: Path) -> None:
    seller(tmp_path)
    result = subprocess.run(
        [*CLI, "attach", "--config", "sellerpulse.toml"],
        cwd=tmp_path, env=user_dirs(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == EXIT_USAGE
    assert "no serve is running for" in result.stderr and "sellerpulse serve" in result.stderr


def test_attach_with_an_unreadable_token_file_is_refused(tmp_path: Path) -> None:
    seller(tmp_path)
    result = subprocess.run(
        [*CLI, "attach", "http://127.0.0.1:9", "--token-file", str(tmp_path / "missing")],
        cwd=tmp_path, env=user_dirs(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == EXIT_USAGE
    assert "missing: cannot read the token" in result.stderr


def read_until(master: int, wanted: bytes, timeout: float, seen: bytearray) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                return False
            if wanted in seen:
                return True
    return False


@pytest.mark.slow
def test_a_bare_sellerpulse_attaches_to_the_serve_running_for_the_config(tmp_path: Path) -> None:
    seller(tmp_path)
    serve = Serve(tmp_path)
    master, slave = os.openpty()
    env = {**user_dirs(tmp_path), "TERM": "xterm-256color"}
    view = subprocess.Popen(CLI, cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True)  # fmt: skip
    os.close(slave)
    seen = bytearray()
    try:
        assert read_until(master, b"Order Defect Rate", 60, seen), bytes(seen[-2000:])
        assert read_until(master, b"orders", 30, seen)
        # a view of its own engine would go on; an attached one loses its serve and says so
        serve.kill()
        assert read_until(master, b"reconnecting", 30, seen), bytes(seen[-2000:])
    finally:
        os.write(master, b"q")
        deadline = time.monotonic() + 15
        while view.poll() is None and time.monotonic() < deadline:
            read_until(master, b"\0never", 0.2, seen)  # keep reading: a full terminal blocks its writer
        if view.poll() is None:
            os.killpg(view.pid, signal.SIGKILL)
            view.wait()
        os.close(master)
        serve.stop()
    assert view.returncode == 0


def test_web_tabs_are_read_only_when_the_web_dashboard_listens_beyond_loopback() -> None:
    from sellerpulse.tui.web import tab_command

    url = "http://127.0.0.1:8710"
    for host in ("127.0.0.1", "::1", "localhost"):
        assert tab_command(url, host).split()[-2:] == ["attach", url]
    for host in ("0.0.0.0", "10.0.0.5", "dashboard.example"):
        assert tab_command(url, host).split()[-3:] == ["attach", url, "--read-only"]
    parsed = build_parser().parse_args(["attach", url, "--read-only"])
    assert parsed.read_only and parsed.url == url


@pytest.mark.parametrize("url", ["127.0.0.1:8710", "ftp://127.0.0.1:8710", "http://", "http://[::1"])
def test_attach_to_something_that_is_not_a_serve_address_is_refused_with_the_reason(
    tmp_path: Path, url: str
) -> None:
    result = subprocess.run(
        [*CLI, "attach", url],
        cwd=tmp_path,
        env=user_dirs(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == EXIT_USAGE
    assert f"error: {url!r}: " in result.stderr
