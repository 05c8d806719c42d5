"""When rules are evaluated: on a timer, and once after a batch import settles; never per event.

The runtime calls :meth:`AlertScheduler.batch_applied` after every batch it applies (``runtime.on_batch``);
that only sets a flag. The scheduler's own thread evaluates ``settle`` seconds after the first batch of a
burst (so a backfill of a thousand batches is judged once, on its result) and otherwise every
``interval`` seconds, which is what moves ``for``, ``keep_firing_for``, ``repeat`` and the queue deadlines
along while no data arrives. The snapshot is taken through a callable so the engine is read under the
runtime's lock; an evaluation that raises is logged and the next one goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..clock import Clock
from ..snapshot import Snapshot
from ..sources import SourceHealth
from .manager import AlertManager

log = logging.getLogger("sellerpulse.alerts")


class AlertScheduler:
    def __init__(
        self,
        manager: AlertManager,
        snapshot: Callable[[int], Snapshot],
        health: Callable[[], Mapping[str, SourceHealth]],
        clock: Clock,
        interval: float = 15.0,
        settle: float = 1.0,
    ) -> None:
        self.manager = manager
        self._snapshot = snapshot
        self._health = health
        self.clock = clock
        self.interval = interval
        self.settle = settle
        self.evaluations = 0
        self._batch = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def batch_applied(self, *_: Any) -> None:
        """Note that a batch was imported (a ``runtime.on_batch`` callback: cheap, any thread)."""
        self._batch.set()

    def evaluate_now(self) -> list[dict[str, Any]]:
        """One evaluation on the caller's thread; returns the notifications it queued."""
        snapshot = self._snapshot(self.clock.now())
        queued = self.manager.evaluate(snapshot, self._health())
        self.evaluations += 1
        return queued

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alert-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._batch.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            if self._batch.wait(self.interval):
                # a burst of batches: wait until it settles (each new batch restarts the wait), but a
                # steady stream is still judged every ``interval``
                deadline = time.monotonic() + self.interval
                while not self._stop.is_set():
                    self._batch.clear()
                    left = deadline - time.monotonic()
                    if left <= 0 or not self._batch.wait(min(self.settle, left)):
                        break
            if self._stop.is_set():
                return
            try:
                self.evaluate_now()
            except Exception:
                log.exception("alert evaluation failed")
