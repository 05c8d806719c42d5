"""One writer per state file, whatever name it is given: a symlink and a hard link to the state file of a
running ``sellerpulse run --headless`` (a subprocess) must not let a second run write it too.

A symlink resolves to the same file, so it shares the first run's lock. A hard link is a second name
SQLite keeps a second write-ahead log beside, so no lock can make two names safe: a state file with
more than one name is refused, untouched."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from state_fixtures import Lines, reaped
from test_state_lock import digest, headless, journalled

children = pytest.fixture(reaped, name="children")


def _refused(tmp_path: Path, children: list, name: str) -> str:
    second = headless(tmp_path, children, state=name)
    assert second.stderr is not None
    said = Lines(second.stderr).closed(timeout=15)
    assert second.wait(10) == 64, said
    assert "Traceback" not in said
    return said


def _stop(first, lines: Lines) -> None:
    first.send_signal(signal.SIGTERM)
    assert first.wait(30) == 0, lines.closed()


def _events_in_file(tmp_path: Path) -> int:
    return sum(1 for line in (tmp_path / "events.csv").read_text().splitlines()[1:] if line)


def test_a_run_through_a_symlink_to_a_written_state_file_is_refused(tmp_path: Path, children: list) -> None:
    first = headless(tmp_path, children)
    assert first.stderr is not None
    lines = Lines(first.stderr)
    try:
        lines.wait_for("running headless")
        (tmp_path / "link.sqlite3").symlink_to("state.sqlite3")
        said = _refused(tmp_path, children, "link.sqlite3")
        assert f"is in use by another sellerpulse (pid {first.pid})" in said, said
        assert f"{tmp_path / 'state.sqlite3.lock'}" in said  # the real file's lock, not the link's
        assert not (tmp_path / "link.sqlite3.lock").exists()
        assert first.poll() is None
    finally:
        _stop(first, lines)
    assert journalled(tmp_path / "state.sqlite3") == _events_in_file(tmp_path)  # journalled once


def test_a_run_through_a_hard_link_to_a_written_state_file_is_refused(tmp_path: Path, children: list) -> None:
    first = headless(tmp_path, children)
    assert first.stderr is not None
    lines = Lines(first.stderr)
    try:
        lines.wait_for("running headless")
        os.link(tmp_path / "state.sqlite3", tmp_path / "hard.sqlite3")
        said = _refused(tmp_path, children, "hard.sqlite3")
        assert "state file hard.sqlite3 has 2 names (hard links)" in said, said
        assert "left untouched" in said
        assert not (tmp_path / "hard.sqlite3-wal").exists()  # SQLite never opened it under that name
        assert first.poll() is None
    finally:
        _stop(first, lines)
    assert journalled(tmp_path / "state.sqlite3") == _events_in_file(tmp_path)


def test_a_hard_linked_state_file_is_refused_before_anything_is_written(
    tmp_path: Path, children: list
) -> None:
    first = headless(tmp_path, children)
    assert first.stderr is not None
    lines = Lines(first.stderr)
    lines.wait_for("running headless")
    _stop(first, lines)
    os.link(tmp_path / "state.sqlite3", tmp_path / "hard.sqlite3")
    before = digest(tmp_path / "state.sqlite3")
    said = _refused(tmp_path, children, "state.sqlite3")
    assert "state file state.sqlite3 has 2 names (hard links)" in said, said
    assert digest(tmp_path / "state.sqlite3") == before
