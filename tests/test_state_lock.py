"""Locked is not damaged, and one writer per state file: real SQLite locks held by another process,
``sellerpulse run --headless`` as a subprocess (twice on one file), SIGKILL.

A state file another process holds locked is waited for, then refused with a message that says so; it
is never moved aside. A second run on a state file another run writes is refused at once, naming the
file and the process that holds it; reading commands (``report --state``, ``alerts list``) still work
while a run writes."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sellerpulse.core.checkpoint import encode_events
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.state_store import StateError, StateStore
from state_fixtures import Lines, child_command, child_env, history, reaped, write_events

children = pytest.fixture(reaped, name="children")

CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.05
"""

# another process holding the state file: a writer's lock (what a second writer waits on), or an
# exclusive one that keeps readers out too (a `sqlite3` shell in `PRAGMA locking_mode=EXCLUSIVE`)
LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
print("locked", flush=True)
sys.stdin.read()
"""


def saved_state(folder: Path) -> tuple[Path, int]:
    """A healthy state file in ``folder`` holding a journal (the example's events) and a position;
    and the number of events it holds."""
    events = [e for e in read_event_file(Path("examples/small-events.csv")) if isinstance(e, Event)]
    state = folder / "state.sqlite3"
    store = StateStore(state)
    store.checkpoint(encode_events(events), {"orders": {"offset": 7}}, {"orders": 3})
    store.close()
    return state, len(events)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def hold_lock(state: Path, how: str, children: list) -> subprocess.Popen[str]:
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(state), how],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    children.append(locker)
    assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
    return locker


def release(locker: subprocess.Popen[str]) -> None:
    assert locker.stdin is not None
    locker.stdin.close()
    assert locker.wait(10) == 0


def headless(
    folder: Path, children: list, hooks: dict | None = None, state: str = "state.sqlite3"
) -> subprocess.Popen[str]:
    (folder / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    if not (folder / "events.csv").exists():
        write_events(folder / "events.csv", history(10))
    child = subprocess.Popen(
        child_command("run", "--headless", "--config", "sellerpulse.toml", "--state", state,
                      "--checkpoint-interval", "0.05", "--log-file", "sellerpulse.log", "--log-level", "info"),
        cwd=folder, env=child_env(folder, hooks), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    children.append(child)
    return child


def cli(folder: Path, *args: str, hooks: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        child_command(*args), cwd=folder, env=child_env(folder, hooks), capture_output=True, text=True, timeout=60
    )  # fmt: skip


def journalled(state: Path) -> int:
    with sqlite3.connect(state, timeout=5) as db:
        return db.execute("SELECT COALESCE(SUM(count), 0) FROM state_journal").fetchone()[0]


@pytest.mark.parametrize("how", ["writer", "exclusive"])
def test_a_locked_state_file_is_refused_after_a_wait_and_never_moved_aside(
    tmp_path: Path, how: str, children: list
) -> None:
    state, events = saved_state(tmp_path)
    before = digest(state)
    locker = hold_lock(state, how, children)
    try:
        run = headless(tmp_path, children, hooks={"lock_wait": 0.5})
        assert run.stderr is not None
        stderr = Lines(run.stderr).closed(timeout=15)
        assert run.wait(10) == 64, stderr
        assert "Traceback" not in stderr
        assert f"state file {state.name} is locked by another process" in stderr
        assert "waited 0.5 s" in stderr and "left untouched" in stderr
        assert "damaged" not in stderr and "moved aside" not in stderr
        # a reader is told the same, not that the file is not a state file
        if how == "exclusive":
            report = cli(tmp_path, "report", "--state", "state.sqlite3", hooks={"lock_wait": 0.5})
            assert report.returncode == 64, report.stderr
            assert "is locked by another process" in report.stderr
            assert "not a sellerpulse state file" not in report.stderr
    finally:
        release(locker)
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert digest(state) == before
    assert journalled(state) == events


def test_a_run_waits_for_a_lock_to_go_and_then_resumes_the_same_journal(
    tmp_path: Path, children: list
) -> None:
    state, events = saved_state(tmp_path)
    locker = hold_lock(state, "exclusive", children)
    run = headless(tmp_path, children)
    assert run.stderr is not None
    lines = Lines(run.stderr)
    try:
        lines.wait_for("is locked by another process; waiting up to 10 s")
    finally:
        release(locker)
    lines.wait_for(f"resuming from {state.name}: {events} events journalled")
    lines.wait_for("running headless")
    run.send_signal(signal.SIGTERM)
    assert run.wait(30) == 0, lines.closed()
    assert not list(tmp_path.glob("*.corrupt-*"))
    assert journalled(state) >= events


def test_a_locked_file_is_not_called_damaged_by_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list
) -> None:
    """In-process, as the dashboard and ``report --state`` open it: a lock is a :class:`StateError`
    that says so, for a writer and for a reader, and the file is not touched."""
    from sellerpulse.core import state_store

    monkeypatch.setattr(state_store, "LOCK_WAIT", 0.2)
    state, events = saved_state(tmp_path)
    locker = hold_lock(state, "exclusive", children)
    try:
        for readonly in (False, True):
            with pytest.raises(StateError, match="is locked by another process") as refused:
                StateStore.open(state) if not readonly else StateStore(state, readonly=True)
            assert "damaged" not in str(refused.value) and "waited 0.2 s" in str(refused.value)
    finally:
        release(locker)
    assert not list(tmp_path.glob("*.corrupt-*"))
    store, warning = StateStore.open(state)
    assert warning is None and store.saved().events == events
    store.close()


def test_a_second_run_on_one_state_file_is_refused_while_readers_still_work(
    tmp_path: Path, children: list
) -> None:
    first = headless(tmp_path, children)
    assert first.stderr is not None
    lines = Lines(first.stderr)
    try:
        lines.wait_for("running headless")
        second = headless(tmp_path, children)
        assert second.stderr is not None
        refused = Lines(second.stderr).closed(timeout=15)
        assert second.wait(10) == 64, refused
        assert "Traceback" not in refused
        assert f"state file state.sqlite3 is in use by another sellerpulse (pid {first.pid})" in refused, (
            refused
        )
        assert "state.sqlite3.lock" in refused

        # reading while the run writes
        report = cli(tmp_path, "report", "--state", "state.sqlite3", "--format", "json")
        assert report.returncode == 0, report.stderr
        assert set(json.loads(report.stdout)["accounts"]) == {"acme", "bolt"}
        listing = cli(tmp_path, "alerts", "list", "--state", "state.sqlite3")
        assert listing.returncode == 0, listing.stderr
        assert first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0, lines.closed()
    lines_in_file = sum(1 for line in (tmp_path / "events.csv").read_text().splitlines()[1:] if line)
    assert journalled(tmp_path / "state.sqlite3") == lines_in_file  # journalled once


def test_the_lock_goes_with_a_killed_run(tmp_path: Path, children: list) -> None:
    first = headless(tmp_path, children)
    assert first.stderr is not None
    Lines(first.stderr).wait_for("running headless")
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    second = headless(tmp_path, children)
    assert second.stderr is not None
    lines = Lines(second.stderr)
    lines.wait_for("running headless")
    second.send_signal(signal.SIGTERM)
    assert second.wait(30) == 0, lines.closed()
