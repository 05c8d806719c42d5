"""Checkpoints: a running :class:`~sellerpulse.core.runtime.Runtime` saved to, and rebuilt from, its state file.

How it stays exact (see :mod:`sellerpulse.core.state_store` for the file):

- Every applied batch reaches :meth:`Checkpointer._collect` through ``runtime.on_batch``, on the
  runtime's event-loop thread, right after the engine applied it and the source's position was taken.
  Its events are encoded at once (a compact JSON row per account) and kept until the next write.
- Writes also run on that thread (a timer on the runtime's loop, every ``interval`` seconds while
  something is pending), so between two batches the collected events, the engine's rejection counts and
  every source's position agree exactly; they go to SQLite in one transaction. The final write, after
  the runtime has stopped, happens in the caller's thread.
- On start, positions are given back to the sources and the journal is replayed into the (empty)
  engine on a background thread, in slices under ``runtime.lock``, so a UI sharing the engine stays
  responsive; only then do the sources start. Replay of an idempotent, deterministic engine rebuilds
  exactly the state the events built, dedup ids and evictions included.
- Replaying a large seller's year takes a minute, so the engine's state is also saved
  (``core/engine/state_file.py``) with the last journal row it includes, when nothing can change it:
  on a clean exit (the sources stopped, the final rows written) and after a start that had to replay
  many rows (before the sources start). A start loads it and replays only the later rows. It is a
  cache: one of another version, profile or time zone, or damaged, is ignored with a warning and the
  whole journal replayed. It is not saved periodically while running: writing it needs the engine
  unchanged for a second or two at a million orders, which would stall ingest and the dashboard; after
  a crash the rows since the last save are replayed (and then saved).
- The journal is compacted by event time: rows of an account whose events are all older than its
  retention (``AccountState.retention_days``) plus :func:`margin_days`, and that were written before
  the engine last evicted (the watermark's day changed), so a replay evicts just what the live engine
  did. They shrink to what outlives eviction: feedback (and the placement of orders that got feedback)
  while a metric such as the lifetime feedback score counts it; otherwise they are dropped.
- A source that re-sends events after a restart (an HTTP cursor is inclusive) is harmless: the engine
  drops what it has seen by ``event_id`` and applies the rest idempotently.
- A write that fails (a full disk) loses nothing: its rows stay pending and the next write retries
  them, and the error is logged once per change, not at every attempt. What is kept unsaved is
  bounded: at :data:`MAX_UNSAVED` events a write is made at once, and if it fails ingest pauses (the
  collector holds the runtime's loop, so no source is asked for more) and the write is retried every
  ``interval`` until it succeeds or the run stops; :meth:`Checkpointer.progress` shows it as the
  saved state's health. Rows are never dropped: a journal with a hole would replay to other numbers.
  A stop that cannot write its last checkpoint says how many events were not saved: the sources read
  them again at the next start, from the positions saved with the last checkpoint that was written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from operator import attrgetter
from typing import Any

from .engine import state_file
from .engine.orders import NO_TS
from .engine.outcomes import OUTLIVES_ORDERS
from .events import KINDS, Event
from .official_state import restore_account_health, saved_account_health
from .sources import Batch, SourceHealth
from .state_store import JournalRow, Saved, StateError, StateStore, problem

log = logging.getLogger("sellerpulse.checkpoint")

ROW_EVENTS = 5_000  # events per journal row: bounds the memory of a write and of a replay step
REPLAY_SLICE = 1_000  # events applied per hold of the runtime lock while replaying
MIN_MARGIN_DAYS = 7
DEFAULT_INTERVAL = 5.0
SAVE_AFTER_REPLAY = 100_000  # a start that replayed more events saves the engine before the sources start
MAX_UNSAVED = 50_000  # events kept in memory while checkpoints fail (about 6 MB); at it ingest pauses

_FIELDS = attrgetter(
    "ts", "kind", "order_id", "event_id", "ref", "channel", "ship_by", "deliver_by", "amount",
    "tracking", "rating", "by", "outcome", "severity",
)  # fmt: skip
_WIDTH = 14
# the refund reason (EVENTS.md, added later) is written only when an event has one: rows written before
# it, and events without one, keep the 14 fields
_WIDTHS = (_WIDTH, _WIDTH + 1)
_FEEDBACK = frozenset({"feedback", "feedback_removed"})


def margin_days(profile: Any) -> int:
    """How long the journal keeps rows past the engine's retention: the profile's horizon (the time in
    which an order's later events still arrive), so the placement of an order the engine has evicted is
    never compacted away while its shipment, feedback or claim sit in rows that stay (replayed without
    their order they would be held as orphans the live engine never had)."""
    return max(MIN_MARGIN_DAYS, int(getattr(profile, "horizon_days", 0)))


def encode_events(events: Iterable[Event]) -> list[JournalRow]:
    """Applied events as journal rows: grouped by account (order kept), at most :data:`ROW_EVENTS` a row."""
    by_account: dict[str, list[Event]] = {}
    for event in events:
        by_account.setdefault(event.account, []).append(event)
    rows = []
    for account, items in by_account.items():
        for start in range(0, len(items), ROW_EVENTS):
            part = items[start : start + ROW_EVENTS]
            feedback = tuple({e.order_id for e in part if e.kind in _FEEDBACK})
            rows.append(JournalRow(account, max(e.ts for e in part), len(part), _encode(part), feedback))
    return rows


def _encode(events: list[Event]) -> str:
    return json.dumps(
        [(*_FIELDS(e), e.reason) if e.reason else _FIELDS(e) for e in events],
        separators=(",", ":"),
        ensure_ascii=False,
    )


def decode_events(account: str, text: str) -> list[Event]:
    """The events of one journal row; :class:`StateError` if the row is not one this code wrote."""
    try:
        values = json.loads(text)
        events = [Event(v[0], v[1], account, *v[2:]) for v in values if len(v) in _WIDTHS]
    except (ValueError, TypeError, IndexError) as exc:
        raise StateError(f"unreadable journal row of account {account!r}: {exc}") from None
    if len(events) != len(values) or any(
        type(e.ts) is not int or e.kind not in KINDS or type(e.rating) is not int or type(e.reason) is not str
        for e in events
    ):
        raise StateError(f"unreadable journal row of account {account!r}: not sellerpulse events")
    return events


def load_saved_engine(store: StateStore, engine: Any, lock: Any = None, drop: bool = False) -> int:
    """Put the engine state saved in ``store`` into the empty ``engine`` (under ``lock``); returns the
    last journal row it includes, 0 when there is none or it cannot be used (then the whole journal
    must be replayed; ``drop`` forgets an unusable one)."""
    found = store.engine()
    if found is None:
        return 0
    seq, data = found
    try:
        loaded = state_file.load(engine, data)
        with lock if lock is not None else nullcontext():
            loaded.install(engine)
    except state_file.StateFileError as exc:
        log.warning(
            "%s: the saved engine state is not used (%s); replaying the whole journal", store.path, exc
        )
        if drop:
            store.drop_engine()
        return 0
    log.info(
        "%s: loaded the saved engine state (%.1f MB, up to journal row %d)", store.path, len(data) / 1e6, seq
    )
    return seq


def replay(
    store: StateStore,
    engine: Any,
    lock: Any = None,
    stop: threading.Event | None = None,
    after: int = 0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Apply the journal of ``store`` after row ``after`` to ``engine`` (in slices under ``lock``);
    returns events applied. ``progress`` is told the running count after each slice. (Not through the
    bulk loader: it is a quarter faster here, but a long-running process keeps the memory its slices
    freed, 265-285 B an order instead of 158; see docs/bulk.md.)"""
    count = 0
    ingest = engine.ingest
    for events in _slices(store.journal(after)):
        if stop is not None and stop.is_set():
            break
        if lock is None:
            ingest(events)
        else:
            with lock:
                ingest(events)
            time.sleep(0)  # let a waiting UI thread run between slices
        count += len(events)
        if progress is not None:
            progress(count)
    return count


def _slices(rows: Iterator[tuple[str, str]]) -> Iterator[list[Event]]:
    pending: list[Event] = []
    for account, text in rows:
        pending.extend(decode_events(account, text))
        if len(pending) >= REPLAY_SLICE:
            yield pending
            pending = []
    if pending:
        yield pending


def restore_engine(store: StateStore, engine: Any) -> Saved:
    """Rebuild ``engine`` from ``store`` at once (``report --state``): the saved engine state and the
    journal after it (or the whole journal), and the rejection counts."""
    saved = store.saved()
    replay(store, engine, after=load_saved_engine(store, engine))
    for source, count in saved.rejected.items():
        engine.rejected[source] = count
    return saved


class Checkpointer:
    """Saves ``runtime`` (engine + source positions) to ``store`` and rebuilds it on start.

    Use: ``cp = Checkpointer(runtime, store); cp.restore_positions(); cp.start()`` instead of
    ``runtime.start_in_thread()``; at the end ``cp.stop()`` (stops the runtime, writes the last
    checkpoint). ``meta`` (JSON-able) is saved along, e.g. the engine's settings for ``report --state``.
    """

    def __init__(
        self,
        runtime: Any,
        store: StateStore,
        interval: float = DEFAULT_INTERVAL,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.interval = max(0.01, float(interval))
        self.meta = dict(meta or {})
        self.ready = threading.Event()  # set once the journal is replayed and the sources started
        self.error: str | None = None
        self.replayed = 0
        # (events replayed, of how many), the how-many -1 while the saved state loads, -2 while saving it
        self._restoring = (0, -1)
        self.last_write: tuple[int, float] = (0, 0.0)  # (events, seconds) of the latest checkpoint
        self._pending: list[JournalRow] = []
        self._guard = threading.Lock()  # pending rows and writes: loop thread vs the final write
        self._timer: asyncio.TimerHandle | None = None
        self._stop = threading.Event()
        self._starter: threading.Thread | None = None
        self._prune: dict[str, list[int]] = {}  # account -> [watermark day, first seq after eviction]
        self._dirty = False  # something was applied since the last write
        self._positions_seen: dict[str, Any] = {}  # each source's position at its latest batch
        self._saved: Saved | None = None
        self._complete = False  # the engine holds exactly the journal (replay done, not stopped)
        self.engine_row = 0  # the last journal row the saved engine state includes (0: none)
        self._saving = threading.Lock()
        self._unsaved = 0  # events in ``_pending``
        self._failing: str | None = None  # why the latest write failed (None: it succeeded)
        self._paused = False  # ingest held until a write succeeds

    # -- starting ----------------------------------------------------------------------------------

    def restore_positions(self) -> Saved:
        """Give the sources their saved positions (before anything starts); returns what was saved."""
        saved = self.store.saved()
        self.runtime.restore(saved.positions)
        prune = saved.meta.get("prune")
        if isinstance(prune, dict):
            self._prune = {
                str(name): [int(value[0]), int(value[1])]
                for name, value in prune.items()
                if isinstance(value, list) and len(value) == 2
            }
        restore_account_health(self.runtime, saved.meta)
        self._saved = saved
        return saved

    def start(self) -> threading.Thread:
        """Replay the journal on a background thread, then start the runtime's sources."""
        if self._saved is None:
            self.restore_positions()
        self._starter = threading.Thread(target=self._start, name="sellerpulse-replay", daemon=True)
        self._starter.start()
        return self._starter

    def _start(self) -> None:
        engine = self.runtime.engine
        began = time.perf_counter()
        try:
            lock = self.runtime.lock
            self.engine_row = load_saved_engine(self.store, engine, lock, drop=True)
            self._restoring = (0, self.store.journal_events(self.engine_row))
            self.replayed = replay(
                self.store, engine, lock, self._stop, self.engine_row, self._replayed_so_far
            )
        except StateError as exc:
            self.error = str(exc)
            log.error("%s", exc)
            self.ready.set()
            return
        assert self._saved is not None
        with self.runtime.lock:
            for source, count in self._saved.rejected.items():
                engine.rejected[source] = count
        if self.replayed or self.engine_row:
            seconds = time.perf_counter() - began
            restored = getattr(engine, "applied", 0) + getattr(engine, "duplicates", 0) or self.replayed
            log.info(
                "restored %d events from %s in %.2f s (%d replayed from the journal%s)",
                restored, self.store.path, seconds, self.replayed,
                f" after the saved engine state of row {self.engine_row}" if self.engine_row else "",
            )  # fmt: skip
        if self._stop.is_set():
            self.ready.set()
            return
        self._complete = True
        if self.replayed >= SAVE_AFTER_REPLAY:
            self._restoring = (self.replayed, -2)
            self.save_engine()  # so that a crash soon after does not mean this long replay again
        self.runtime.on_batch.append(self._collect)
        self.runtime.start_in_thread()
        self.ready.set()

    def _replayed_so_far(self, done: int) -> None:
        self._restoring = (done, self._restoring[1])

    def progress(self) -> SourceHealth | None:
        """What the dashboard shows of the saved state, as a source's health: while it is restored
        (the numbers on screen are still climbing), and while checkpoints fail (what is not saved, and
        whether ingest is paused); None while all is well."""
        failing = self._failing
        if failing is not None:
            paused = "; ingest paused until it can" if self._paused else ", retrying"
            return SourceHealth(
                state="failing",
                events=self._unsaved,
                detail=f"cannot save to {self.store.path.name}: {failing}; "
                f"{self._unsaved:,} events not saved yet{paused}",
            )
        if self.ready.is_set() or self._starter is None:
            return None
        done, total = self._restoring
        if total == -2:
            return SourceHealth(
                state="restoring", events=done, detail="saving the engine state for a fast next start"
            )
        if total < 0:
            return SourceHealth(
                state="restoring", detail=f"loading the saved engine state from {self.store.path.name}"
            )
        return SourceHealth(
            state="restoring",
            events=done,
            detail=f"replaying the saved journal: {done:,} of {total:,} events",
        )

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the sources and write the final checkpoint (when the runtime stopped cleanly). When that
        write fails, :attr:`error` says what was not saved (nothing raises: the next start reads it
        again from the sources)."""
        self._stop.set()
        if self._starter is not None:
            self._starter.join(timeout)
        self.runtime.stop(timeout)
        if self.error is None and self.runtime.finished.is_set():
            try:
                self.flush()
            except Exception as exc:
                self.error = (
                    f"stopping with {self._unsaved:,} events not saved to {self.store.path}: "
                    f"{problem(exc)}; they are read again from the sources at the next start"
                )
                log.error("%s", self.error)
                return
            self.save_engine()
        elif self.error is None and self._collect in self.runtime.on_batch:
            log.warning("the sources did not stop in %.0f s; the last periodic checkpoint stands", timeout)

    def save_engine(self) -> None:
        """Save the engine's state with the last journal row it includes, when something was journalled
        since the saved one. Only while nothing changes the engine (sources not started, or stopped
        and their rows written); reading it meanwhile (a UI) is fine. A failure is logged: the
        journal alone still restores everything."""
        with self._saving:
            if not self._complete:
                return
            seq = self.store.next_seq() - 1
            if seq <= self.engine_row:
                return
            began = time.perf_counter()
            try:
                data = state_file.dump(self.runtime.engine)
                self.store.save_engine(seq, data)
            except Exception as exc:
                log.error(
                    "saving the engine state to %s failed: %s: %s", self.store.path, type(exc).__name__, exc
                )
                return
            self.engine_row = seq
            log.info(
                "saved the engine state to %s: %.1f MB, up to journal row %d, in %.2f s",
                self.store.path, len(data) / 1e6, seq, time.perf_counter() - began,
            )  # fmt: skip

    # -- collecting and writing (the runtime's loop thread) -----------------------------------------

    def _collect(self, source: str, batch: Batch) -> None:
        position = self.runtime.positions().get(source)
        moved, self._positions_seen[source] = position != self._positions_seen.get(source), position
        # An empty batch matters only when it moved the source's position (a report asked for, so a
        # restart polls it instead of asking again).
        if not batch.events and not batch.rejections and not batch.account_health and not moved:
            return
        rows = encode_events(batch.events) if batch.events else []
        with self._guard:
            self._pending.extend(rows)
            self._unsaved += len(batch.events)
            self._dirty = True
        if self._unsaved >= MAX_UNSAVED and not self._attempt():
            self._hold()
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.interval, self._tick)

    def _hold(self) -> None:
        """Pause ingest (this runs on the runtime's loop, between a batch and the next) while
        :data:`MAX_UNSAVED` events wait and cannot be written: retry every ``interval`` until a write
        succeeds or the run stops. So at most MAX_UNSAVED events and one batch are ever unsaved."""
        self._paused = True
        log.warning(
            "ingest paused: %s events read are not saved yet (at most %s are kept unsaved); it resumes "
            "when %s can be written again",
            f"{self._unsaved:,}", f"{MAX_UNSAVED:,}", self.store.path,
        )  # fmt: skip
        try:
            while not self._stop.wait(self.interval):
                if self._attempt():
                    log.info("ingest resumed")
                    return
        finally:
            self._paused = False

    def _tick(self) -> None:
        self._timer = None
        self._attempt()

    def _attempt(self) -> bool:
        """One checkpoint whose failure is logged, not raised: once when the reason changes, at debug
        level at each attempt after it (a full disk must not flood the log); True if it was written."""
        unsaved = self._unsaved
        try:
            self.flush()
        except Exception as exc:
            reason = problem(exc)
            if reason != self._failing:
                log.error(
                    "cannot save to %s: %s; %s events not saved yet, retrying every %g s",
                    self.store.path, reason, f"{self._unsaved:,}", self.interval,
                )  # fmt: skip
            else:
                log.debug("checkpoint to %s failed again: %s", self.store.path, reason)
            self._failing = reason
            return False
        if self._failing is not None:
            log.info(
                "saving to %s works again (it failed: %s); %s events saved",
                self.store.path, self._failing, f"{unsaved:,}",
            )  # fmt: skip
            self._failing = None
        return True

    def flush(self) -> None:
        """Write what was applied since the last checkpoint, with positions and rejection counts; on
        failure (raised) the rows stay pending for the next attempt."""
        with self._guard:
            if not self._dirty:
                return
            rows, self._pending = self._pending, []
            began = time.perf_counter()
            first_seq = self.store.next_seq()
            prunable = self._advance_days(first_seq)
            meta = dict(self.meta, prune=self._prune, **saved_account_health(self.runtime))
            try:
                self.store.checkpoint(
                    rows, self.runtime.positions(), dict(self.runtime.engine.rejected), meta
                )
            except BaseException:
                self._pending[:0] = rows
                raise
            self._dirty = False
            count, self._unsaved = self._unsaved, 0
            for account, before_ts, below_seq in prunable:
                try:
                    self._compact(account, before_ts, below_seq)
                except StateError as exc:  # the rows stay as they are: the next checkpoint tries again
                    log.warning("journal of %s not compacted: %s", account, exc)
            self.last_write = (count, time.perf_counter() - began)
            log.debug("checkpoint: %d events in %.1f ms", count, self.last_write[1] * 1000)

    def _compact(self, account: str, before_ts: int, below_seq: int) -> None:
        """Shrink the rows the engine has evicted to what outlives eviction: the feedback of old
        orders (and their placements), while a metric such as the lifetime feedback score counts it."""
        expired = self.store.expired(account, before_ts, below_seq)
        if not expired:
            return
        profile = self.runtime.engine.account(account).profile
        outlives = any(spec.rule in OUTLIVES_ORDERS for spec in profile.metrics.values())
        orders = self.store.feedback_orders(account) if outlives else set()
        changes: list[tuple[int, str | None, int]] = []
        before = after = 0
        for seq, text in expired:
            events = decode_events(account, text)
            kept = [
                e
                for e in events
                if e.kind in _FEEDBACK or (e.kind == "order_placed" and e.order_id in orders)
            ]
            changes.append((seq, _encode(kept) if kept else None, len(kept)))
            before += len(events)
            after += len(kept)
        self.store.compact(changes)
        log.info(
            "journal of %s: %d events past the retention, %d kept (feedback that outlives its orders)",
            account, before, after,
        )  # fmt: skip

    def _advance_days(self, first_seq: int) -> list[tuple[str, int, int]]:
        """Note each account's watermark day; when it moved, the engine evicted, so rows written so far
        may go once their events are older than the retention. Returns ``(account, before_ts, below_seq)``."""
        engine = self.runtime.engine
        out = []
        for name in getattr(engine, "accounts", ()):
            acc = engine.account(name)
            if acc.watermark == NO_TS:
                continue
            day = acc.days.day(acc.watermark)
            seen = self._prune.get(name)
            if seen is None or seen[0] != day:
                self._prune[name] = seen = [day, first_seq if seen is not None else 0]
            if seen[1]:
                cutoff = acc.days.start(day - acc.retention_days - margin_days(acc.profile))
                out.append((name, cutoff, seen[1]))
        return out
