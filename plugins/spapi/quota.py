"""SP-API usage plans: a token bucket per operation, so the source never asks faster than Amazon allows.

Each operation has its own rate (requests per second, restored continuously) and burst (the most
requests kept in hand). A call takes one token, waiting when the bucket is empty: the wait is shown in
the source's health ("waiting for quota"), since it is what a seller sees when the data stops moving.
Amazon may send the rate it applies in ``x-amzn-RateLimit-Limit`` ("when available"): when it does, that
rate replaces the default. A 429 empties the bucket, so the next call waits a whole interval.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

# operation -> (requests per second, burst): Amazon's documented defaults (docs/sp-api.md)
DEFAULT_LIMITS: Mapping[str, tuple[float, int]] = {
    "getOrders": (0.0167, 20),
    "createReport": (0.0167, 15),
    "getReport": (2.0, 15),
    "getReports": (0.0222, 10),
    "getReportDocument": (0.0167, 15),
}
FALLBACK_LIMIT = (0.0167, 1)  # an operation without a documented plan: the slowest one


@dataclass(slots=True)
class TokenBucket:
    """``burst`` tokens at most, ``rate`` restored per second; instants in seconds (a monotonic clock)."""

    rate: float
    burst: int
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def wait(self, now: float) -> float:
        """Seconds until a token is in hand (0 when one is now)."""
        self.refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class Quotas:
    """The buckets of one selling-partner authorisation (Amazon counts per application and seller).

    ``limits`` overrides :data:`DEFAULT_LIMITS` per operation; ``clock`` and ``sleep`` are injectable
    so tests need not wait a minute.
    """

    def __init__(
        self,
        limits: Mapping[str, tuple[float, int]] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        for operation, (rate, burst) in self.limits.items():
            if not (rate > 0 and math.isfinite(rate)) or burst < 1:
                raise ValueError(f"rate limit of {operation}: rate must be above 0 and burst at least 1")
        self.clock = clock
        self.sleep = sleep
        self._buckets: dict[str, TokenBucket] = {}

    def bucket(self, operation: str) -> TokenBucket:
        found = self._buckets.get(operation)
        if found is None:
            rate, burst = self.limits.get(operation, FALLBACK_LIMIT)
            found = self._buckets[operation] = TokenBucket(rate, burst, float(burst), self.clock())
        return found

    async def acquire(self, operation: str, on_wait: Callable[[str, float], None] | None = None) -> None:
        """Take a token of ``operation``, first waiting for one: ``on_wait(operation, seconds)`` is told
        before the wait and ``on_wait(operation, 0)`` when it is over."""
        bucket = self.bucket(operation)
        waited = False
        while (seconds := bucket.wait(self.clock())) > 0:
            waited = True
            if on_wait is not None:
                on_wait(operation, seconds)
            await self.sleep(seconds)
        bucket.tokens -= 1
        if waited and on_wait is not None:
            on_wait(operation, 0.0)

    def observe(self, operation: str, header: str | None) -> None:
        """Adopt the rate Amazon states in ``x-amzn-RateLimit-Limit`` (ignored when unreadable)."""
        try:
            rate = float(header) if header else 0.0
        except ValueError:
            return
        if rate > 0 and math.isfinite(rate):
            self.bucket(operation).rate = rate

    def throttled(self, operation: str) -> None:
        """A 429: the bucket is empty whatever we counted (another client may share the seller's plan)."""
        bucket = self.bucket(operation)
        bucket.refill(self.clock())
        bucket.tokens = min(bucket.tokens, 0.0)
