"""A full disk: said once as "disk full", ingest paused with a bounded number of events unsaved,
resumed (nothing lost) when space comes back, and a clean exit on SIGTERM that says what was not saved.

The disk fills for real as far as SQLite is concerned: ``PRAGMA max_page_count`` on the state file's
own connection makes every write past it fail with SQLITE_FULL ("database or disk is full"), as a full
file system does (checked by hand on a 1 MiB tmpfs, see docs/state.md); it works on any CI machine.
"""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from sellerpulse.core import checkpoint
from sellerpulse.core.checkpoint import Checkpointer, replay
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.state_store import StateStore
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.csv_source import CHUNK_BYTES, CsvSource
from sellerpulse.plugins.testing import make_source
from sellerpulse.tui.data import RESTORING, RuntimeData
from state_fixtures import Lines, append_events, child_command, child_env, history, reaped, write_events

children = pytest.fixture(reaped, name="children")

AT = parse_instant("2027-06-01T00:00:00Z")
MAX_UNSAVED = 2_000


def wait_for(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def limit(store: StateStore, extra_pages: int | None) -> None:
    """SQLite's own size limit on the store's connection: ``extra_pages`` above what it holds now
    (None: no limit). Writes past it fail with SQLITE_FULL, as on a full disk."""
    with store._lock:
        (pages,) = store._db.execute("PRAGMA page_count").fetchone()
        top = 1_073_741_823 if extra_pages is None else pages + extra_pages
        store._db.execute(f"PRAGMA max_page_count = {top}")


def clean_snapshot(path: Path) -> dict:
    engine = Engine()
    engine.ingest(item for item in read_event_file(path) if isinstance(item, Event))
    return engine.snapshot(AT).to_json()


def test_a_full_disk_pauses_ingest_says_so_once_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(checkpoint, "MAX_UNSAVED", MAX_UNSAVED)
    lines = history(400, orders_per_day=10)
    batch = CHUNK_BYTES // min(len(line) for line in lines)  # the most rows one read of the file gives
    assert len(lines) > 2 * (MAX_UNSAVED + batch)
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, lines[:1000])
    engine = Engine()
    source = make_source(
        CsvSource, {"path": str(csv_path), "follow": True, "poll_interval": 0.01}, name="orders"
    )
    runtime = Runtime(engine, [source])
    store = StateStore(state)
    keeper = Checkpointer(runtime, store, 0.02)
    keeper.restore_positions()
    keeper.start()
    saved_offset = lambda: store.saved().positions.get("orders", {}).get("offset")  # noqa: E731
    wait_for(lambda: saved_offset() == csv_path.stat().st_size, "the first lines were not saved")
    assert keeper.progress() is None

    limit(store, 2)  # the disk is full
    with caplog.at_level(logging.DEBUG, logger="sellerpulse.checkpoint"):
        append_events(csv_path, lines[1000:])
        wait_for(lambda: "paused" in getattr(keeper.progress(), "detail", ""), "ingest did not pause")
        health = keeper.progress()
        assert health is not None and health.state == "failing"
        shown = RuntimeData(runtime, restoring=keeper.progress).health()  # what the dashboard lists
        assert shown[RESTORING].state == "failing" and shown[RESTORING].detail == health.detail
        assert "disk full" in health.detail and "state.sqlite3" in health.detail
        applied = engine.applied
        unsaved = applied - store.saved().events
        assert MAX_UNSAVED <= unsaved <= MAX_UNSAVED + batch
        assert health.events == unsaved
        # it keeps trying; nothing more is read meanwhile, and the error is said once
        retries = lambda: sum("failed again" in r.getMessage() for r in caplog.records)  # noqa: E731
        wait_for(lambda: retries() >= 5, "no retries")
        assert engine.applied == applied
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "disk full" in errors[0], errors
        assert not any("rollback" in r.getMessage() for r in caplog.records)

        limit(store, None)  # space again
        wait_for(lambda: saved_offset() == csv_path.stat().st_size, "did not resume", timeout=60)
    assert keeper.progress() is None
    assert any("works again" in r.getMessage() for r in caplog.records)
    live = runtime.snapshot(AT).to_json()
    keeper.stop()
    store.close()
    assert live == clean_snapshot(csv_path)
    restored = Engine()  # and the journal holds it all: replayed alone, it gives the same numbers
    reader = StateStore(state, readonly=True)
    replay(reader, restored)
    reader.close()
    assert restored.snapshot(AT).to_json() == live


CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.02
"""


def test_sigterm_on_a_full_disk_exits_cleanly_and_the_next_start_loses_nothing(
    tmp_path: Path, children: list
) -> None:
    lines = history(200, orders_per_day=10)
    write_events(tmp_path / "events.csv", lines)
    (tmp_path / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    command = child_command("run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml", "--state", "state.sqlite3",
                            "--checkpoint-interval", "0.02", "--log-file", "sellerpulse.log", "--log-level", "debug")  # fmt: skip
    full = subprocess.Popen(
        command, cwd=tmp_path, env=child_env(tmp_path, {"max_pages": 3, "max_unsaved": 1000}),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    children.append(full)
    assert full.stderr is not None
    out = Lines(full.stderr)
    try:
        out.wait_for("ingest paused")
        out.wait_for("failed again", count=5)
    finally:
        full.send_signal(signal.SIGTERM)
    assert full.wait(30) == 1, out.closed()
    text = out.closed()
    assert "Traceback" not in text and "rollback" not in text
    errors = [line for line in text.splitlines() if " ERROR " in line]
    assert len(errors) == 2, text  # the first failure, and what the exit could not save
    assert "disk full" in errors[0] and "disk full" in errors[1]
    assert "not saved" in errors[1] and "read again from the sources at the next start" in errors[1]
    assert "sellerpulse: error: " in text

    # space again: the next start reads what was not saved, once
    again = subprocess.Popen(
        command, cwd=tmp_path, env=child_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )  # fmt: skip
    children.append(again)
    assert again.stderr is not None
    out = Lines(again.stderr)
    try:
        out.wait_for("running headless")
        wait_for(
            lambda: _journalled(tmp_path / "state.sqlite3") == len(lines), "did not catch up", timeout=60
        )
    finally:
        again.send_signal(signal.SIGTERM)
    assert again.wait(30) == 0, out.closed()
    assert _journalled(tmp_path / "state.sqlite3") == len(lines)


def _journalled(state: Path) -> int:
    try:
        with sqlite3.connect(state, timeout=5) as db:
            return db.execute("SELECT COALESCE(SUM(count), 0) FROM state_journal").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
