"""The runtime: runs the configured sources concurrently and feeds their batches to the engine.

Sources run as asyncio tasks on one event loop. Each batch is applied to the engine under
:attr:`Runtime.lock` (a ``threading.Lock``), and the source's position is captured under the same lock,
so a snapshot or a checkpoint taken from another thread always sees an engine and positions that agree.
A source that raises is marked ``failing`` with its error; the other sources go on. An event the engine
raises on is rejected alone: the rest of its batch counts and its source goes on.

Two ways to run it:

- ``runtime.run_once()``: every source read to its end (``follow=False``), for ``sellerpulse report``.
- ``runtime.start_in_thread()`` / ``runtime.stop()``: the sources follow on a background thread with its
  own event loop, while the UI thread calls ``runtime.snapshot(at)`` and ``runtime.health()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from operator import length_hint
from pathlib import Path
from typing import Any, Protocol

from .backoff import backoff_delay
from .clock import Clock, SystemClock
from .events import Event, Rejection
from .malloc_tuning import fix_mmap_threshold
from .official_records import AccountHealth
from .options import OptionError, validate_options
from .sources import Batch, Source, SourceHealth

log = logging.getLogger("sellerpulse.runtime")

RESERVED_KEYS = ("type", "name")
INGEST_SLICE = 1000  # most events applied per hold of the engine lock (a few milliseconds)
MIN_SLICE = 50  # fewest, when events are slow to apply
SLICE_SECONDS = 0.02  # how long one hold of the lock should last; slices shrink or grow towards it
# a followed source whose stream failed is read again after 5 s, doubling to at most 5 minutes
RESTART_FIRST_SECONDS, RESTART_MOST_SECONDS = 5.0, 300.0
GIVE_WAY_SECONDS = 0.15  # after an operator's key press, ingest pauses this long between slices


class SourceConfigError(ValueError):
    """A ``[[sources]]`` table that cannot become a source; the message names the source."""


class EngineLike(Protocol):
    def ingest(self, events: Iterable[Event]) -> int: ...
    def note_rejections(self, source: str, count: int) -> None: ...
    def snapshot(self, at_us: int, *args: Any, **kwargs: Any) -> Any: ...


BatchCallback = Callable[[str, Batch], None]


Locate = Callable[[int, "str | None"], str]


def build_sources(
    config_sources: Iterable[Mapping[str, Any]],
    plugins: Any,
    origin: str = "config",
    base_dir: str | Path | None = None,
    locate: Locate | None = None,
) -> list[Source]:
    """Turn ``[[sources]]`` tables into source instances, validating everything first.

    ``plugins`` is a :class:`~sellerpulse.core.plugins.Plugins`. Each table needs ``type`` (a
    registered source type); ``name`` defaults to the type and must be unique; the other keys are the
    plugin's declared options. ``origin`` (the config file) prefixes every message, or ``locate(index,
    key)`` gives the place of a table's key (file and line); relative paths resolve against
    ``base_dir``. All problems of all tables are reported in one :class:`SourceConfigError`.
    """
    place: Locate = locate or (lambda _index, _key: origin)
    problems: list[str] = []
    built: list[Source] = []
    names: dict[str, int] = {}
    for index, table in enumerate(config_sources):
        number = index + 1
        where = f"{place(index, 'type')}: [[sources]] #{number}"
        type_name = table.get("type")
        if not isinstance(type_name, str) or not type_name:
            known = ", ".join(sorted(plugins.sources())) or "none"
            problems.append(f"{where}: missing 'type' (one of {known})")
            continue
        name = table.get("name", type_name)
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: 'name' must be non-empty text")
            continue
        label = f"source {name!r} (type {type_name!r})"
        where = f"{place(index, 'name')}: {label}"
        if name in names:
            first = names[name]
            problems.append(f"{where}: duplicate name (also [[sources]] #{first}); give each a unique name")
            continue
        names[name] = number
        try:
            cls = plugins.source_class(type_name)
        except KeyError as exc:
            problems.append(f"{where}: {exc.args[0]}")
            continue
        if not (isinstance(cls, type) and issubclass(cls, Source)):
            problems.append(f"{where}: {cls!r} is not a sellerpulse.core.sources.Source subclass")
            continue
        options = {key: value for key, value in table.items() if key not in RESERVED_KEYS}
        try:
            values = validate_options(
                cls.options,
                options,
                lambda key, _i=index, _l=label: f"{place(_i, key)}: {_l}",
                base_dir=base_dir,
            )
        except OptionError as exc:
            problems.append(str(exc))
            continue
        try:
            built.append(cls(name, values))
        except Exception as exc:
            problems.append(f"{where}: {type(exc).__name__}: {exc}")
    if problems:
        raise SourceConfigError("\n".join(problems))
    return built


def sources_from_config(config: Any, plugins: Any) -> list[Source]:
    """:func:`build_sources` for a loaded :class:`~sellerpulse.core.config.Config`: messages name the
    file and the line of the offending key, relative paths are taken from the config file's folder,
    and secrets (``${VAR}`` values) are masked in every message."""
    from .secrets import mask

    path = config.path

    def locate(index: int, key: str | None) -> str:
        line = config.line_of(("sources", index), key)
        if path is None:
            return "config"
        return f"{path}, line {line}" if line else str(path)

    try:
        return build_sources(
            config.sources,
            plugins,
            base_dir=path.parent if path is not None else None,
            locate=locate,
        )
    except SourceConfigError as exc:
        raise SourceConfigError(mask(str(exc), config.secrets)) from None


class _Taken(list[Event]):
    """Events handed to the engine, telling how many it has taken: when it raises, the last one taken is
    the one it could not apply (the engine applies events one at a time, in order). The engine iterates
    the list's own iterator, at full speed; what that iterator has left is asked only after an error."""

    _iterator: Iterator[Event] | None = None

    def __iter__(self) -> Iterator[Event]:
        self._iterator = super().__iter__()
        return self._iterator

    @property
    def taken(self) -> int:
        return 0 if self._iterator is None else len(self) - length_hint(self._iterator)


class Runtime:
    """Sources -> engine, concurrently, with health, positions and batch callbacks."""

    def __init__(self, engine: EngineLike, sources: Iterable[Source], clock: Clock | None = None) -> None:
        self.engine = engine
        self.sources: list[Source] = list(sources)
        self.clock: Clock = clock or SystemClock()
        self.lock = threading.Lock()
        self.on_batch: list[BatchCallback] = []
        self.finished = threading.Event()
        self._positions: dict[str, dict[str, Any]] = {}
        # Amazon's own numbers: the latest Account Health record per (account, marketplace)
        self._account_health: dict[tuple[str, str], AccountHealth] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._input_at = -1e9  # monotonic time of the last operator input (see note_input)
        self._slice = INGEST_SLICE  # events per hold of the lock (see _fit_slice)
        self._jitter = random.Random()  # spreads the retries of sources that failed together

    # -- positions --------------------------------------------------------------------------------

    def restore(self, positions: Mapping[str, Mapping[str, Any]]) -> None:
        """Give each source its saved position (before running). Unknown names are ignored."""
        for source in self.sources:
            saved = positions.get(source.name)
            if saved:
                source.restore(saved)
                self._positions[source.name] = dict(saved)

    def positions(self) -> dict[str, dict[str, Any]]:
        """Each source's position as of the last batch the engine has applied (consistent with it)."""
        with self.lock:
            return {name: dict(position) for name, position in self._positions.items()}

    # -- running ----------------------------------------------------------------------------------

    async def run(self, follow: bool) -> None:
        """Run every source until it ends (or until cancelled when following)."""
        fix_mmap_threshold()  # ingest holds growing arrays for hours: keep them out of the heap's holes
        self.finished.clear()
        tasks = [asyncio.create_task(self._drive(s, follow), name=s.name) for s in self.sources]
        try:
            if tasks:
                await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for source in self.sources:
                try:
                    await source.aclose()
                except Exception as exc:
                    log.warning("source %s: close failed: %s: %s", source.name, type(exc).__name__, exc)
            self.finished.set()

    def run_once(self) -> dict[str, SourceHealth]:
        """Read every source to its end once (``follow=False``); returns their health."""
        asyncio.run(self.run(follow=False))
        return self.health()

    async def _drive(self, source: Source, follow: bool) -> None:
        """Feed ``source``'s batches to the engine until its stream ends. When following, a stream that
        fails is asked again after a back-off (it goes on from its position): a fault nobody foresaw,
        a server's or a file's, must not stop a source for the rest of the run."""
        failures = 0
        last_error = shown = None
        while True:
            error = await self._read(source, follow, shown)
            if error is None:
                if source.health().state != "failing":
                    source.set_state("done")
                return
            if not follow:
                source.report_error(error)
                log.error("source %s failed: %s", source.name, error)
                return
            failures = 1 if source.health().state != "failing" else failures + 1
            delay = backoff_delay(failures, RESTART_FIRST_SECONDS, RESTART_MOST_SECONDS, self._jitter)
            shown = f"{error} (trying again in {delay:.0f} s)"
            source.report_error(shown)
            # said once per different error: a source failing the same way every few minutes is one line
            (log.error if error != last_error else log.debug)(
                "source %s failed: %s; trying again in %.0f s", source.name, error, delay
            )
            last_error = error
            await asyncio.sleep(delay)

    async def _read(self, source: Source, follow: bool, failed: str | None = None) -> str | None:
        """Apply one run of ``source.batches(follow)``; the error that ended it, or None if it ended.
        ``failed`` is the error shown since the previous run failed: a batch delivered now clears it."""
        stream = source.batches(follow)
        try:
            async for batch in stream:
                self._apply(source, batch)
                if failed is not None and source.health().last_error == failed:
                    source.set_state("ok")
                await asyncio.sleep(0)  # let the other sources in between two batches
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"
        finally:
            closer = getattr(stream, "aclose", None)
            if closer is not None:
                try:
                    await closer()
                except Exception as exc:
                    log.warning("source %s: closing its stream failed: %s", source.name, exc)
        return None

    def _apply(self, source: Source, batch: Batch) -> None:
        now = self.clock.now()
        # A big batch goes in slices, letting go of the lock (and the interpreter) in between, so a
        # dashboard taking a snapshot never waits for a whole batch. The position moves only with the
        # last slice, so a checkpoint never pairs it with half a batch.
        events = batch.events
        failed: list[int] = []  # indexes of events the engine could not apply
        start = 0
        while True:
            part = events[start : start + self._slice]
            start += len(part)
            last = start >= len(events)
            with self.lock:
                began = time.perf_counter()
                if part:
                    failed.extend(start - len(part) + i for i in self._ingest(source, part, batch))
                held = time.perf_counter() - began
                if last:
                    if batch.rejections:
                        self.engine.note_rejections(source.name, len(batch.rejections))
                    self._positions[source.name] = source.position()
                    for record in batch.account_health:
                        self._account_health[(record.account, record.marketplace_id)] = record
            if part:
                self._fit_slice(len(part), held)
            if last:
                break
            self._give_way()
        if failed:  # the journal and the other callbacks see only what the engine holds
            skip = set(failed)
            batch.events = [event for index, event in enumerate(events) if index not in skip]
        source.record_batch(batch, now)
        self._give_way()  # before the source is asked for more
        for callback in list(self.on_batch):
            try:
                callback(source.name, batch)
            except Exception as exc:
                log.error("batch callback %r failed: %s: %s", callback, type(exc).__name__, exc)

    def _ingest(self, source: Source, part: list[Event], batch: Batch) -> list[int]:
        """Apply ``part``; an event the engine raises on becomes a rejection in ``batch`` and the events
        after it still go in. Returns the failed events' indexes in ``part``.

        Validation keeps such events out of the built-in sources; this is for the one it did not
        foresee, or a plugin's hand-built event, which must cost that event only, never the source.
        An error before the engine took any event is not an event's fault: it is raised.
        """
        failed: list[int] = []
        start = 0
        while start < len(part):
            rest = _Taken(part[start:] if start else part)
            try:
                self.engine.ingest(rest)
                break
            except Exception as exc:
                if not rest.taken:
                    raise
                index = start + rest.taken - 1
                event = part[index]
                failed.append(index)
                what = f"event {event.kind} {event.order_id or event.ref or event.event_id}".rstrip()
                reason = f"the engine could not apply it: {type(exc).__name__}: {exc}"
                batch.rejections.append(Rejection(source.name, what, reason))
                log.error("source %s: %s: %s", source.name, what, reason)
                start = index + 1
        return failed

    def _fit_slice(self, size: int, seconds: float) -> None:
        """Size the next slice so that a hold of the lock lasts about ``SLICE_SECONDS``. Events are not
        equally dear: while the engine's tables grow, each one can cost ten times the usual, and a
        fixed count of them held the lock (and most of the interpreter) for 100-300 ms."""
        wanted = int(size * SLICE_SECONDS / max(seconds, 1e-6))
        self._slice = max(MIN_SLICE, min(INGEST_SLICE, wanted, 2 * self._slice))

    def note_input(self) -> None:
        """An operator just pressed a key: ingest gives way for a moment (see :meth:`_give_way`)."""
        self._input_at = time.monotonic()

    def _give_way(self) -> None:
        """Between two slices of a batch: let other threads run, and while an operator's key press is
        being answered, pause. Python runs one thread at a time, so without this a busy ingest would
        take most of the interpreter from the dashboard exactly when someone is using it."""
        waited = time.monotonic() - self._input_at
        time.sleep(GIVE_WAY_SECONDS - waited if waited < GIVE_WAY_SECONDS else 0)

    def start_in_thread(self, follow: bool = True) -> threading.Thread:
        """Run the sources on a background thread with its own event loop; returns the thread."""
        if self._thread is not None and self._thread.is_alive():
            raise RuntimeError("the runtime is already running")
        started = threading.Event()

        def main() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._task = loop.create_task(self.run(follow))
            started.set()
            try:
                loop.run_until_complete(self._task)
            except asyncio.CancelledError:
                pass
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self.finished.clear()
        self._thread = threading.Thread(target=main, name="sellerpulse-runtime", daemon=True)
        self._thread.start()
        started.wait()
        return self._thread

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel the sources and wait for the background thread to finish."""
        loop, task, thread = self._loop, self._task, self._thread
        if loop is not None and task is not None and not task.done():
            with contextlib.suppress(RuntimeError):  # the loop closed in between: already stopped
                loop.call_soon_threadsafe(task.cancel)
        if thread is not None:
            thread.join(timeout)

    # -- reading (any thread) ---------------------------------------------------------------------

    def snapshot(self, at: int | None = None, **kwargs: Any) -> Any:
        """The engine's snapshot as of ``at`` (default: the clock's now), taken under the lock."""
        when = self.clock.now() if at is None else at
        with self.lock:
            return self.engine.snapshot(when, **kwargs)

    def health(self) -> dict[str, SourceHealth]:
        return {source.name: source.health() for source in self.sources}

    def account_health(self) -> list[AccountHealth]:
        """The latest Account Health record of each account and marketplace, by account and marketplace
        (what a source handed over in :attr:`Batch.account_health`, or a checkpoint restored)."""
        with self.lock:
            return [self._account_health[key] for key in sorted(self._account_health)]

    def restore_account_health(self, records: Iterable[AccountHealth]) -> None:
        """Hold ``records`` (a restart's saved ones) as the latest of their account and marketplace;
        called before running, as :meth:`restore` is (without the lock, which a caller may hold)."""
        for record in records:
            self._account_health[(record.account, record.marketplace_id)] = record

    def source(self, name: str) -> Source:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)
