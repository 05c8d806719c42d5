"""The checkpoint tables (``state_*``) in the shared SQLite state file: an event journal and positions.

The engine is deterministic and idempotent, so the events it applied *are* its state: replaying them
into a fresh engine rebuilds every record, bucket, open-item index and dedup id exactly. The journal
therefore stores applied events (compact JSON rows, a bounded number of events a row), and each
checkpoint appends only what was applied since the previous one, together with every source's position
and the rejection counts, in ONE transaction. A crash at any instant leaves either the previous
checkpoint or the new one, never a mix, so a restart resumes each source exactly where the saved engine
stopped: nothing is lost and nothing is counted twice.

The file is shared with the alerts (``alert_*`` tables, WAL). A file that is not a database, or whose
``state_*`` tables are damaged, is moved aside as ``NAME.corrupt-<timestamp>`` (with its ``-wal`` and
``-shm``) and reported; a file written by a newer sellerpulse is refused, never rewritten.

``state_engine`` may hold one saved engine state (``core/engine/state_file.py``) with the sequence
number of the last journal row it includes: a restart loads it and replays only the rows after it. It
is a cache: the journal alone rebuilds the same engine. Journal rows are numbered above it even when
compaction has deleted the newest rows, so a row written after a save is never taken for one in it.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ENGINE_PART = 256 << 20  # bytes of a saved engine state per row of ``state_engine``

log = logging.getLogger("sellerpulse.state")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS state_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state_journal (
    seq INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    max_ts INTEGER NOT NULL,
    count INTEGER NOT NULL,
    events TEXT NOT NULL,
    compacted INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS state_journal_age ON state_journal (account, compacted, max_ts);
CREATE TABLE IF NOT EXISTS state_feedback (
    account TEXT NOT NULL,
    order_id TEXT NOT NULL,
    PRIMARY KEY (account, order_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_positions (source TEXT PRIMARY KEY, position TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state_rejected (source TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS state_engine (
    part INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL
);
"""


class StateError(RuntimeError):
    """A state file this sellerpulse cannot use; the message says what was done with it."""


class StateCorrupt(StateError):
    """The file (or its ``state_*`` tables) is damaged; it has been moved aside to :attr:`backup`."""

    def __init__(self, message: str, backup: Path | None) -> None:
        super().__init__(message)
        self.backup = backup


@dataclass(frozen=True, slots=True)
class JournalRow:
    """Events of one account applied between two checkpoints (encoded by ``checkpoint``), and the
    orders among them that got (or lost) feedback."""

    account: str
    max_ts: int
    count: int
    events: str
    feedback: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Saved:
    """What a state file holds besides the journal: positions, rejection counts, ``meta`` entries
    (``engine``: the settings it was built with; ``prune``: the journal's pruning bookkeeping)."""

    positions: dict[str, dict[str, Any]]
    rejected: dict[str, int]
    meta: dict[str, Any]
    events: int


def move_aside(path: Path, reason: str) -> Path:
    """Rename ``path`` (and its WAL companions) to ``path.corrupt-<UTC timestamp>``; returns the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    suffix = 1
    while backup.exists():
        suffix += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{suffix}")
    os.replace(path, backup)
    for companion in ("-wal", "-shm"):
        extra = path.with_name(path.name + companion)
        if extra.exists():
            os.replace(extra, backup.with_name(backup.name + companion))
    log.error("state file %s is unusable (%s); moved aside to %s, starting empty", path, reason, backup)
    return backup


class StateStore:
    """The ``state_*`` tables of one state file. Thread-safe (one connection behind a lock)."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        if readonly:
            self._db = self._reader()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._connect()
        except StateError:
            raise
        except (sqlite3.DatabaseError, ValueError) as exc:
            backup = move_aside(self.path, str(exc))
            raise StateCorrupt(
                f"state file {self.path} is damaged ({exc}); it was moved aside to {backup} "
                "and a new one will be started",
                backup,
            ) from None

    @classmethod
    def open(cls, path: str | Path) -> tuple[StateStore, str | None]:
        """Open ``path``; a damaged file is moved aside and a fresh one started. Returns the store and,
        when that happened, the warning to show the operator. A newer schema raises :class:`StateError`."""
        try:
            return cls(path), None
        except StateCorrupt as exc:
            return cls(path), str(exc)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=10.0, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # a saved engine state passes through the WAL (hundreds of MB at a million orders): let
            # the WAL shrink back after it is checkpointed instead of keeping that size on disk
            db.execute("PRAGMA journal_size_limit=67108864")
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise sqlite3.DatabaseError(f"integrity check failed: {check}")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM state_meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                db.execute("INSERT INTO state_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
            elif int(row[0]) > SCHEMA_VERSION:
                db.execute("ROLLBACK")
                raise StateError(
                    f"state file {self.path} was written by a newer sellerpulse (state schema {row[0]}, "
                    f"this one reads {SCHEMA_VERSION}); upgrade sellerpulse, or give another file with "
                    "--state PATH (the file was left untouched)"
                )
            db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def _reader(self) -> sqlite3.Connection:
        """A read-only connection (``report --state``): nothing is created, moved or written."""
        if not self.path.is_file():
            raise StateError(f"no state file at {self.path}")
        try:
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            row = db.execute("SELECT value FROM state_meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StateError(f"{self.path} is not a sellerpulse state file ({exc})") from None
        if row is None or int(row[0]) > SCHEMA_VERSION:
            db.close()
            raise StateError(
                f"{self.path}: state schema {row[0] if row else 'missing'}, this sellerpulse reads "
                f"{SCHEMA_VERSION}; upgrade sellerpulse"
            )
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing -----------------------------------------------------------------------------------

    def checkpoint(
        self,
        rows: list[JournalRow],
        positions: Mapping[str, Mapping[str, Any]],
        rejected: Mapping[str, int],
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """Append ``rows`` and replace positions, rejection counts and ``meta`` entries (JSON), atomically."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                first = self._next_seq()
                db.executemany(
                    "INSERT INTO state_journal (seq, account, max_ts, count, events) VALUES (?, ?, ?, ?, ?)",
                    [(first + n, r.account, r.max_ts, r.count, r.events) for n, r in enumerate(rows)],
                )
                db.executemany(
                    "INSERT OR IGNORE INTO state_feedback VALUES (?, ?)",
                    [(r.account, order_id) for r in rows for order_id in r.feedback],
                )
                db.executemany(
                    "INSERT OR REPLACE INTO state_positions VALUES (?, ?)",
                    [(name, json.dumps(dict(pos), sort_keys=True)) for name, pos in positions.items()],
                )
                db.executemany("INSERT OR REPLACE INTO state_rejected VALUES (?, ?)", list(rejected.items()))
                db.executemany(
                    "INSERT OR REPLACE INTO state_meta VALUES (?, ?)",
                    [(key, json.dumps(value, sort_keys=True)) for key, value in (meta or {}).items()],
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def expired(self, account: str, before_ts: int, below_seq: int) -> list[tuple[int, str]]:
        """``(seq, events)`` of ``account``'s rows not compacted yet whose events are all older than
        ``before_ts`` and that were written before row ``below_seq``."""
        with self._lock:
            return self._db.execute(
                "SELECT seq, events FROM state_journal "
                "WHERE account = ? AND compacted = 0 AND max_ts < ? AND seq < ? ORDER BY seq",
                (account, before_ts, below_seq),
            ).fetchall()

    def feedback_orders(self, account: str) -> set[str]:
        """Orders of ``account`` that ever got feedback (their placement outlives the retention)."""
        with self._lock:
            rows = self._db.execute("SELECT order_id FROM state_feedback WHERE account = ?", (account,))
            return {order_id for (order_id,) in rows}

    def compact(self, rows: list[tuple[int, str | None, int]]) -> None:
        """Replace expired rows ``(seq, kept events or None to drop, count)``, atomically."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "DELETE FROM state_journal WHERE seq = ?",
                    [(seq,) for seq, text, _ in rows if text is None],
                )
                db.executemany(
                    "UPDATE state_journal SET events = ?, count = ?, compacted = 1 WHERE seq = ?",
                    [(text, count, seq) for seq, text, count in rows if text is not None],
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def next_seq(self) -> int:
        """The sequence number the next journal row will get (at least)."""
        with self._lock:
            return self._next_seq()

    def _next_seq(self) -> int:
        # above the saved engine state's row too: compaction may have deleted the newest rows
        row = self._db.execute(
            "SELECT MAX(COALESCE((SELECT MAX(seq) FROM state_journal), 0), "
            "COALESCE((SELECT MAX(seq) FROM state_engine), 0))"
        ).fetchone()
        return row[0] + 1

    def save_engine(self, seq: int, data: bytes) -> None:
        """Keep ``data`` (a saved engine state) as the state after journal rows up to ``seq``, replacing
        the previous one atomically. Stored in parts: SQLite refuses values over a gigabyte."""
        view = memoryview(data)
        parts = [
            (n, seq, view[start : start + ENGINE_PART])
            for n, start in enumerate(range(0, len(data), ENGINE_PART))
        ]
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM state_engine")
                db.executemany("INSERT INTO state_engine VALUES (?, ?, ?)", parts)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def drop_engine(self) -> None:
        """Forget the saved engine state (the journal alone rebuilds the engine)."""
        with self._lock:
            self._db.execute("DELETE FROM state_engine")

    # -- reading -----------------------------------------------------------------------------------

    def saved(self) -> Saved:
        """Positions, rejection counts, engine settings and the number of journalled events."""
        try:
            with self._lock:
                positions = {
                    name: json.loads(text)
                    for name, text in self._db.execute("SELECT source, position FROM state_positions")
                }
                rejected = dict(self._db.execute("SELECT source, count FROM state_rejected"))
                meta = {
                    key: json.loads(value)
                    for key, value in self._db.execute(
                        "SELECT key, value FROM state_meta WHERE key != 'schema_version'"
                    )
                }
                total = self._db.execute("SELECT COALESCE(SUM(count), 0) FROM state_journal").fetchone()[0]
        except (sqlite3.DatabaseError, ValueError) as exc:
            raise self._damaged(exc) from None
        return Saved(positions, rejected, meta, int(total))

    def engine(self) -> tuple[int, bytes] | None:
        """The saved engine state and the last journal row it includes, if there is one."""
        try:
            with self._lock:
                rows = self._db.execute("SELECT part, seq, data FROM state_engine ORDER BY part").fetchall()
        except sqlite3.OperationalError:
            return None  # a read-only file from before saved engine states: no such table
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        if not rows:
            return None
        if [part for part, _, _ in rows] != list(range(len(rows))) or len({seq for _, seq, _ in rows}) != 1:
            log.warning("%s: the saved engine state is incomplete; replaying the whole journal", self.path)
            return None
        return int(rows[0][1]), b"".join(data for _, _, data in rows)

    def journal_events(self, after: int = 0) -> int:
        """How many events the journal holds after row ``after`` (what a restart has to replay)."""
        try:
            with self._lock:
                (count,) = self._db.execute(
                    "SELECT COALESCE(SUM(count), 0) FROM state_journal WHERE seq > ?", (after,)
                ).fetchone()
        except sqlite3.DatabaseError as exc:
            raise self._damaged(exc) from None
        return int(count)

    def journal(self, after: int = 0) -> Iterator[tuple[str, str]]:
        """``(account, encoded events)`` rows after row ``after``, in the order they were applied, streamed."""
        last = after
        while True:
            try:
                with self._lock:
                    rows = self._db.execute(
                        "SELECT seq, account, events FROM state_journal WHERE seq > ? ORDER BY seq LIMIT 64",
                        (last,),
                    ).fetchall()
            except sqlite3.DatabaseError as exc:
                raise self._damaged(exc) from None
            if not rows:
                return
            for seq, account, events in rows:
                last = seq
                yield account, events

    def _damaged(self, exc: Exception) -> StateError:
        return StateError(
            f"state file {self.path} is damaged ({type(exc).__name__}: {exc}); "
            "stop sellerpulse and move the file aside (or give another with --state PATH)"
        )
