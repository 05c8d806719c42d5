"""The checkpoint tables (``state_*``) in the shared SQLite state file: an event journal and positions.

The engine is deterministic and idempotent, so the events it applied *are* its state: replaying them
into a fresh engine rebuilds every record, bucket, open-item index and dedup id exactly. The journal
therefore stores applied events (compact JSON rows, a bounded number of events a row), and each
checkpoint appends only what was applied since the previous one, together with every source's position
and the rejection counts, in ONE transaction. A crash at any instant leaves either the previous
checkpoint or the new one, never a mix, so a restart resumes each source exactly where the saved engine
stopped: nothing is lost and nothing is counted twice.

The file is shared with the alerts (``alert_*`` tables, WAL). Only real damage (SQLite says the file
is not a database or is malformed, or its integrity check fails) moves a file aside, as
``NAME.corrupt-<timestamp>`` (with its ``-wal`` and ``-shm``), reported. Anything else leaves it
untouched and refuses with a message that says what it is: a file locked by another process (waited
for :data:`LOCK_WAIT` seconds first), a folder that cannot be written, a file written by a newer
sellerpulse.

One process at a time writes a state file: a writing store holds an OS lock (``flock``) on
``NAME.lock`` beside the real file (symlinks resolved) for its whole life, and a second writer is
refused at once, naming the process holding it (the kernel drops the lock when that process dies, even
by SIGKILL). A file with several names (hard links) is refused: each name would get its own WAL.
Readers (``report --state``, ``sellerpulse alerts``) take no such lock: SQLite's WAL lets them read
while a run writes; ``sellerpulse alerts`` first checks the file is a state file
(:func:`check_state_file`), as it adds its tables to it.
The state file, its companions and the lock file are private (0600): they hold the seller's orders.

``state_engine`` may hold one saved engine state (``core/engine/state_file.py``) with the sequence
number of the last journal row it includes: a restart loads it and replays only the rows after it. It
is a cache: the journal alone rebuilds the same engine. Journal rows are numbered above it even when
compaction has deleted the newest rows, so a row written after a save is never taken for one in it.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
ENGINE_PART = 256 << 20  # bytes of a saved engine state per row of ``state_engine``
LOCK_WAIT = 10.0  # seconds a state file locked by another process is waited for before refusing
BUSY_MS = 10_000  # once open: how long a write waits for another connection's (the alerts, a CLI) turn
PRIVATE = 0o600
COMPANIONS = ("-wal", "-shm")

# SQLite's primary result codes (an error's ``sqlite_errorcode & 0xff``)
_BUSY, _LOCKED, _CORRUPT, _FULL, _NOTADB = 5, 6, 11, 13, 26

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


class StateLocked(StateError):
    """Another process holds the file locked (or another sellerpulse writes it): it was left untouched."""


class StateWriteError(StateError):
    """A write failed (the file is unchanged: the transaction was rolled back); :attr:`reason` says why
    in a few words (see :func:`problem`), :attr:`disk_full` when that was for want of space."""

    def __init__(self, message: str, reason: str, disk_full: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.disk_full = disk_full


class _Damaged(Exception):
    """The file opened but its content is not a usable state (integrity check, bookkeeping)."""


def _code(exc: BaseException) -> int:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF


def is_locked(exc: BaseException) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED: another connection holds the file; waiting may help, moving it never."""
    return _code(exc) in (_BUSY, _LOCKED)


def is_disk_full(exc: BaseException) -> bool:
    return _code(exc) == _FULL or (isinstance(exc, OSError) and exc.errno == errno.ENOSPC)


def _is_damaged(exc: BaseException) -> bool:
    return isinstance(exc, _Damaged | ValueError) or _code(exc) in (_CORRUPT, _NOTADB)


def problem(exc: BaseException) -> str:
    """An error as the operator should read it: "disk full (database or disk is full)", "locked by
    another process (database is locked)", else its own words."""
    if isinstance(exc, StateWriteError):
        return exc.reason
    if is_disk_full(exc):
        return f"disk full ({exc})"
    if is_locked(exc):
        return f"locked by another process ({exc})"
    return f"{type(exc).__name__}: {exc}"


def require_existing(path: str | Path) -> Path:
    """``path`` if a state file is there; else :class:`StateError` (commands that only read or amend a
    state must not create an empty one at a mistyped path)."""
    path = Path(path)
    if not path.is_file():
        raise StateError(
            f"no state file at {path} (sellerpulse creates it when it first runs; check --state "
            "or [general] state)"
        )
    return path


def _make_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it is missing (SQLite gives its ``-wal`` and ``-shm`` the
    same mode); take group and other access away from an existing one of ours (older versions
    created it 0644). A folder that cannot be written raises ``OSError`` for a missing file only."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
        return
    except FileExistsError:
        pass
    for name in (path.name, *(path.name + c for c in COMPANIONS)):
        try:
            info = os.stat(path.with_name(name))
            if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
                os.chmod(path.with_name(name), stat.S_IMODE(info.st_mode) & 0o700)
        except OSError:  # missing, or a read-only folder: nothing to tighten, or nothing we can do
            pass


def _one_name(path: Path) -> None:
    """:class:`StateError` when the file at ``path`` has several names (hard links). SQLite keeps the
    write-ahead log beside the name it was given, so two names of one file get two logs and writing
    through both corrupts it; and a lock beside one name is not seen through the other."""
    try:
        names = os.stat(path).st_nlink
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StateError(f"state file {path} cannot be used ({exc.strerror})") from None
    if names > 1:
        raise StateError(
            f"state file {path} has {names} names (hard links): SQLite keeps a write-ahead log beside each "
            "name, so writing it under two names corrupts it; keep one name (copy it, or use a symlink), "
            "or give another --state PATH (the file was left untouched)"
        )


def _writer_lock(path: Path) -> int:
    """Take the one-writer lock of the state file ``path`` (``flock`` on ``NAME.lock`` beside the real
    file, so every symlink to it shares the lock; a file with several names is refused); returns its
    file descriptor, held open while the store lives. :class:`StateLocked` when another process has it."""
    real = path.resolve()
    lock = real.with_name(real.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, PRIVATE)
    except OSError as exc:
        try:  # an existing lock file in a read-only folder still locks
            fd = os.open(lock, os.O_RDONLY)
        except OSError:
            raise StateError(
                f"state file {path} cannot be used: cannot create its lock file {lock} ({exc.strerror}); "
                "the state file was left untouched"
            ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _lock_holder(fd)
        os.close(fd)
        raise StateLocked(
            f"state file {path} is in use by another sellerpulse{holder}: one run at a time writes a "
            f"state file (its lock: {lock}); stop the other, or give this one another --state PATH"
        ) from None
    try:
        _one_name(path)
    except StateError:
        os.close(fd)
        raise
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:  # opened read-only: the lock holds, the pid is not told
        pass
    return fd


def _lock_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return f" (pid {text})" if text.isdigit() else ""


def _waiting(path: Path, connect: Any) -> Any:
    """``connect()``, tried again while another process holds the file locked, for up to
    :data:`LOCK_WAIT` seconds; then :class:`StateLocked`. A lock is never damage."""
    deadline = time.monotonic() + LOCK_WAIT
    told = False
    while True:
        try:
            return connect()
        except sqlite3.DatabaseError as exc:
            if not is_locked(exc):
                raise
        if time.monotonic() >= deadline:
            raise _locked(path)
        if not told:
            log.warning("state file %s is locked by another process; waiting up to %g s", path, LOCK_WAIT)
            told = True
        time.sleep(0.05)


def _locked(path: Path) -> StateLocked:
    return StateLocked(
        f"state file {path} is locked by another process (waited {LOCK_WAIT:g} s); it was left untouched: "
        "end what holds it (a sqlite3 shell, a backup, another program) and start again"
    )


def _unwritable(path: Path, exc: BaseException) -> StateError:
    return StateError(
        f"state file {path} cannot be written ({problem(exc)}); it was left untouched "
        "(is its folder read-only, or the disk full?)"
    )


def unusable(path: Path, exc: BaseException) -> StateError:
    """What to tell when SQLite refuses another connection to the state file ``path`` (the alerts'
    tables) what it asked: a lock held past :data:`LOCK_WAIT`, a file that is not a database, else a
    file or folder that cannot be written. Never moves anything: only the state store's own writer does."""
    if is_locked(exc):
        return _locked(path)
    if _is_damaged(exc):
        return StateError(
            f"{path} is not a sellerpulse state file, or is damaged ({exc}); it was left untouched"
        )
    return _unwritable(path, exc)


def check_state_file(path: str | Path) -> Path:
    """``path`` if a sellerpulse state file is there that can be used now, else :class:`StateError`
    saying why, the file untouched. For commands that open it with their own connection and write to it
    (``sellerpulse alerts``): SQLite would turn an empty file into a database, or add tables to another
    program's one. A state file is a SQLite database holding the ``state_meta`` or ``alert_meta`` table;
    it is read-only probed (a lock is waited for, as a writer does), and must have one name."""
    path = require_existing(path)
    _one_name(path)

    def probe() -> set[str]:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.05)
        try:
            return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()

    try:
        tables = _waiting(path, probe)
    except sqlite3.Error as exc:
        raise unusable(path, exc) from None
    if not tables & {"state_meta", "alert_meta"}:
        raise StateError(f"{path} is not a sellerpulse state file (it has no state_meta or alert_meta table)")
    return path


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
    """Rename ``path`` (and its WAL companions) to ``path.corrupt-<UTC timestamp>``, private (0600);
    returns the new name. ``OSError`` when the folder does not allow it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    suffix = 1
    while backup.exists():
        suffix += 1
        backup = path.with_name(f"{path.name}.corrupt-{stamp}-{suffix}")
    os.replace(path, backup)
    moved = [backup]
    for companion in COMPANIONS:
        extra = path.with_name(path.name + companion)
        if extra.exists():
            moved.append(backup.with_name(backup.name + companion))
            os.replace(extra, moved[-1])
    for name in moved:
        os.chmod(name, PRIVATE)
    log.error("state file %s is unusable (%s); moved aside to %s, starting empty", path, reason, backup)
    return backup


class StateStore:
    """The ``state_*`` tables of one state file. Thread-safe (one connection behind a lock)."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._lock_fd: int | None = None
        if readonly:
            self._db = _waiting(self.path, self._reader)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = _writer_lock(self.path)
        try:
            self._db = self._open()
        except BaseException:
            self._release()
            raise

    def _open(self) -> sqlite3.Connection:
        """The write connection (the file created private), moving the file aside only if it is damaged."""
        try:
            _make_private(self.path)
        except OSError as exc:
            raise StateError(f"state file {self.path} cannot be created ({exc.strerror})") from None
        try:
            return _waiting(self.path, self._connect)
        except StateError:
            raise
        except Exception as exc:
            if not _is_damaged(exc):
                raise _unwritable(self.path, exc) from None
            reason = str(exc)
        try:
            backup = move_aside(self.path, reason)
        except OSError as exc:
            raise StateError(
                f"state file {self.path} is damaged ({reason}) and could not be moved aside "
                f"({exc.strerror}): move it away yourself, or give another with --state PATH"
            ) from None
        raise StateCorrupt(
            f"state file {self.path} is damaged ({reason}); it was moved aside to {backup} "
            "and a new one will be started",
            backup,
        )

    @classmethod
    def open(cls, path: str | Path) -> tuple[StateStore, str | None]:
        """Open ``path``; a damaged file is moved aside and a fresh one started. Returns the store and,
        when that happened, the warning to show the operator. Anything else that keeps the file from
        being used (a lock, another writer, a read-only folder, a newer schema) raises :class:`StateError`
        and leaves it untouched."""
        try:
            return cls(path), None
        except StateCorrupt as exc:
            return cls(path), str(exc)

    def _connect(self) -> sqlite3.Connection:
        # a short busy timeout while opening: _waiting retries, and says that it waits
        db = sqlite3.connect(str(self.path), timeout=0.05, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # a saved engine state passes through the WAL (hundreds of MB at a million orders): let
            # the WAL shrink back after it is checkpointed instead of keeping that size on disk
            db.execute("PRAGMA journal_size_limit=67108864")
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _Damaged(f"integrity check failed: {check}")
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                row = db.execute("SELECT value FROM state_meta WHERE key = 'schema_version'").fetchone()
                if row is None:
                    db.execute("INSERT INTO state_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
                elif int(row[0]) > SCHEMA_VERSION:
                    raise StateError(
                        f"state file {self.path} was written by a newer sellerpulse (state schema {row[0]}, "
                        f"this one reads {SCHEMA_VERSION}); upgrade sellerpulse, or give another file with "
                        "--state PATH (the file was left untouched)"
                    )
            except BaseException:
                _rollback(db)
                raise
            db.execute("COMMIT")
            db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        except BaseException:
            db.close()
            raise
        return db

    def _reader(self) -> sqlite3.Connection:
        """A read-only connection (``report --state``): nothing is created, moved or written."""
        require_existing(self.path)
        db = sqlite3.connect(
            f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=0.05, check_same_thread=False
        )
        try:
            row = db.execute("SELECT value FROM state_meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            db.close()
            if is_locked(exc):
                raise
            raise StateError(f"{self.path} is not a sellerpulse state file ({exc})") from None
        if row is None or not str(row[0]).isdigit() or int(row[0]) > SCHEMA_VERSION:
            db.close()
            raise StateError(
                f"{self.path}: state schema {row[0] if row else 'missing'}, this sellerpulse reads "
                f"{SCHEMA_VERSION}; upgrade sellerpulse"
            )
        db.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._release()

    def _release(self) -> None:
        """Let go of the one-writer lock (the lock file stays: removing it would race a new writer)."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writing -----------------------------------------------------------------------------------

    def checkpoint(
        self,
        rows: list[JournalRow],
        positions: Mapping[str, Mapping[str, Any]],
        rejected: Mapping[str, int],
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        """Append ``rows`` and replace positions, rejection counts and ``meta`` entries (JSON), atomically."""
        with self._writing() as db:
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

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. A failure rolls it back (if SQLite has not already: it does on a full
        disk) and is raised as :class:`StateWriteError` saying what it was, the file unchanged."""
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                    db.execute("COMMIT")
                except BaseException:
                    _rollback(db)
                    raise
            except sqlite3.DatabaseError as exc:
                reason = problem(exc)
                raise StateWriteError(
                    f"cannot write to state file {self.path}: {reason}", reason, is_disk_full(exc)
                ) from None

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
        with self._writing() as db:
            db.executemany(
                "DELETE FROM state_journal WHERE seq = ?",
                [(seq,) for seq, text, _ in rows if text is None],
            )
            db.executemany(
                "UPDATE state_journal SET events = ?, count = ?, compacted = 1 WHERE seq = ?",
                [(text, count, seq) for seq, text, count in rows if text is not None],
            )

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
        with self._writing() as db:
            db.execute("DELETE FROM state_engine")
            db.executemany("INSERT INTO state_engine VALUES (?, ?, ?)", parts)

    def drop_engine(self) -> None:
        """Forget the saved engine state (the journal alone rebuilds the engine)."""
        with self._writing() as db:
            db.execute("DELETE FROM state_engine")

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
            raise self._unreadable(exc) from None
        return Saved(positions, rejected, meta, int(total))

    def engine(self) -> tuple[int, bytes] | None:
        """The saved engine state and the last journal row it includes, if there is one."""
        try:
            with self._lock:
                rows = self._db.execute("SELECT part, seq, data FROM state_engine ORDER BY part").fetchall()
        except sqlite3.DatabaseError as exc:
            if "no such table" in str(exc):
                return None  # a read-only file from before saved engine states
            raise self._unreadable(exc) from None
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
            raise self._unreadable(exc) from None
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
                raise self._unreadable(exc) from None
            if not rows:
                return
            for seq, account, events in rows:
                last = seq
                yield account, events

    def _unreadable(self, exc: Exception) -> StateError:
        if is_locked(exc):
            return StateLocked(
                f"state file {self.path} is locked by another process (waited {LOCK_WAIT:g} s); try again "
                "when it is done"
            )
        if _is_damaged(exc):
            return StateError(
                f"state file {self.path} is damaged ({type(exc).__name__}: {exc}); "
                "stop sellerpulse and move the file aside (or give another with --state PATH)"
            )
        return StateError(f"state file {self.path} cannot be read ({problem(exc)})")


def _rollback(db: sqlite3.Connection) -> None:
    """End a failed transaction, unless SQLite already has (then ROLLBACK itself would fail and hide
    the real error behind "cannot rollback - no transaction is active")."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            log.debug("rollback after a failed write failed too", exc_info=True)
