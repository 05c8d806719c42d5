"""A source that sends nothing but garbage is *failing*, not merely "ok with rejections".

:class:`GarbageGuard` watches each source's batches (``runtime.on_batch``). When the last
``window`` rows of a source were all rejected, it marks the source ``failing`` with the count and the
latest reason, so the operator sees a broken feed (wrong file, changed export format, an API answering
HTML) instead of a quiet dashboard. The first batch that brings an event again makes it ``ok``. A
source that says ``ok`` after every answer, however bad (a poller), is marked again every
:data:`RECHECK` seconds by a timer on the runtime's loop. The source itself keeps its own pace (file
polls, API intervals with back-off): nothing is retried faster.
"""

from __future__ import annotations

import asyncio
from typing import Any

from .sources import Batch

WINDOW = 200  # consecutive rejected rows that make a source failing
RECHECK = 1.0  # seconds between re-markings of a failing source


class GarbageGuard:
    def __init__(self, runtime: Any, window: int = WINDOW) -> None:
        self.runtime = runtime
        self.window = window
        self._streak: dict[str, int] = {}  # source -> rows rejected since its last event
        self._last: dict[str, str] = {}  # source -> the latest rejection (position: reason)
        self._timer: asyncio.TimerHandle | None = None
        runtime.on_batch.append(self.on_batch)

    def on_batch(self, name: str, batch: Batch) -> None:
        if batch.events:
            source = self.runtime.source(name)
            if self._streak.get(name, 0) >= self.window:
                source.set_state("ok")
            self._streak[name] = 0
            self._last.pop(name, None)
            return
        if not batch.rejections:
            return
        last = batch.rejections[-1]
        self._last[name] = f"{last.position}: {last.reason}"
        self._streak[name] = self._streak.get(name, 0) + len(batch.rejections)
        self._flag(name, always=True)
        if self._timer is None and self._streak[name] >= self.window:
            self._timer = asyncio.get_running_loop().call_later(RECHECK, self._recheck)

    def _recheck(self) -> None:
        self._timer = None
        self.poll()
        if any(streak >= self.window for streak in self._streak.values()):
            self._timer = asyncio.get_running_loop().call_later(RECHECK, self._recheck)

    def poll(self) -> None:
        """Mark failing again every source over the limit that reported itself fine since (a poller
        says ``ok`` after each answer, however bad); call it on a timer."""
        for name in self._streak:
            self._flag(name, always=False)

    def _flag(self, name: str, always: bool) -> None:
        streak = self._streak[name]
        if streak < self.window:
            return
        source = self.runtime.source(name)
        if always or source.health().state != "failing":
            source.report_error(f"every row of the last {streak} was rejected (latest: {self._last[name]})")
