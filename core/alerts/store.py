"""Durable alert state in SQLite (WAL): instances, the notification log, the outbox, silences.

The order of writes is the delivery guarantee. An evaluation steps every instance and, in the same
transaction, appends its notifications to the log and one outbox row per sink; only after the commit
does the dispatcher send. So a crash before the commit loses nothing that was promised (the next
evaluation sees the same condition and the same timers), and a crash after it re-sends from the outbox
(at least once; each notification carries an idempotency key so a receiver can drop a repeat).
A notification's key is unique in the log, so a second evaluation of the same transition cannot queue it
twice. Tables are named ``alert_*``: the state file is shared with the rest of the application.

One connection, guarded by a lock, serves every thread (engine, dispatcher workers, UI); other
processes (``sellerpulse alerts silence``) write through their own connection and WAL lets them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import state_store
from .state import Instance

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alert_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS alert_instances (
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    state TEXT NOT NULL,
    active_since INTEGER,
    episode INTEGER,
    recovering_since INTEGER,
    last_notified INTEGER,
    repeats INTEGER NOT NULL DEFAULT 0,
    announced INTEGER NOT NULL DEFAULT 0,
    acked INTEGER,
    changed INTEGER NOT NULL,
    value TEXT,
    summary TEXT NOT NULL DEFAULT '',
    error TEXT,
    PRIMARY KEY (rule, labels)
);
CREATE TABLE IF NOT EXISTS alert_notifications (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    created INTEGER NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alert_outbox (
    id INTEGER PRIMARY KEY,
    notification INTEGER NOT NULL REFERENCES alert_notifications(id),
    sink TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done INTEGER,
    UNIQUE (notification, sink)
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (sink, status, next_attempt);
CREATE TABLE IF NOT EXISTS alert_silences (
    id INTEGER PRIMARY KEY,
    rule TEXT,
    account TEXT,
    until INTEGER NOT NULL,
    created INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
"""

_INSTANCE_FIELDS = (
    "state", "active_since", "episode", "recovering_since", "last_notified", "repeats", "announced",
    "acked", "changed", "value", "summary", "error",
)  # fmt: skip


class StoreError(RuntimeError):
    """A state file this version cannot use."""


@dataclass(frozen=True, slots=True)
class Silence:
    id: int
    rule: str | None
    account: str | None
    until: int
    created: int
    comment: str = ""

    def matches(self, rule: str, labels: dict[str, str]) -> bool:
        return (self.rule is None or self.rule == rule) and (
            self.account is None or labels.get("account") == self.account
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row handed to a sink, with its notification's payload."""

    id: int
    attempts: int
    payload: dict[str, Any]


class Store:
    def __init__(self, path: str | Path) -> None:
        """Open (creating the ``alert_*`` tables) the state file ``path``. Another process holding it
        locked is waited for as the state store waits (``state_store.LOCK_WAIT``); SQLite refusing it
        raises the state store's :class:`~sellerpulse.core.state_store.StateError` saying why."""
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            str(self.path), timeout=state_store.LOCK_WAIT, isolation_level=None, check_same_thread=False
        )
        try:
            self._create()
        except sqlite3.Error as exc:
            self._db.close()
            raise state_store.unusable(self.path, exc) from None
        except BaseException:
            self._db.close()
            raise
        self._db.execute(f"PRAGMA busy_timeout={state_store.BUSY_MS}")

    def _create(self) -> None:
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self.transaction():
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            row = self._db.execute("SELECT value FROM alert_meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO alert_meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
                )
            elif int(row[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: alert tables are schema version {row[0]}, newer than this sellerpulse "
                    f"understands ({SCHEMA_VERSION}); upgrade sellerpulse"
                )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An immediate (write-locking) transaction, so concurrent writers serialise cleanly."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- instances ---------------------------------------------------------------------------------

    def load_instances(self) -> dict[tuple[str, str], Instance]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT rule, labels, {', '.join(_INSTANCE_FIELDS)} FROM alert_instances"
            )
            out = {}
            for row in rows:
                values = dict(zip(_INSTANCE_FIELDS, row[2:], strict=True))
                values["announced"] = bool(values["announced"])
                out[(row[0], row[1])] = Instance(rule=row[0], labels=json.loads(row[1]), **values)
            return out

    def save_instance(self, key: str, instance: Instance) -> None:
        values = [getattr(instance, name) for name in _INSTANCE_FIELDS]
        values[_INSTANCE_FIELDS.index("announced")] = int(instance.announced)
        columns = ", ".join(("rule", "labels", *_INSTANCE_FIELDS))
        marks = ", ".join("?" * (len(_INSTANCE_FIELDS) + 2))
        with self._lock:
            self._db.execute(f"INSERT OR REPLACE INTO alert_instances ({columns}) VALUES ({marks})",
                             (instance.rule, key, *values))  # fmt: skip

    def acknowledge(self, rule: str, account: str | None, now: int) -> int:
        """Mark the firing instances of ``rule`` (of ``account``) acknowledged: no repeats this episode."""
        with self.transaction() as db:
            count = 0
            for labels, episode in db.execute(
                "SELECT labels, episode FROM alert_instances WHERE rule = ? AND episode IS NOT NULL", (rule,)
            ).fetchall():
                if account is None or json.loads(labels).get("account") == account:
                    db.execute("UPDATE alert_instances SET acked = ? WHERE rule = ? AND labels = ? AND episode = ?",
                               (now, rule, labels, episode))  # fmt: skip
                    count += 1
            return count

    # -- silences ----------------------------------------------------------------------------------

    def add_silence(
        self, rule: str | None, account: str | None, until: int, now: int, comment: str = ""
    ) -> int:
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO alert_silences (rule, account, until, created, comment) VALUES (?, ?, ?, ?, ?)",
                (rule, account, until, now, comment),
            )
            return int(cursor.lastrowid or 0)

    def silences(self, now: int) -> list[Silence]:
        """The silences still in force at ``now``."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, rule, account, until, created, comment FROM alert_silences WHERE until > ? ORDER BY id",
                (now,),
            ).fetchall()
        return [Silence(*row) for row in rows]

    # -- notifications and the outbox --------------------------------------------------------------

    def add_notification(self, payload: dict[str, Any], sinks: list[str], now: int) -> bool:
        """Log a notification and queue it for ``sinks``; False if its key was already logged."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO alert_notifications (key, rule, labels, kind, severity, created, payload) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (payload["key"], payload["rule"], json.dumps(payload["labels"], sort_keys=True), payload["kind"],
                 payload["severity"], now, json.dumps(payload, sort_keys=True)),
            )  # fmt: skip
            if cursor.rowcount == 0:
                return False
            self._db.executemany(
                "INSERT INTO alert_outbox (notification, sink) VALUES (?, ?)",
                [(cursor.lastrowid, sink) for sink in sinks],
            )
            return True

    def next_due(self, sink: str) -> int | None:
        """When the earliest pending delivery for ``sink`` may be attempted (None: nothing pending)."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt) FROM alert_outbox WHERE sink = ? AND status = 'pending'", (sink,)
            ).fetchone()
        return row[0]

    def due(self, sink: str, now: int, limit: int) -> list[Delivery]:
        """Pending deliveries for ``sink`` whose time has come, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT o.id, o.attempts, n.payload FROM alert_outbox o JOIN alert_notifications n "
                "ON n.id = o.notification WHERE o.sink = ? AND o.status = 'pending' AND o.next_attempt <= ? "
                "ORDER BY o.id LIMIT ?",
                (sink, now, limit),
            ).fetchall()
        return [Delivery(row[0], row[1], json.loads(row[2])) for row in rows]

    def mark_sent(self, ids: list[int], now: int) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE alert_outbox SET status = 'sent', attempts = attempts + 1, done = ? WHERE id = ?",
                [(now, i) for i in ids],
            )

    def mark_retry(self, ids: list[int], error: str, next_attempt: int) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, next_attempt = ? WHERE id = ?",
                [(error, next_attempt, i) for i in ids],
            )

    def mark_failed(self, ids: list[int], error: str, now: int) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE alert_outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, done = ? "
                "WHERE id = ?",
                [(error, now, i) for i in ids],
            )

    # -- reads for the UI and the CLI --------------------------------------------------------------

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The latest notifications, newest first, each with its delivery status per sink."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, payload FROM alert_notifications ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
            out = []
            for notification_id, payload in rows:
                item = json.loads(payload)
                item["deliveries"] = [
                    {"sink": sink, "status": status, "attempts": attempts, "error": error}
                    for sink, status, attempts, error in self._db.execute(
                        "SELECT sink, status, attempts, last_error FROM alert_outbox WHERE notification = ? "
                        "ORDER BY sink",
                        (notification_id,),
                    )
                ]
                out.append(item)
            return out

    def failures(self, limit: int) -> list[dict[str, Any]]:
        """Deliveries that failed for good or are being retried, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT o.sink, o.status, o.attempts, o.last_error, n.rule, n.kind, n.labels, n.key "
                "FROM alert_outbox o JOIN alert_notifications n ON n.id = o.notification "
                "WHERE o.status = 'failed' OR (o.status = 'pending' AND o.last_error IS NOT NULL) "
                "ORDER BY o.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("sink", "status", "attempts", "error", "rule", "kind", "labels", "key")
        return [{**dict(zip(keys, row, strict=True)), "labels": json.loads(row[6])} for row in rows]

    def delivery_counts(self) -> dict[str, int]:
        """Outbox rows by status (``pending``, ``sent``, ``failed``)."""
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM alert_outbox GROUP BY status").fetchall()
        return dict(rows)
