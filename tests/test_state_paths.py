"""Where the state file lives: a read-only folder, file modes, a state path that does not exist.

The CLI runs as a subprocess on real files. A read-only folder is made read-only for real: as root
(whom file modes do not stop) a tmpfs is mounted and remounted read-only, else the folder is chmod 0555.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sellerpulse.core.checkpoint import encode_events
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.state_store import StateStore
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
JUNK = b"this is not a database, it is a grocery list\n" * 200


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        child_command(*args), cwd=folder, env=child_env(folder), capture_output=True, text=True, timeout=60,
        umask=0o022,
    )  # fmt: skip


def headless(folder: Path, state: str, children: list) -> subprocess.Popen[str]:
    (folder / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    write_events(folder / "events.csv", history(10))
    child = subprocess.Popen(
        child_command("run", "--headless", "--config", "sellerpulse.toml", "--state", state,
                      "--checkpoint-interval", "0.05", "--log-file", "sellerpulse.log"),
        cwd=folder, env=child_env(folder), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        umask=0o022,
    )  # fmt: skip
    children.append(child)
    return child


def files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- a read-only folder --------------------------------------------------------------------------------


class ReadOnly:
    """A folder to fill, then :meth:`seal` read-only."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir()
        self.mounted = False
        if os.geteuid() == 0:
            if shutil.which("mount") is None:
                pytest.skip("root without a mount command: a read-only folder cannot be made")
            done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", str(path)],
                                  capture_output=True, text=True)  # fmt: skip
            if done.returncode != 0:
                pytest.skip(f"root, but mounting a tmpfs is not permitted here: {done.stderr.strip()}")
            self.mounted = True

    def seal(self) -> None:
        if self.mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(self.path)], check=True)
        else:
            self.path.chmod(0o555)

    def remove(self) -> None:
        if self.mounted:
            subprocess.run(["umount", str(self.path)], check=True)
        else:
            self.path.chmod(0o755)


@pytest.fixture
def readonly(tmp_path: Path) -> Iterator[ReadOnly]:
    folder = ReadOnly(tmp_path / "ro")
    try:
        yield folder
    finally:
        folder.remove()


def _healthy(state: Path) -> None:
    events = [e for e in read_event_file(Path("examples/small-events.csv")) if isinstance(e, Event)]
    store = StateStore(state)
    store.checkpoint(encode_events(events), {}, {})
    store.close()


@pytest.mark.parametrize(
    "content, lock_file, says",
    [
        ("damaged", True, "could not be moved aside"),
        ("healthy", True, "cannot be written"),
        ("healthy", False, "cannot create its lock file"),
    ],
)
def test_a_state_file_in_a_read_only_folder_gets_a_clear_error(
    tmp_path: Path, readonly: ReadOnly, content: str, lock_file: bool, says: str
) -> None:
    state = readonly.path / "state.sqlite3"
    if content == "damaged":
        state.write_bytes(JUNK)
    else:
        _healthy(state)
    lock = readonly.path / "state.sqlite3.lock"  # left by an earlier run, or not
    if lock_file:
        lock.touch()
    else:
        lock.unlink(missing_ok=True)
    before = {name: (readonly.path / name).read_bytes() for name in files(readonly.path)}
    readonly.seal()
    (tmp_path / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    write_events(tmp_path / "events.csv", history(3))
    done = run(tmp_path, "run", "--headless", "--config", "sellerpulse.toml", "--state", str(state),
               "--log-file", "sellerpulse.log")  # fmt: skip
    assert done.returncode == 64, done.stderr
    assert "Traceback" not in done.stderr
    assert f"sellerpulse: error: state file {state}" in done.stderr
    assert says in done.stderr
    assert {name: (readonly.path / name).read_bytes() for name in files(readonly.path)} == before


# -- modes ---------------------------------------------------------------------------------------------


def test_the_state_file_and_its_companions_are_created_private(tmp_path: Path, children: list) -> None:
    """0600 whatever the umask: the file holds the seller's orders and alert history."""
    process = headless(tmp_path, "state.sqlite3", children)
    assert process.stderr is not None
    lines = Lines(process.stderr)
    try:
        lines.wait_for("running headless")
        # while it runs: the WAL and its index exist
        companions = ["state.sqlite3", "state.sqlite3-wal", "state.sqlite3-shm", "state.sqlite3.lock"]
        assert {name: oct(mode(tmp_path / name)) for name in companions} == dict.fromkeys(companions, "0o600")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, lines.closed()
    assert mode(tmp_path / "state.sqlite3") == 0o600


def test_moved_aside_and_older_state_files_become_private(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(JUNK)
    damaged.chmod(0o644)
    store, warning = StateStore.open(damaged)
    store.close()
    assert warning is not None
    (backup,) = tmp_path.glob("damaged.sqlite3.corrupt-*")
    assert backup.read_bytes() == JUNK and mode(backup) == 0o600
    assert mode(damaged) == 0o600  # the fresh one

    older = tmp_path / "older.sqlite3"
    _healthy(older)
    older.chmod(0o644)  # as sellerpulse created it before
    StateStore(older).close()
    assert mode(older) == 0o600


# -- a state path that does not exist ------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ("alerts",),
        ("alerts", "list"),
        ("alerts", "ack", "odr-breach"),
        ("alerts", "silence", "odr-breach", "--for", "1h"),
    ],
    ids=["alerts", "list", "ack", "silence"],
)
def test_alerts_on_a_missing_state_file_say_so_and_create_nothing(tmp_path: Path, command: tuple) -> None:
    before = files(tmp_path)
    missing = tmp_path / "nowhere" / "state.sqlite3"
    done = run(tmp_path, *command, "--state", str(missing))
    assert done.returncode == 64, done.stdout + done.stderr
    assert f"sellerpulse: error: no state file at {missing}" in done.stderr
    assert "Traceback" not in done.stderr
    assert files(tmp_path) == before


def test_reading_commands_on_a_missing_state_file_create_nothing(tmp_path: Path) -> None:
    before = files(tmp_path)
    missing = tmp_path / "nowhere" / "state.sqlite3"
    report = run(tmp_path, "report", "--state", str(missing))
    assert report.returncode == 64 and f"no state file at {missing}" in report.stderr
    # a sink test needs no state: it works and touches none
    sample = run(tmp_path, "alerts", "test", "terminal", "--state", str(missing))
    assert sample.returncode == 0, sample.stderr
    assert files(tmp_path) == before
