"""No secret leaks: a config whose HTTP sources carry tokens (``${NAME}`` in headers and query
parameters), run headless against the example API on 127.0.0.1 (which echoes a rejected token back in
its 403 body, as careless APIs do); the log file, stderr, the state file and the dashboard's screen are
then searched for the secret values and none is found."""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sellerpulse.core.config import load_config
from sellerpulse.core.engine import Engine
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.runtime import Runtime, sources_from_config
from sellerpulse.tui.app import make_app
from sellerpulse.tui.data import RuntimeData
from state_fixtures import history, write_events

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import http_server

GOOD = "tok-" + secrets.token_hex(12)
BAD = "tok-" + secrets.token_hex(12)
KEY = "key-" + secrets.token_hex(12)
SECRETS = (GOOD, BAD, KEY)


@pytest.fixture
def api(tmp_path: Path):
    data = tmp_path / "api.csv"
    write_events(data, history(20, seed=9))
    server = http_server.serve_in_thread(data, token=GOOD, page_size=40)
    yield server
    server.shutdown()
    server.server_close()


def write_config(folder: Path, url: str) -> Path:
    path = folder / "sellerpulse.toml"
    path.write_text(
        f"""
[[sources]]
type = "http"
name = "api"
url = "{url}/events"
interval = 0.2
headers = {{ "x-amz-access-token" = "${{SP_TOKEN}}" }}

[[sources]]
type = "http"
name = "stale-token"
url = "{url}/events"
interval = 0.2
max_retries = 0
headers = {{ "x-amz-access-token" = "${{OLD_TOKEN}}" }}
params = {{ api_key = "${{API_KEY}}" }}
""",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def secret_env(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "SP_TOKEN": GOOD,
        "OLD_TOKEN": BAD,
        "API_KEY": KEY,
    }


def leaks(blob: bytes) -> list[str]:
    return [value for value in SECRETS if value.encode() in blob]


@pytest.mark.slow
def test_headless_run_leaks_no_secret_into_log_stderr_or_state(tmp_path: Path, api) -> None:
    write_config(tmp_path, api.url)
    process = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml",
         "--state", "state.sqlite3", "--checkpoint-interval", "0.1", "--log-file", "sellerpulse.log",
         "--log-level", "debug"],
        cwd=tmp_path, env=secret_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    state, log = tmp_path / "state.sqlite3", tmp_path / "sellerpulse.log"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            text = log.read_text(encoding="utf-8") if log.exists() else ""
            cursor = None
            if state.exists():
                with sqlite3.connect(state, timeout=5) as db:
                    try:
                        row = db.execute(
                            "SELECT position FROM state_positions WHERE source = 'api'"
                        ).fetchone()
                    except sqlite3.OperationalError:
                        row = None
                cursor = json.loads(row[0]).get("cursor") if row else None
            if cursor and "403" in text:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the run did not both read the API and meet the 403")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode(errors="replace")
    # the requests with the good token went through, and the stale token's 403 (echoing it) was logged
    assert api.api.requests and any(r.status == 200 for r in api.api.requests)
    text = log.read_text(encoding="utf-8")
    assert "stale-token" in text and "403" in text
    assert "token '***' is not valid" in text  # the echoed token was there, and masked
    for name in ("sellerpulse.log", "state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm"):
        path = tmp_path / name
        if path.exists():
            assert leaks(path.read_bytes()) == [], f"secret in {name}"
    assert leaks(out) == [] and leaks(err) == []


@pytest.mark.slow
async def test_dashboard_screen_shows_the_failure_but_no_secret(tmp_path: Path, api, monkeypatch) -> None:
    for name, value in secret_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    config = load_config(write_config(tmp_path, api.url), explicit=True)
    runtime = Runtime(Engine(), sources_from_config(config, load_plugins()))
    app = make_app(RuntimeData(runtime), refresh=0.5, show_clock=False)
    runtime.start_in_thread()
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                health = runtime.health()
                if health["api"].events and health["stale-token"].last_error:
                    break
                await pilot.pause(0.1)
            assert "403" in (runtime.health()["stale-token"].last_error or "")
            await pilot.press("r")
            await pilot.pause(0.3)
            screen = app.export_screenshot()
            await pilot.press("e")  # the rejected-rows view
            await pilot.pause(0.3)
            screen += app.export_screenshot()
    finally:
        runtime.stop()
    assert "stale-token" in screen and "403" in screen
    assert leaks(screen.encode()) == []
