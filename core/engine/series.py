"""Day buckets of one outcome rule: population, bad outcomes and (for averages) a sum, per
attribution day, plus the open items whose outcome still depends on the clock.

An item contributes to exactly one day bucket at a time; when an event changes its outcome, the
account retracts the old contribution and adds the new one, so a defect that arrives 40 days late
lands in the 40-days-old bucket and a window query is a sum over its days.
"""

from __future__ import annotations

from collections.abc import Hashable

from .deadlines import DeadlineIndex

# One item's contribution to a series: (attribution day, bad now, deadline after which it turns bad
# if nothing happens (None when settled), a summed quantity). A plain tuple: millions are built
# on the ingest path, and a tuple literal costs a fraction of a NamedTuple call.
Outcome = tuple[int, bool, int | None, int]


class Series:
    __slots__ = ("amount", "bad", "pending", "pending_counts", "pop", "rule")

    def __init__(self, rule: str, pending_counts: bool) -> None:
        self.rule = rule
        # True: an item awaiting its deadline is in the population (late shipments, returns);
        # False: it is left out until it turns bad (a message still inside its 24 h is "pending").
        self.pending_counts = pending_counts
        self.pop: dict[int, int] = {}
        self.bad: dict[int, int] = {}
        self.amount: dict[int, int] = {}
        self.pending = DeadlineIndex()

    def retract(self, key: Hashable, outcome: Outcome) -> None:
        self._add(key, outcome, -1)

    def insert(self, key: Hashable, outcome: Outcome) -> None:
        self._add(key, outcome, 1)

    def _add(self, key: Hashable, outcome: Outcome, sign: int) -> None:
        day, bad, deadline, amount = outcome
        if deadline is not None:
            if sign > 0:
                self.pending.add(key, deadline, day)
            else:
                self.pending.discard(key)
            if not self.pending_counts:
                return
        _bump(self.pop, day, sign)
        if bad:
            _bump(self.bad, day, sign)
        if amount:
            _bump(self.amount, day, sign * amount)

    def totals(self, lo: int, hi: int, at: int) -> tuple[int, int, int]:
        """(population, bad, amount) over attribution days ``lo..hi`` as of ``at``."""
        pop_get, bad_get, amount_get = self.pop.get, self.bad.get, self.amount.get
        pop = bad = amount = 0
        if hi - lo + 1 <= len(self.pop):
            for day in range(lo, hi + 1):
                pop += pop_get(day, 0)
                bad += bad_get(day, 0)
                amount += amount_get(day, 0)
        else:
            pop = sum(n for d, n in self.pop.items() if lo <= d <= hi)
            bad = sum(n for d, n in self.bad.items() if lo <= d <= hi)
            amount = sum(n for d, n in self.amount.items() if lo <= d <= hi)
        late = self.pending.count_before(at, lo, hi) if self.pending else 0
        if late:
            bad += late
            if not self.pending_counts:
                pop += late
        return pop, bad, amount


def _bump(table: dict[int, int], day: int, delta: int) -> None:
    value = table.get(day, 0) + delta
    if value:
        table[day] = value
    else:
        table.pop(day, None)
