"""A real ``sellerpulse serve`` in a child process for the attach tests: a late-shipping seller's
recent events in a followed CSV file (so the ``late-shipping`` rule fires), its own user directories
(token and serve file in the test's folder), stopped or killed on demand and started again on the same
port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from sellerpulse.core.clock import SystemClock
from sellerpulse.core.timeutil import US_PER_DAY
from state_fixtures import history, write_events

CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.05

[[sinks]]
type = "log"
name = "file"
path = "alerts.jsonl"

[[alerts]]
name = "late-shipping"
metric = "lsr_10d"
above = "0.001"
for = "0s"
sinks = ["file"]
"""

URL = re.compile(r"sellerpulse serve: (http://\S+) \(token in (.+)\)")


def user_dirs(folder: Path) -> dict[str, str]:
    """The environment of a process that keeps its token, serve file and state under ``folder``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"),
    }  # fmt: skip


def seller(folder: Path, days: int = 20) -> None:
    """The config and the events of a seller who ships late, ending now."""
    write_events(
        folder / "events.csv",
        history(days, orders_per_day=6, start=SystemClock().now() - (days + 1) * US_PER_DAY),
    )
    (folder / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")


class Serve:
    """``sellerpulse serve`` on 127.0.0.1 in ``folder`` (which holds the config and events)."""

    def __init__(self, folder: Path, port: int = 0, extra: tuple[str, ...] = ()) -> None:
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sellerpulse.tui.cli", "serve", "--config", "sellerpulse.toml",
             "--listen", f"127.0.0.1:{port}", "--state", "state.sqlite3", "--log-file", "serve.log", *extra],
            cwd=folder, env=user_dirs(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        line = self.process.stdout.readline() if self.process.stdout else ""
        found = URL.search(line)
        if found is None:
            self.process.kill()
            raise AssertionError(f"serve did not start: {line!r} {self.process.stderr.read()[-2000:]}")
        self.url, self.token_file = found.group(1), Path(found.group(2))
        self.port = int(self.url.rsplit(":", 1)[1])

    @property
    def token(self) -> str:
        return self.token_file.read_text(encoding="ascii").strip()

    def kill(self) -> None:
        """``kill -9``: no clean exit, no serve file removed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def wait_for(condition, timeout: float = 15.0, step: float = 0.05) -> bool:
    """Poll ``condition`` until it is true or ``timeout`` seconds pass; whether it became true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
