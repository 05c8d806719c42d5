"""An index of open items by deadline, for outcomes that change with time alone.

"Not shipped by ``ship_by``", "unanswered for 24 h", "no response for 48 h": these turn bad when the
clock passes a deadline, with no event to say so. Rather than rescanning every open order at each
snapshot, open items live here bucketed by the hour and the day of their deadline, so "how many items
attributed to days ``lo..hi`` have a deadline before ``at``" costs O(days held + items in the hour of
``at``), independent of history. The same structure serves the live queues (overdue, due soon, next
items by deadline).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from ..timeutil import US_PER_DAY, US_PER_HOUR


class DeadlineIndex:
    """Open items ``key -> (deadline, attribution day, payload)`` with range counts by deadline."""

    __slots__ = ("_by_day", "_by_hour", "_items_by_hour", "items")

    def __init__(self) -> None:
        self.items: dict[Hashable, tuple[int, int, Any]] = {}
        self._by_day: dict[int, dict[int, int]] = {}  # deadline's UTC day -> attribution day -> count
        self._by_hour: dict[int, dict[int, int]] = {}  # deadline's UTC hour -> attribution day -> count
        self._items_by_hour: dict[int, dict[Hashable, int]] = {}  # deadline's UTC hour -> key -> deadline

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self.items

    def add(self, key: Hashable, deadline: int, attr_day: int = 0, payload: Any = None) -> None:
        if key in self.items:
            self.discard(key)
        self.items[key] = (deadline, attr_day, payload)
        hour = deadline // US_PER_HOUR
        _bump(self._by_day, deadline // US_PER_DAY, attr_day, 1)
        _bump(self._by_hour, hour, attr_day, 1)
        bucket = self._items_by_hour.get(hour)
        if bucket is None:
            self._items_by_hour[hour] = bucket = {}
        bucket[key] = deadline

    def discard(self, key: Hashable) -> None:
        entry = self.items.pop(key, None)
        if entry is None:
            return
        deadline, attr_day, _ = entry
        hour = deadline // US_PER_HOUR
        _bump(self._by_day, deadline // US_PER_DAY, attr_day, -1)
        _bump(self._by_hour, hour, attr_day, -1)
        bucket = self._items_by_hour[hour]
        del bucket[key]
        if not bucket:
            del self._items_by_hour[hour]

    def count_before(self, at: int, lo: int | None = None, hi: int | None = None) -> int:
        """Items with ``deadline < at`` and, when given, attribution day in ``lo..hi``."""
        day_at = at // US_PER_DAY
        hour_at = at // US_PER_HOUR
        total = 0
        for day, counts in self._by_day.items():
            if day < day_at:
                total += _sum_in(counts, lo, hi)
        for hour in range(day_at * 24, hour_at):
            counts = self._by_hour.get(hour)
            if counts:
                total += _sum_in(counts, lo, hi)
        bucket = self._items_by_hour.get(hour_at)
        if bucket:
            items = self.items
            for key, deadline in bucket.items():
                if deadline < at:
                    attr = items[key][1]
                    if (lo is None or attr >= lo) and (hi is None or attr <= hi):
                        total += 1
        return total

    def first(self, limit: int | None) -> list[tuple[Hashable, int, Any]]:
        """The ``limit`` items with the earliest deadlines (all when ``limit`` is None), in order."""
        out: list[tuple[Hashable, int, Any]] = []
        for hour in sorted(self._items_by_hour):
            bucket = self._items_by_hour[hour]
            for key, deadline in sorted(bucket.items(), key=lambda kv: (kv[1], str(kv[0]))):
                out.append((key, deadline, self.items[key][2]))
                if limit is not None and len(out) >= limit:
                    return out
        return out


def _bump(table: dict[int, dict[int, int]], bucket: int, attr_day: int, delta: int) -> None:
    counts = table.get(bucket)
    if counts is None:
        table[bucket] = counts = {}
    value = counts.get(attr_day, 0) + delta
    if value:
        counts[attr_day] = value
    else:
        del counts[attr_day]
        if not counts:
            del table[bucket]


def _sum_in(counts: dict[int, int], lo: int | None, hi: int | None) -> int:
    if lo is None and hi is None:
        return sum(counts.values())
    return sum(n for day, n in counts.items() if (lo is None or day >= lo) and (hi is None or day <= hi))
