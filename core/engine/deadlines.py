"""An index of open items by deadline, for outcomes that change with time alone.

"Not shipped by ``ship_by``", "unanswered for 24 h", "no response for 48 h": these turn bad when the
clock passes a deadline, with no event to say so. Rather than rescanning every open order at each
snapshot, open items live here bucketed by the UTC day and hour of their deadline, so "how many items
attributed to days ``lo..hi`` have a deadline before ``at``" costs O(days held + items in the hour of
``at``), independent of history. The same structure serves the live queues (overdue, due soon, next
items by deadline).

Each bucket keeps the range of attribution days it has held. When that range lies inside ``lo..hi``
(nearly always: an item is due soon after the day it is attributed to) the bucket is counted whole;
only a bucket straddling the window's edge is looked into item by item. The range only widens while
a bucket lives, which keeps it a safe bound and keeps ``add`` and ``discard`` a handful of dict
operations on the ingest path.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..timeutil import US_PER_DAY, US_PER_HOUR


class DeadlineIndex:
    """Open items ``key -> (deadline, attribution day, payload)`` with range counts by deadline."""

    __slots__ = ("_day_count", "_day_range", "_hour_items", "_hour_range", "items")

    def __init__(self) -> None:
        self.items: dict[Hashable, tuple[int, int, Any]] = {}
        self._day_count: dict[int, int] = {}  # deadline's UTC day -> open items
        self._day_range: dict[int, tuple[int, int]] = {}  # deadline's UTC day -> (min, max) attribution day
        self._hour_items: dict[int, dict[Hashable, int]] = {}  # deadline's UTC hour -> key -> deadline
        self._hour_range: dict[int, tuple[int, int]] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.items

    def add(self, key: Hashable, deadline: int, attr_day: int = 0, payload: Any = None) -> None:
        if key in self.items:
            self.discard(key)
        self.items[key] = (deadline, attr_day, payload)
        day = deadline // US_PER_DAY
        hour = deadline // US_PER_HOUR
        count = self._day_count.get(day)
        if count is None:
            self._day_count[day] = 1
            self._day_range[day] = (attr_day, attr_day)
        else:
            self._day_count[day] = count + 1
            lo, hi = self._day_range[day]
            if attr_day < lo or attr_day > hi:
                self._day_range[day] = (min(lo, attr_day), max(hi, attr_day))
        bucket = self._hour_items.get(hour)
        if bucket is None:
            self._hour_items[hour] = {key: deadline}
            self._hour_range[hour] = (attr_day, attr_day)
        else:
            bucket[key] = deadline
            lo, hi = self._hour_range[hour]
            if attr_day < lo or attr_day > hi:
                self._hour_range[hour] = (min(lo, attr_day), max(hi, attr_day))

    def discard(self, key: Hashable) -> None:
        entry = self.items.pop(key, None)
        if entry is None:
            return
        deadline = entry[0]
        day = deadline // US_PER_DAY
        count = self._day_count[day] - 1
        if count:
            self._day_count[day] = count
        else:
            del self._day_count[day], self._day_range[day]
        hour = deadline // US_PER_HOUR
        bucket = self._hour_items[hour]
        del bucket[key]
        if not bucket:
            del self._hour_items[hour], self._hour_range[hour]

    def count_before(self, at: int, lo: int | None = None, hi: int | None = None) -> int:
        """Items with ``deadline < at`` and, when given, attribution day in ``lo..hi``."""
        low = -(2**62) if lo is None else lo
        high = 2**62 if hi is None else hi
        day_at = at // US_PER_DAY
        hour_at = at // US_PER_HOUR
        total = 0
        for day, count in self._day_count.items():
            if day < day_at:
                first, last = self._day_range[day]
                if low <= first and last <= high:
                    total += count
                else:
                    for hour in range(day * 24, day * 24 + 24):
                        total += self._count_hour(hour, at, low, high)
        for hour in range(day_at * 24, hour_at + 1):
            total += self._count_hour(hour, at, low, high)
        return total

    def _count_hour(self, hour: int, at: int, low: int, high: int) -> int:
        bucket = self._hour_items.get(hour)
        if not bucket:
            return 0
        first, last = self._hour_range[hour]
        whole = low <= first and last <= high
        if whole and (hour + 1) * US_PER_HOUR <= at:
            return len(bucket)
        items = self.items
        total = 0
        for key, deadline in bucket.items():
            if deadline < at and (whole or low <= items[key][1] <= high):
                total += 1
        return total

    def first(self, limit: int | None) -> list[tuple[Hashable, int, Any]]:
        """The ``limit`` items with the earliest deadlines (all when ``limit`` is None), in order."""
        out: list[tuple[Hashable, int, Any]] = []
        for hour in sorted(self._hour_items):
            bucket = self._hour_items[hour]
            for key, deadline in sorted(bucket.items(), key=lambda kv: (kv[1], str(kv[0]))):
                out.append((key, deadline, self.items[key][2]))
                if limit is not None and len(out) >= limit:
                    return out
        return out
