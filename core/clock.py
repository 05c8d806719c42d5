"""Clocks, injected everywhere an instant is needed: live mode uses wall time, replay uses event time,
the demo an accelerated clock, tests a fixed one. Nothing in the engine reads the system time itself."""

from __future__ import annotations

import time
from typing import Protocol

from .timeutil import US_PER_SECOND


class Clock(Protocol):
    def now(self) -> int:
        """The current instant in microseconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> int:
        return time.time_ns() // 1_000


class FixedClock:
    """A clock that moves only when told to (tests, snapshots, replays)."""

    def __init__(self, at: int) -> None:
        self.at = at

    def now(self) -> int:
        return self.at

    def advance(self, us: int) -> None:
        self.at += us


class ScaledClock:
    """Simulated time that starts at ``start`` and runs ``speed`` times faster than real time."""

    def __init__(self, start: int, speed: float = 1.0, monotonic=time.monotonic) -> None:
        self.start = start
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()

    def now(self) -> int:
        return self.start + int((self._monotonic() - self._origin) * self.speed * US_PER_SECOND)
