"""Checkpoints in-process: a real runtime following a real CSV file, saved to and rebuilt from a real
SQLite state file; compaction past the retention; damaged and newer files; ``report --state``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sellerpulse.core.checkpoint import (
    Checkpointer,
    decode_events,
    encode_events,
    margin_days,
    restore_engine,
)
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, Rejection
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.state_store import StateError, StateStore
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import make_source
from state_fixtures import append_events, garbage_lines, history, write_events

AT = "2027-06-01T00:00:00Z"


def clean_snapshot(path: Path, at: int) -> dict:
    """The snapshot of one engine fed the whole file at once (the reference)."""
    engine = Engine()
    items = list(read_event_file(path))
    engine.ingest(item for item in items if isinstance(item, Event))
    rejected = sum(isinstance(item, Rejection) for item in items)
    if rejected:
        engine.note_rejections("orders", rejected)
    return engine.snapshot(at).to_json()


class Running:
    """A runtime with one following CSV source, checkpointed to ``state``."""

    def __init__(self, csv_path: Path, state: Path, interval: float = 0.05) -> None:
        self.csv_path = csv_path
        self.engine = Engine()
        options = {"path": str(csv_path), "follow": True, "poll_interval": 0.01}
        self.source = make_source(CsvSource, options, name="orders")
        self.runtime = Runtime(self.engine, [self.source])
        self.store = StateStore(state)
        self.checkpointer = Checkpointer(self.runtime, self.store, interval)
        self.checkpointer.restore_positions()
        self.checkpointer.start()

    def caught_up(self, timeout: float = 20.0) -> None:
        """Wait until the source has read the whole file and a checkpoint holds it."""
        size = self.csv_path.stat().st_size
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            saved = self.store.saved().positions.get("orders", {})
            if saved.get("offset") == size:
                return
            time.sleep(0.01)
        raise TimeoutError(f"not caught up: {self.runtime.positions()} vs {size} bytes")

    def stop(self) -> None:
        self.checkpointer.stop()
        self.store.close()


def test_resume_reads_only_new_lines_and_equals_one_clean_run(tmp_path: Path) -> None:
    lines = history(200)
    assert len(lines) > 2000
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, lines[:1000] + list(garbage_lines(7)))
    first = Running(csv_path, state)
    first.caught_up()
    first.stop()

    append_events(csv_path, lines[1000:])
    second = Running(csv_path, state)
    second.caught_up()
    # the engine came back from the state saved at the clean exit, with no row left to replay
    assert second.checkpointer.engine_row > 0
    assert second.checkpointer.replayed == 0
    # the second run read only the lines appended after the first one stopped
    assert second.source.health().events == len(lines) - 1000
    at = _at()
    live = second.runtime.snapshot(at).to_json()
    second.stop()
    assert live == clean_snapshot(csv_path, at)
    assert live["rejected"] == [{"source": "orders", "count": 7}]


def _at() -> int:
    return parse_instant(AT)


def test_journal_past_retention_is_compacted_and_replay_stays_exact(tmp_path: Path) -> None:
    account = Engine().account("x")
    days = account.retention_days + margin_days(account.profile) + 150
    lines = history(days, orders_per_day=2)
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, [])
    run = Running(csv_path, state, interval=0.01)
    step = len(lines) // 40
    for start in range(0, len(lines), step):
        append_events(csv_path, lines[start : start + step])
        run.caught_up()
    at = _at()
    live = run.runtime.snapshot(at).to_json()
    run.stop()

    with sqlite3.connect(state) as db:
        journalled = db.execute("SELECT SUM(count) FROM state_journal").fetchone()[0]
        compacted = db.execute("SELECT COUNT(*) FROM state_journal WHERE compacted = 1").fetchone()[0]
        kinds = {
            event.kind
            for account, text in db.execute("SELECT account, events FROM state_journal WHERE compacted = 1")
            for event in decode_events(account, text)
        }
    assert journalled < len(lines) * 0.8
    assert compacted > 0 and kinds <= {"order_placed", "feedback", "feedback_removed"}

    restored = Engine()
    store = StateStore(state, readonly=True)
    restore_engine(store, restored)
    store.close()
    reference = clean_snapshot(csv_path, at)
    assert restored.snapshot(at).to_json() == reference == live
    lifetime = reference["accounts"]["acme"]["metrics"]["feedback_score_lifetime"]
    assert lifetime["denominator"] > 0


def test_events_round_trip_through_the_journal_encoding() -> None:
    items = [item for item in read_event_file(Path("examples/small-events.csv")) if isinstance(item, Event)]
    rows = encode_events(items)
    back = [event for row in rows for event in decode_events(row.account, row.events)]
    key = lambda e: (e.account, e.ts, e.kind, e.order_id, e.event_id, e.ref)  # noqa: E731
    assert sorted(back, key=key) == sorted(items, key=key)
    assert {row.account for row in rows} == {event.account for event in items}


def test_a_damaged_state_file_is_moved_aside_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    junk = b"this is not a database, it is a grocery list\n" * 200
    state.write_bytes(junk)
    store, warning = StateStore.open(state)
    assert warning is not None and "moved aside" in warning
    backups = list(tmp_path.glob("state.sqlite3.corrupt-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == junk
    assert str(backups[0]) in warning
    assert store.saved().events == 0  # a fresh, usable file
    store.close()


def test_a_newer_state_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    StateStore(state).close()
    with sqlite3.connect(state) as db:
        db.execute("UPDATE state_meta SET value = '99' WHERE key = 'schema_version'")
    before = state.read_bytes()
    with pytest.raises(StateError, match="newer sellerpulse"):
        StateStore(state)
    assert state.read_bytes() == before
    assert not list(tmp_path.glob("*.corrupt-*"))


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "cfg")},
    )  # fmt: skip


def test_report_state_prints_the_saved_snapshot_reading_no_source(tmp_path: Path) -> None:
    lines = history(30)
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, lines)
    run = Running(csv_path, state)
    run.caught_up()
    run.stop()
    csv_path.unlink()  # the report must not need the source any more
    saved = _cli("report", "--state", str(state), "--at", AT, "--format", "json", cwd=tmp_path)
    assert saved.returncode == 0, saved.stderr
    write_events(csv_path, lines)
    fresh = _cli("report", "--events", str(csv_path), "--at", AT, "--format", "json", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    got, want = json.loads(saved.stdout), json.loads(fresh.stdout)
    assert got["accounts"] == want["accounts"]

    missing = _cli("report", "--state", str(tmp_path / "nope.sqlite3"), cwd=tmp_path)
    assert missing.returncode == 64
    assert "no state file at" in missing.stderr
    assert not (tmp_path / "nope.sqlite3").exists()


def test_the_demo_state_starts_over_when_the_demo_changes(tmp_path: Path) -> None:
    from sellerpulse.tui.commands.headless import open_checkpointer

    state = tmp_path / "demo-state.sqlite3"
    events = [item for item in read_event_file(Path("examples/small-events.csv")) if isinstance(item, Event)]
    store = StateStore(state)
    store.checkpoint(encode_events(events), {}, {}, {"demo": {"seed": 7}})
    store.close()

    notes: list[str] = []
    same = open_checkpointer(
        Runtime(Engine(), []), state, 1.0, {"demo": {"seed": 7}}, fresh_unless="demo", notes=notes
    )
    assert same.store.saved().events == len(events) and notes == []
    same.store.close()
    other = open_checkpointer(
        Runtime(Engine(), []), state, 1.0, {"demo": {"seed": 8}}, fresh_unless="demo", notes=notes
    )
    assert other.store.saved().events == 0
    other.store.close()
    assert notes == [
        f"demo settings changed: seed 7 -> 8: a new demo state (the previous demo's history in {state} is discarded)"
    ]
    store = StateStore(state)
    store.checkpoint(encode_events(events), {}, {}, {"demo": {"seed": 8}})  # a demo of before marketplaces
    store.close()
    newer = open_checkpointer(
        Runtime(Engine(), []), state, 1.0, {"demo": {"seed": 8, "marketplace": "mixed"}}, fresh_unless="demo",
        notes=notes,
    )  # fmt: skip
    newer.store.close()
    assert notes[-1].startswith("demo settings changed: marketplace unset -> mixed: a new demo state")


def test_the_dashboard_shows_a_restore_in_progress_as_a_source(tmp_path: Path) -> None:
    """A start that replays the journal (after a crash, or an upgrade that cannot use the saved engine
    state) shows "saved state: restoring, N of M events" among the sources until the state is whole."""
    from sellerpulse.tui.data import RESTORING, RuntimeData

    lines = history(60)
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, lines)
    first = Running(csv_path, state)
    first.caught_up()
    first.stop()
    with sqlite3.connect(state) as db:  # as after a crash: no saved engine state, the journal only
        db.execute("DELETE FROM state_engine")

    engine = Engine()
    source = make_source(
        CsvSource, {"path": str(csv_path), "follow": True, "poll_interval": 0.01}, name="orders"
    )
    runtime = Runtime(engine, [source])
    store = StateStore(state)
    checkpointer = Checkpointer(runtime, store, 0.05)
    data = RuntimeData(runtime, restoring=checkpointer.progress)
    assert RESTORING not in data.health()
    with runtime.lock:  # the replay waits for the engine: the screen sees the restore in progress
        checkpointer.restore_positions()
        checkpointer.start()
        deadline = time.monotonic() + 10
        while "replaying" not in (getattr(data.health().get(RESTORING), "detail", "")):
            assert time.monotonic() < deadline, data.health()
            time.sleep(0.01)
        shown = data.health()[RESTORING]
        assert shown.state == "restoring" and shown.events == 0
        assert shown.detail == f"replaying the saved journal: 0 of {len(lines):,} events"
    assert checkpointer.ready.wait(20)
    assert RESTORING not in data.health() and set(data.health()) == {"orders"}
    assert checkpointer.replayed == len(lines)
    checkpointer.stop()
    store.close()
