"""``sellerpulse serve`` as a child process for the API tests: started on a free port of 127.0.0.1 in a
folder of its own (config, state, user directories), its URL read from the line it prints."""

from __future__ import annotations

import json
import queue
import select
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sellerpulse.core.api.stream import parse_sse
from state_fixtures import child_env

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# after the worked example's last event, so `report --at` and a serve holding every event agree
AT = "2026-12-03T00:00:00Z"

CONFIG = """
[general]
timezone = "Europe/Berlin"

[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.05
"""


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sellerpulse.tui.cli", "serve", "--config", "sellerpulse.toml", *args]


def start_serve(folder: Path, *args: str, state: str = "state.sqlite3") -> tuple[subprocess.Popen, str]:
    """A running serve and its URL (waits for the line it prints when it listens)."""
    child = subprocess.Popen(
        serve_command("--state", state, "--listen", "127.0.0.1:0", "--stream-interval", "0.1",
                      "--checkpoint-interval", "0.2", "--log-file", "serve.log", *args),
        cwd=folder, env=child_env(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], 60)
    line = child.stdout.readline() if ready else ""
    if not line.startswith("sellerpulse serve: http://"):
        child.kill()
        raise AssertionError(f"serve did not start: {line!r} {child.communicate()[1][-2000:]}")
    return child, line.split()[2]


def get(url: str, token: str | None = None, method: str = "GET", body: Any = None) -> tuple[int, Any]:
    """Status and decoded JSON (or text) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def wait_for(check, timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def stop(child: subprocess.Popen) -> tuple[int, str]:
    """SIGTERM, then the exit status and stderr."""
    child.terminate()
    _, err = child.communicate(timeout=30)
    return child.returncode, err


class StreamReader:
    """Reads ``/api/v1/stream`` on a thread of its own, as a view does; :meth:`next` gives the next
    ``(event, payload)``, ``None`` once the stream ended, or raises ``queue.Empty`` after ``timeout``."""

    def __init__(self, url: str, token: str | None = None) -> None:
        request = urllib.request.Request(url + "/api/v1/stream")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        self.response = urllib.request.urlopen(request, timeout=30)
        self.events: queue.Queue[tuple[str, dict] | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        block = ""
        try:
            while line := self.response.readline().decode():
                block += line
                if line == "\n":
                    for item in parse_sse(block):
                        self.events.put(item)
                    block = ""
        except (OSError, ValueError):
            pass
        self.events.put(None)

    def next(self, timeout: float) -> tuple[str, dict] | None:
        return self.events.get(timeout=timeout)
