"""Event histories for the durable-state tests: canonical CSV lines of a few accounts over many days.

Orders with promises, shipments (some late, some without tracking), cancellations, deliveries, feedback
(some negative, some removed), buyer messages and replies, A-to-z claims; some events carry ids and
some do not, so both ways of being idempotent are exercised. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sellerpulse.core.events import FIELDS
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant

START = parse_instant("2026-01-05T00:00:00Z")
HEADER = ",".join(FIELDS) + "\n"


def _line(**fields: object) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        ["" if fields.get(n) is None else fields.get(n) for n in FIELDS]
    )
    return out.getvalue()


def history(
    days: int,
    orders_per_day: int = 3,
    seed: int = 1,
    accounts: tuple[str, ...] = ("acme", "bolt"),
    start: int = START,
) -> list[str]:
    """Event lines (with newlines, no header) in event-time order, ``days`` days from ``start``."""
    rng = random.Random(seed)
    lines: list[tuple[int, str]] = []
    for day in range(days):
        for n in range(orders_per_day):
            account = accounts[n % len(accounts)]
            oid = f"{account[:2].upper()}-{day:04d}-{n}"
            placed = start + day * US_PER_DAY + rng.randrange(20 * US_PER_HOUR)
            lines.extend(_order(rng, account, oid, placed))
    lines.sort(key=lambda item: item[0])
    return [text for _, text in lines]


def _order(rng: random.Random, account: str, oid: str, placed: int) -> list[tuple[int, str]]:
    """The events of one order's life, as ``(ts, line)``."""
    out: list[tuple[int, str]] = []
    ids = rng.random() < 0.7

    def add(ts: int, suffix: str, **fields: object) -> None:
        event_id = f"{oid}:{suffix}" if ids else ""
        line = _line(ts=format_instant(ts), account=account, order_id=oid, event_id=event_id, **fields)
        out.append((ts, line))

    add(placed, "p", kind="order_placed", ship_by=format_instant(placed + 2 * US_PER_DAY),
        deliver_by=format_instant(placed + 6 * US_PER_DAY), amount="19.90")  # fmt: skip
    if rng.random() < 0.06:
        add(placed + US_PER_HOUR, "c", kind="order_cancelled", by="seller")
        return out
    shipped = placed + rng.randrange(3 * US_PER_DAY)
    tracking = f"1Z{rng.randrange(10**9)}" if rng.random() < 0.9 else ""
    add(shipped, "s", kind="order_shipped", tracking=tracking)
    add(shipped + rng.randrange(2, 7) * US_PER_DAY, "d", kind="order_delivered")
    if rng.random() < 0.3:
        when = shipped + rng.randrange(3, 20) * US_PER_DAY
        add(when, "f", kind="feedback", rating=rng.choice((1, 2, 4, 5, 5)))
        if rng.random() < 0.2:
            add(when + 2 * US_PER_DAY, "fr", kind="feedback_removed")
    if rng.random() < 0.2:
        ref = f"M-{oid}"
        got = placed + rng.randrange(US_PER_DAY)
        add(got, "m", kind="message_received", ref=ref)
        if rng.random() < 0.8:
            add(got + rng.randrange(40) * US_PER_HOUR, "mr", kind="message_replied", ref=ref)
    if rng.random() < 0.03:
        add(shipped + 9 * US_PER_DAY, "z", kind="claim_opened", ref=f"Z-{oid}")
    return out


def garbage_lines(count: int, seed: int = 2) -> Iterator[str]:
    """Rows a CSV source must reject (unknown kinds, bad instants, missing fields)."""
    rng = random.Random(seed)
    for n in range(count):
        yield rng.choice((
            f"2026-02-30T00:00:00Z,order_placed,X-{n},acme,,,,,,,,,,,\n",
            f"not a time,order_shipped,X-{n},acme,,,,,,,,,,,\n",
            f"2026-03-01T00:00:00Z,order_teleported,X-{n},acme,,,,,,,,,,,\n",
            "2026-03-01T00:00:00Z,feedback,,acme,,,,,,,,9,,,\n",
        ))  # fmt: skip


def write_events(path: Path, lines: list[str], header: bool = True) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if header:
            handle.write(HEADER)
        handle.writelines(lines)


def append_events(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)


# -- the command line in a child process, with SQLite's own limits and pauses --------------------------

TESTS = Path(__file__).resolve().parent
HOOKS = "SELLERPULSE_TEST_HOOKS"


def child_env(home: Path, hooks: dict[str, object] | None = None) -> dict[str, str]:
    """A clean environment for a child ``sellerpulse`` living in ``home``; ``hooks`` for :func:`child_main`."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "PYTHONPATH": str(TESTS),
    }
    if hooks:
        env[HOOKS] = json.dumps(hooks)
    return env


def reaped() -> Iterator[list[subprocess.Popen]]:
    """A fixture body (``children = pytest.fixture(reaped, name="children")``): child processes a test
    starts (it appends them), killed at its end if still running (a failing test)."""
    started: list[subprocess.Popen] = []
    yield started
    for child in started:
        if child.poll() is None:
            child.kill()
            child.wait()


def child_command(*args: str) -> list[str]:
    """``sellerpulse ARGS`` run by :func:`child_main` (give it :func:`child_env`)."""
    return [sys.executable, "-c", "import state_fixtures; state_fixtures.child_main()", *args]


def child_main() -> None:
    """The sellerpulse command line, in this process, with what the test asked for in ``$SELLERPULSE_TEST_HOOKS``
    (JSON). Each acts on the real SQLite connection of the state file, nothing is mocked:

    - ``lock_wait``: seconds a locked state file is waited for (instead of 10);
    - ``max_unsaved``: events kept unsaved before ingest pauses (instead of the default);
    - ``max_pages``: SQLite's ``max_page_count`` set that many pages above the file's size, so writes
      past it fail with SQLITE_FULL exactly as on a full disk;
    - ``pause``: ``[statement, n, fd]``: just before the ``n``-th SQL statement starting with
      ``statement`` runs, write a line to file descriptor ``fd`` and stop there (to be killed inside a
      write, at a point the test chose).
    """
    hooks = json.loads(os.environ.get(HOOKS, "{}"))
    from sellerpulse.core import checkpoint, state_store

    if "lock_wait" in hooks:
        state_store.LOCK_WAIT = float(hooks["lock_wait"])
    if "max_unsaved" in hooks:
        checkpoint.MAX_UNSAVED = int(hooks["max_unsaved"])
    connect = state_store.StateStore._connect

    def hooked(self: state_store.StateStore) -> sqlite3.Connection:
        db = connect(self)
        if "max_pages" in hooks:
            (pages,) = db.execute("PRAGMA page_count").fetchone()
            db.execute(f"PRAGMA max_page_count = {pages + int(hooks['max_pages'])}")
        if "pause" in hooks:
            db.set_trace_callback(_pause_at(*hooks["pause"]))
        return db

    state_store.StateStore._connect = hooked  # type: ignore[method-assign]
    from sellerpulse.tui.cli import main

    sys.exit(main(sys.argv[1:]))


def _pause_at(statement: str, nth: int, fd: int):
    seen = 0

    def trace(sql: str) -> None:
        nonlocal seen
        if sql.lstrip().upper().startswith(statement.upper()):
            seen += 1
            if seen == nth:
                os.write(fd, f"{sql[:40]}\n".encode())
                threading.Event().wait()  # until killed

    return trace


class Lines:
    """The lines a child writes to a pipe (its stderr), read on a thread so a test can await one."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._done = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def wait_for(self, wanted: str, count: int = 1, timeout: float = 20.0) -> None:
        """Until ``count`` lines hold ``wanted``; AssertionError (with what was read) when they do not
        come in ``timeout`` seconds or the stream ends first."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: self._done or sum(wanted in line for line in self.lines) >= count, timeout
            )
            if not found or sum(wanted in line for line in self.lines) < count:
                raise AssertionError(f"not {count} lines with {wanted!r} in:\n{self.text()}")

    def closed(self, timeout: float = 20.0) -> str:
        """Everything, once the stream has ended."""
        with self._changed:
            self._changed.wait_for(lambda: self._done, timeout)
            return self.text()

    def text(self) -> str:
        return "".join(self.lines)
