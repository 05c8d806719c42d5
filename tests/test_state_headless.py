"""``sellerpulse run --headless`` end to end: a late-shipping seller's recent events in a followed CSV
file, an alert rule with a file sink; the alert is delivered once, and a restart resumes from the state
without sending it again. Exit on SIGINT/SIGTERM is clean (status 0, final checkpoint written)."""

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
from sellerpulse.core.clock import SystemClock
from sellerpulse.core.timeutil import US_PER_DAY
from state_fixtures import append_events, history, write_events

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


def start(folder: Path) -> subprocess.Popen[bytes]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data"),
        "XDG_STATE_HOME": str(folder / "state"),
    }  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml",
         "--state", "state.sqlite3", "--checkpoint-interval", "0.1", "--log-file", "sellerpulse.log"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def firing(folder: Path) -> list[dict]:
    path = folder / "alerts.jsonl"
    if not path.exists():
        return []
    alerts = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [a for a in alerts if a.get("rule") == "late-shipping" and a.get("kind") == "firing"]


def journalled(folder: Path) -> int:
    try:
        with sqlite3.connect(folder / "state.sqlite3", timeout=5) as db:
            return db.execute("SELECT COALESCE(SUM(count), 0) FROM state_journal").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_headless_alerts_once_and_resumes_after_a_restart(tmp_path: Path) -> None:
    lines = history(20, orders_per_day=6, start=SystemClock().now() - 21 * US_PER_DAY)
    write_events(tmp_path / "events.csv", lines)
    (tmp_path / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")

    first = start(tmp_path)
    deadline = time.monotonic() + 30
    while len(firing(tmp_path)) < 2 or journalled(tmp_path) < len(lines):
        assert time.monotonic() < deadline, "no alert from the headless run"
        assert first.poll() is None, first.stderr.read().decode() if first.stderr else ""
        time.sleep(0.1)
    first.send_signal(signal.SIGINT)
    assert first.wait(30) == 0

    second = start(tmp_path)
    # a third account shipping late arrives: the restarted run judges every rule again
    more = history(
        8, orders_per_day=6, seed=8, accounts=("corp",), start=SystemClock().now() - 9 * US_PER_DAY
    )
    append_events(tmp_path / "events.csv", more)
    deadline = time.monotonic() + 30
    while len(firing(tmp_path)) < 3 or journalled(tmp_path) < len(lines) + len(more):
        assert time.monotonic() < deadline, "the restarted run did not alert about the new account"
        time.sleep(0.1)
    time.sleep(1.0)  # time to deliver, were anything queued
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0
    # one alert an account, each delivered once: acme's and bolt's not again after the restart
    assert sorted(a["labels"]["account"] for a in firing(tmp_path)) == ["acme", "bolt", "corp"]
    assert journalled(tmp_path) == len(lines) + len(more)  # nothing read twice
    log = (tmp_path / "sellerpulse.log").read_text(encoding="utf-8")
    assert f"restored {len(lines)} events" in log
