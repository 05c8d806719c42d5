"""Delivers the outbox to the sinks: one worker thread per sink, retries with exponential back-off and
jitter (:mod:`..backoff`, the rule every retry follows).

Each sink has its own thread, so a sink that hangs until its timeout or fails for an hour delays only
its own deliveries; the engine, the UI and the other sinks never wait for it. A worker wakes when the
manager queues something (:meth:`Dispatcher.wake`) or when a retry falls due, waits ``group_wait``
seconds so a burst of notifications (one evaluation, or a few close together) goes out as one message,
then sends everything due for its sink in one :class:`~.message.AlertMessage`.

Every outcome is written to the store: ``sent``; a retry with its error and next attempt; ``failed``
(a permanent error, or the last attempt) with the error, shown by the UI and ``sellerpulse alerts``.
An error quotes a receiver (a program's stderr, a server's answer): it is masked and made one inert line
(:meth:`.redact.Redactor.line`) before it is stored or logged.
Retry times are wall-clock (the dispatcher's own clock), independent of the evaluation clock.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Mapping

from ..backoff import backoff_delay
from ..clock import Clock, SystemClock
from ..timeutil import US_PER_SECOND
from .message import AlertMessage
from .redact import Redactor
from .sink import DeliveryError, Sink
from .store import Store

log = logging.getLogger("sellerpulse.alerts")

MAX_BACKOFF = 300.0  # seconds
POLL = 5.0  # seconds a worker sleeps when nothing is due (it is woken earlier by new work)


class Dispatcher:
    def __init__(
        self,
        store: Store,
        sinks: Mapping[str, Sink],
        clock: Clock | None = None,
        group_wait: float = 1.0,
        batch_limit: int = 50,
        redactor: Redactor | None = None,
    ) -> None:
        self.store = store
        self.redactor = redactor or Redactor()
        self.sinks = dict(sinks)
        self.clock = clock or SystemClock()
        self.group_wait = group_wait
        self.batch_limit = batch_limit
        self._jitter = random.Random()  # sinks that failed together (a receiver down) retry apart
        self._stop = threading.Event()
        self._wake = {name: threading.Event() for name in self.sinks}
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start one daemon worker per sink; pending deliveries from a previous run go out first."""
        if self._threads:
            return
        for name in self.sinks:
            thread = threading.Thread(target=self._run, args=(name,), name=f"sink-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def wake(self) -> None:
        for event in self._wake.values():
            event.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers (a delivery in progress finishes or times out) and close the sinks."""
        self._stop.set()
        self.wake()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        for sink in self.sinks.values():
            try:
                sink.close()
            except Exception as exc:
                log.warning("sink %s: close failed: %s", sink.name, exc)

    def _run(self, name: str) -> None:
        wake = self._wake[name]
        while not self._stop.is_set():
            wake.clear()
            try:
                due = self.store.next_due(name)
            except Exception as exc:
                log.error("sink %s: cannot read the outbox: %s", name, exc)
                self._stop.wait(POLL)
                continue
            now = self.clock.now()
            if due is None or due > now:
                wait = POLL if due is None else min(POLL, (due - now) / US_PER_SECOND)
                wake.wait(wait)
                continue
            if self.group_wait > 0 and self._stop.wait(self.group_wait):
                return
            try:
                while self.deliver(name) == self.batch_limit and not self._stop.is_set():
                    pass
            except Exception as exc:  # the store itself failed (disk full, locked): try again later
                log.error("sink %s: cannot record a delivery: %s", name, exc)
                self._stop.wait(POLL)

    def deliver(self, name: str) -> int:
        """Send what is due for sink ``name`` now, as one message; returns how many notifications."""
        sink = self.sinks[name]
        now = self.clock.now()
        batch = self.store.due(name, now, self.batch_limit)
        if not batch:
            return 0
        ids = [item.id for item in batch]
        message = AlertMessage(tuple(item.payload for item in batch))
        try:
            sink.send(message)
        except Exception as exc:
            error = str(exc) or type(exc).__name__
            if not isinstance(exc, DeliveryError):
                error = f"{type(exc).__name__}: {error}"
            error = self.redactor.line(error)
            permanent = isinstance(exc, DeliveryError) and exc.permanent
            attempts = max(item.attempts for item in batch) + 1
            done = self.clock.now()
            if permanent or attempts >= sink.retries:
                log.warning("sink %s: gave up on %d notification(s) after %d attempt(s): %s",
                            name, len(ids), attempts, error)  # fmt: skip
                self.store.mark_failed(ids, error, done)
            else:
                delay = backoff_delay(attempts, sink.backoff, MAX_BACKOFF, self._jitter)
                if isinstance(exc, DeliveryError) and exc.retry_after is not None:
                    delay = min(MAX_BACKOFF, max(delay, exc.retry_after))
                log.info("sink %s: attempt %d failed (%s); retry in %.1f s", name, attempts, error, delay)
                self.store.mark_retry(ids, error, done + int(delay * US_PER_SECOND))
            return len(ids)
        self.store.mark_sent(ids, self.clock.now())
        return len(ids)
