"""Crash tests: ``sellerpulse run --headless`` killed with SIGKILL again and again while a CSV file
grows and an HTTP API (examples/http_server.py on 127.0.0.1) gains events; restarted each time; the
saved state then reports exactly what one clean read of the same events reports.

Every third kill lands inside a write transaction of the state file, at a point the test chose (a
statement of the checkpoint and its occurrence): the child stops just before that statement runs and
says so through a pipe, the test checks the write lock is held, and kills it there. The scheduler
decides nothing."""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sellerpulse.core.timeutil import US_PER_HOUR, format_instant, parse_instant
from state_fixtures import append_events, child_command, child_env, garbage_lines, history, write_events

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import http_server

KILLS = 22
# where a kill inside a write stops the child: just before one of these statements of a checkpoint
PAUSES = ("INSERT INTO state_journal", "INSERT OR REPLACE INTO state_positions", "COMMIT")


def environment(home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHONHASHSEED": "random",
    }


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, env=environment(cwd),
    )  # fmt: skip


def headless(cwd: Path, pause: tuple[str, int, int] | None = None) -> subprocess.Popen[bytes]:
    """A headless run; ``pause`` = (statement, n, fd): stop before the n-th such statement, telling ``fd``."""
    env = {**child_env(cwd, {"pause": list(pause)} if pause else None), "PYTHONHASHSEED": "random"}
    return subprocess.Popen(
        child_command("run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml", "--state", "state.sqlite3",
                      "--checkpoint-interval", "0.05", "--log-file", "sellerpulse.log", "--log-level", "debug"),
        cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=pause[2:] if pause else (),
    )  # fmt: skip


def saved_positions(state: Path) -> dict[str, dict]:
    if not state.exists():
        return {}
    try:
        with sqlite3.connect(state, timeout=5) as db:
            return {name: json.loads(text) for name, text in db.execute("SELECT * FROM state_positions")}
    except sqlite3.OperationalError:  # the tables are not there yet
        return {}


class Feeder:
    """Grows the CSV file and the API's file a little at a time (some garbage rows among them)."""

    def __init__(self, rng: random.Random, csv_path: Path, api_path: Path) -> None:
        self.rng = rng
        self.csv_path, self.api_path = csv_path, api_path
        self.orders = history(600, orders_per_day=3, seed=3)
        self.api_events = history(200, orders_per_day=2, seed=4, accounts=("corp",))
        self.garbage = list(garbage_lines(12))
        self.csv_done, self.api_done = 200, 100
        write_events(csv_path, self.orders[: self.csv_done])
        write_events(api_path, self.api_events[: self.api_done])

    def grow(self) -> None:
        rng = self.rng
        step = rng.randrange(3, 20)
        if (
            self.csv_done + step >= len(self.orders) - 50
        ):  # a slow machine waits longer: keep a tail for finish
            return
        chunk = self.orders[self.csv_done : self.csv_done + step]
        if self.garbage and rng.random() < 0.3:
            chunk.insert(rng.randrange(len(chunk) + 1), self.garbage.pop())
        append_events(self.csv_path, chunk)
        self.csv_done += step
        if rng.random() < 0.5 and self.api_done + 4 < len(self.api_events) - 20:
            append_events(self.api_path, self.api_events[self.api_done : self.api_done + 4])
            self.api_done += 4

    def finish(self) -> None:
        append_events(self.csv_path, self.orders[self.csv_done :] + self.garbage)
        append_events(self.api_path, self.api_events[self.api_done :])
        assert self.csv_done > 200 and self.api_done > 100  # grew while it was being killed


def kill_inside_a_write(rng: random.Random, cwd: Path, feeder: Feeder) -> subprocess.Popen[bytes]:
    """Start a run that stops inside a write at a point chosen here, feed it until it gets there, check
    that the state file's write lock is held, and SIGKILL it there; returns the killed process."""
    statement, nth = rng.choice(PAUSES), rng.randrange(1, 4)
    reader, writer = os.pipe()
    try:
        process = headless(cwd, (statement, nth, writer))
        os.close(writer)
        deadline = time.monotonic() + 30
        while not select.select([reader], [], [], 0.02)[0]:
            assert process.poll() is None, "the run ended before the chosen write"
            assert time.monotonic() < deadline, f"no {statement!r} #{nth} in 30 s"
            feeder.grow()
        assert os.read(reader, 100).decode().upper().startswith(statement.upper())
    finally:
        os.close(reader)
    probe = sqlite3.connect(cwd / "state.sqlite3", timeout=0, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")  # the paused write holds the lock
    finally:
        probe.close()
    process.send_signal(signal.SIGKILL)
    return process


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_and_counts_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "20261126")))
    csv_path, api_path = tmp_path / "events.csv", tmp_path / "api.csv"
    feeder = Feeder(rng, csv_path, api_path)
    server = http_server.serve_in_thread(api_path, page_size=50)
    (tmp_path / "sellerpulse.toml").write_text(
        f"""
[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.02

[[sources]]
type = "http"
name = "api"
url = "{server.url}/events"
interval = 0.05
""",
        encoding="utf-8",
    )
    state = tmp_path / "state.sqlite3"
    try:
        for kill in range(KILLS):
            if kill % 3 == 0:  # every third kill lands inside a write transaction
                process = kill_inside_a_write(rng, tmp_path, feeder)
            else:  # the others wherever the run is after a while
                process = headless(tmp_path)
                deadline = time.monotonic() + rng.uniform(0.4, 1.6)
                while time.monotonic() < deadline:
                    feeder.grow()
                    time.sleep(rng.uniform(0.0, 0.15))
                process.send_signal(signal.SIGKILL)
            assert process.wait(10) == -signal.SIGKILL, f"run {kill} ended on its own"
        feeder.finish()

        # one last run catches up, then stops cleanly
        log = tmp_path / "sellerpulse.log"
        started = log.read_text(encoding="utf-8").count("running headless")
        process = headless(tmp_path)
        while log.read_text(encoding="utf-8").count("running headless") == started:
            assert process.poll() is None, "the last run ended on its own"
            time.sleep(0.05)
        newest = format_instant(max(parse_instant(line.split(",", 1)[0]) for line in feeder.api_events))
        size = csv_path.stat().st_size
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            positions = saved_positions(state)
            if (
                positions.get("orders", {}).get("offset") == size
                and positions.get("api", {}).get("cursor") == newest
            ):
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the last run did not catch up: {saved_positions(state)}")
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        server.shutdown()
        server.server_close()

    # as of just after the newest event: a report of files keeps only events up to --at
    newest_any = max(parse_instant(line.split(",", 1)[0]) for line in feeder.orders + feeder.api_events)
    at = format_instant(newest_any + US_PER_HOUR)
    saved = cli("report", "--state", "state.sqlite3", "--at", at, "--format", "json", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    # the reference: one read of the same files, away from the config (whose sources would add theirs)
    alone = tmp_path / "clean"
    alone.mkdir()
    for name in ("events.csv", "api.csv"):
        (alone / name).write_bytes((tmp_path / name).read_bytes())
    clean = cli(
        "report", "--events", "events.csv", "--events", "api.csv", "--at", at, "--format", "json", cwd=alone
    )  # fmt: skip
    assert clean.returncode == 0, clean.stderr
    got, want = json.loads(saved.stdout), json.loads(clean.stdout)
    assert set(got["accounts"]) == {"acme", "bolt", "corp"}
    assert got["accounts"] == want["accounts"]
    assert {r["source"]: r["count"] for r in got["rejected"]} == {"orders": 12}
    assert "restored" in log.read_text(encoding="utf-8")
