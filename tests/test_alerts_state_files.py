"""``sellerpulse alerts`` (a subprocess) on a --state that is not a usable sellerpulse state file: refused
with exit status 64 and a message saying why, as ``report --state`` refuses it; the file is never written
(no SQLite database made of a CSV, no alert tables added to another program's database), and no
traceback. Real files, a real lock held by another process, a real read-only mount."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from sellerpulse.core.state_store import StateStore
from state_fixtures import child_command, child_env, reaped
from test_state_lock import digest, hold_lock, release

children = pytest.fixture(reaped, name="children")

SILENCE = ("alerts", "silence", "odr-breach", "--for", "2h")


def alerts(folder: Path, *args: str, hooks: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        child_command(*args), cwd=folder, env=child_env(folder, hooks),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 64, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1].startswith("sellerpulse: error: "), done.stderr
    return done.stderr


def state_file(folder: Path) -> Path:
    state = folder / "state.sqlite3"
    StateStore(state).close()
    return state


@pytest.mark.parametrize("command", [("alerts",), SILENCE], ids=["list", "silence"])
def test_an_empty_file_is_not_turned_into_a_database(tmp_path: Path, command: tuple) -> None:
    empty = tmp_path / "empty.csv"
    empty.touch()
    before = sorted(os.listdir(tmp_path))
    said = refused(alerts(tmp_path, *command, "--state", "empty.csv"))
    assert "empty.csv is not a sellerpulse state file" in said
    assert empty.stat().st_size == 0
    assert sorted(os.listdir(tmp_path)) == before  # no -wal, no -shm


def test_another_programs_database_gets_no_alert_tables(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO customers (name) VALUES ('Ada')")
    db.close()
    before = digest(other)
    said = refused(alerts(tmp_path, *SILENCE, "--state", "other.db"))
    assert "other.db is not a sellerpulse state file (it has no state_meta or alert_meta table)" in said
    assert digest(other) == before
    with sqlite3.connect(other) as db:
        assert [n for (n,) in db.execute("SELECT name FROM sqlite_master")] == ["customers"]
    db.close()


def test_a_file_that_is_not_a_database_is_refused_without_a_traceback(tmp_path: Path) -> None:
    copy = tmp_path / "ev_copy.csv"
    shutil.copyfile("examples/small-events.csv", copy)
    before = digest(copy)
    said = refused(alerts(tmp_path, "alerts", "--state", "ev_copy.csv"))
    assert "ev_copy.csv is not a sellerpulse state file, or is damaged (file is not a database)" in said
    assert digest(copy) == before
    assert sorted(os.listdir(tmp_path)) == ["ev_copy.csv"]


@pytest.mark.parametrize("how", ["writer", "exclusive"])
def test_a_state_file_locked_by_another_process_is_refused_after_the_wait(
    tmp_path: Path, how: str, children: list
) -> None:
    state = state_file(tmp_path)
    locker = hold_lock(state, how, children)
    try:
        done = alerts(tmp_path, *SILENCE, "--state", "state.sqlite3", hooks={"lock_wait": 0.5})
    finally:
        release(locker)
    said = refused(done)
    assert "state file state.sqlite3 is locked by another process (waited 0.5 s)" in said
    assert "left untouched" in said and "not a sellerpulse state file" not in said
    assert not list(tmp_path.glob("*.corrupt-*"))
    # once the lock is gone the same command works
    silenced = alerts(tmp_path, *SILENCE, "--state", "state.sqlite3")
    assert silenced.returncode == 0, silenced.stderr


def test_a_hard_linked_state_file_is_refused(tmp_path: Path) -> None:
    state = state_file(tmp_path)
    os.link(state, tmp_path / "hard.sqlite3")
    before = digest(state)
    said = refused(alerts(tmp_path, *SILENCE, "--state", "hard.sqlite3"))
    assert "state file hard.sqlite3 has 2 names (hard links)" in said
    assert digest(state) == before and not (tmp_path / "hard.sqlite3-wal").exists()


def _read_only_mount() -> tuple[str, ...]:
    """A command prefix running the rest in a private mount namespace where ``$RO`` (a folder the test
    gives) is a read-only tmpfs holding a copy of ``$SRC``; skip where mounting is not permitted."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a read-only mount needs root and unshare")
    probe = subprocess.run(["unshare", "-m", "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"mounting is not permitted here: {probe.stderr.decode().strip()}")
    script = 'mount -t tmpfs tmpfs "$RO" && cp "$SRC" "$RO/" && mount -o remount,ro "$RO" && exec "$@"'
    return ("unshare", "-m", "sh", "-c", script, "sh")


def test_a_state_file_on_a_read_only_filesystem_is_refused_without_a_traceback(tmp_path: Path) -> None:
    prefix = _read_only_mount()
    state = state_file(tmp_path)
    (tmp_path / "ro").mkdir()
    done = subprocess.run(
        [*prefix, *child_command("alerts", "--state", "ro/state.sqlite3")],
        cwd=tmp_path, env={**child_env(tmp_path), "RO": str(tmp_path / "ro"), "SRC": str(state)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    said = refused(done)
    assert "state file ro/state.sqlite3 cannot be written" in said, said
    assert "read-only" in said
    assert stat.S_ISDIR((tmp_path / "ro").stat().st_mode) and not list((tmp_path / "ro").iterdir())
