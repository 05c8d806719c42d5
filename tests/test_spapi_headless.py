"""``sellerpulse run --headless`` on the sp-api source against the local stand-in, as a subprocess: killed
between createReport and DONE and started again, it polls the reports it asked for instead of asking
again; a refresh token revoked later fails the source and fires the source alert. The three credentials
and every access token issued appear in no output: log file, state file, stderr, alert bodies, report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from spapi_fixtures import secrets_of, seller, spapi_server

CONFIG = """
[[sources]]
type = "sp-api"
name = "amazon-us"
account = "acme-us"
endpoint = "{url}"
lwa_endpoint = "{url}/auth/o2/token"
marketplace_ids = ["ATVPDKIKX0DER"]
client_id = "${{SP_API_CLIENT_ID}}"
client_secret = "${{SP_API_CLIENT_SECRET}}"
refresh_token = "${{SP_API_REFRESH_TOKEN}}"
lookback_days = 20
interval = 0.2
report_poll = 0.05
backoff = 0.05
max_backoff = 0.2
max_retries = 1

[[sinks]]
type = "log"
name = "file"
path = "alerts.jsonl"

[[alerts]]
name = "api-down"
source = "amazon-us"
failing = true
sinks = ["file"]
"""


def environment(folder: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"), "SP_API_CLIENT_ID": spapi_server.CLIENT_ID,
        "SP_API_CLIENT_SECRET": spapi_server.CLIENT_SECRET, "SP_API_REFRESH_TOKEN": spapi_server.REFRESH_TOKEN,
    }  # fmt: skip


def start(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--config", "sellerpulse.toml",
         "--state", "state.sqlite3", "--checkpoint-interval", "0.1", "--log-file", "sellerpulse.log",
         "--log-level", "debug"],
        cwd=folder, env=environment(folder), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def saved_reports(folder: Path) -> dict:
    try:
        with sqlite3.connect(folder / "state.sqlite3", timeout=5) as db:
            row = db.execute("SELECT position FROM state_positions WHERE source = 'amazon-us'").fetchone()
    except sqlite3.OperationalError:
        return {}
    return json.loads(row[0]).get("reports", {}) if row else {}


def wait_for(condition, what: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        time.sleep(0.05)


def alerts(folder: Path) -> list[dict]:
    path = folder / "alerts.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.slow
def test_killed_before_reports_are_done_it_polls_them_after_the_restart(tmp_path: Path) -> None:
    market = seller()
    market.hold = True  # every report stays IN_PROGRESS
    server = spapi_server.serve_in_thread(market)
    try:
        (tmp_path / "sellerpulse.toml").write_text(CONFIG.format(url=server.url), encoding="utf-8")
        first = start(tmp_path)
        wait_for(
            lambda: (
                len(saved_reports(tmp_path)) == 4
                and all("pending" in state for state in saved_reports(tmp_path).values())
            ),
            "the report ids asked for were not saved",
            first,
        )
        asked = {state["pending"]["id"] for state in saved_reports(tmp_path).values()}
        first.kill()  # a crash: no final checkpoint
        first.wait(10)
        outputs = [*first.communicate()]
        assert market.count("createReport") == 4

        polled_before = market.count("getReport")
        second = start(tmp_path)
        wait_for(lambda: market.count("getReport") > polled_before + 4, "the restart polled nothing", second)
        market.hold = False
        wait_for(lambda: market.count("getReportDocument") == 4, "the reports were not read", second)
        wait_for(
            lambda: not any("pending" in s for s in saved_reports(tmp_path).values()), "not saved", second
        )
        assert market.count("createReport") == 4  # the restart asked for none of them again
        polled = {given["reportId"] for name, given in market.calls if name == "getReport"}
        assert polled == asked

        market.revoked = True
        market.expire_tokens()
        wait_for(lambda: any(a.get("kind") == "firing" for a in alerts(tmp_path)), "no source alert", second)
        second.send_signal(signal.SIGTERM)
        outputs += second.communicate(timeout=30)
        assert second.returncode == 0
    finally:
        server.shutdown()
        server.server_close()

    firing = [a for a in alerts(tmp_path) if a.get("kind") == "firing"]
    assert "invalid_grant" in json.dumps(firing)
    report = subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "report", "--state", "state.sqlite3", "--format", "json"],
        cwd=tmp_path, env=environment(tmp_path), capture_output=True, check=False,
    )  # fmt: skip
    assert report.returncode in (0, 1, 2), report.stderr.decode()
    answer = json.loads(report.stdout)
    acme = answer["accounts"]["acme-us"]
    # Amazon's own numbers from the Account Health report, saved with the state beside the events
    records = answer["account_health"]["records"]
    assert [(r["account"], r["marketplace_id"]) for r in records] == [("acme-us", "ATVPDKIKX0DER")]
    # order 1: its 1-star feedback (feedback report) and its A-to-z claim (returns report), one defect
    assert acme["metrics"]["odr_recent"]["numerator"] == 1
    texts = [
        *outputs,
        report.stdout,
        report.stderr,
        (tmp_path / "sellerpulse.log").read_bytes(),
        (tmp_path / "alerts.jsonl").read_bytes(),
        *(path.read_bytes() for path in tmp_path.glob("state.sqlite3*")),
    ]
    assert len(market.tokens) >= 2
    for secret in secrets_of(market):
        for text in texts:
            assert secret.encode() not in text
