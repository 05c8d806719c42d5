"""Snapshots: the plain, immutable result of asking the engine "how healthy is it, as of ``at``?".

Everything outside the engine (report, UI, alerts) reads these and nothing else, so the UI never
touches engine internals and a snapshot can be rendered, compared or serialised at leisure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .profile import LIFETIME_FROM_DAY, plural_noun
from .timeutil import format_instant, iso_day


@dataclass(frozen=True, slots=True)
class MetricValue:
    id: str
    name: str
    value: float | int | None
    numerator: int | None
    denominator: int | None
    target: str | None
    warn: str | None
    direction: str | None
    status: str  # ok | warning | breach | no_data | info
    headroom: int | None
    window_from: int  # day ordinal, inclusive
    window_to: int
    unit: str = "%"
    bad_noun: str = "bad outcome"
    # daily values of this metric for the days before the snapshot's day, oldest first (when asked for)
    history: tuple[float | None, ...] = ()
    # a rate past its target is a breach only with more bad outcomes than this (the profile's allowed_count)
    allowed_count: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "target": _number(self.target),
            "warn": _number(self.warn),
            "direction": self.direction,
            "status": self.status,
            "headroom": self.headroom,
            "window": {"from": window_start(self), "to": iso_day(self.window_to)},
            **({"allowed_count": self.allowed_count} if self.allowed_count is not None else {}),
        }


def window_start(metric: MetricValue) -> str | None:
    """The first day of the metric's window, or None for a lifetime window (it has no first day a reader
    could use: ``0001-01-01`` is only how the engine spells "from the start")."""
    return None if metric.window_from <= LIFETIME_FROM_DAY else iso_day(metric.window_from)


def _number(text: str | None) -> int | float | None:
    """A profile's exact decimal text as the JSON number it is, so ``target`` compares with ``value``."""
    if text is None:
        return None
    exact = Decimal(text)
    return int(exact) if exact == exact.to_integral_value() else float(exact)


@dataclass(frozen=True, slots=True)
class RangeValue:
    """A metric measured over an explicit range of local days (``first_day..last_day``, ordinals) rather
    than its window: value, numerator and denominator as in :class:`MetricValue`. ``held_from`` and
    ``held_to`` are the first and last days holding any item of the metric at all (None when none
    does): when they do not reach the ends of the range, our events do not cover all of it."""

    metric_id: str
    value: float | int | None
    numerator: int | None
    denominator: int | None
    first_day: int
    last_day: int
    held_from: int | None
    held_to: int | None


def format_metric_value(metric: MetricValue, value: float | int | None = None) -> str:
    """A metric's value (its own, or one of its history's) with its unit: ``0.45 %``, ``3.2 h``, ``2``;
    ``no data`` without one. One wording for the report, the dashboard and the plan of action."""
    v = metric.value if value is None else value
    if v is None:
        return "no data"
    if metric.unit == "%":
        return f"{v * 100:.2f} %"
    if metric.unit == "h":
        return f"{v:.1f} h"
    if metric.unit == "count":
        return str(int(v))
    return f"{v:g} {metric.unit}"


# a target's comparison per direction: (sign, ASCII sign, words for prose)
TARGET_COMPARISON = {
    "below": ("<", "<", "below"),
    "above": ("≥", ">=", "at least"),
    "at_most": ("≤", "<=", "at most"),
}


def format_target(
    metric: MetricValue, *, ascii_only: bool = False, words: bool = False, exact: bool = True
) -> str:
    """A metric's goal as a comparison: ``< 1.00 %``, ``≥ 95.00 %``, ``≤ 2``; "" without a target. One
    rule for the report, the dashboard and the plan of action, which differ only in how they say it:
    ``ascii_only`` gives ``>=`` and ``<=``, ``words`` gives "at least 95.00 %" for prose, and ``exact=False``
    drops a rate's trailing zeros (``< 1 %``) where a column is narrow."""
    if metric.target is None:
        return ""
    sign, ascii_sign, word = TARGET_COMPARISON.get(metric.direction or "", TARGET_COMPARISON["at_most"])
    amount = Decimal(metric.target)
    if metric.unit == "%":
        amount *= 100
        shown = f"{amount:.2f} %" if exact else f"{amount.normalize():f} %"
    else:
        shown = f"{amount.normalize():f}"
    return f"{word if words else ascii_sign if ascii_only else sign} {shown}"


def over_target(m: MetricValue) -> int | None:
    """Bad outcomes beyond what the target allows, with the denominator as it is now (None where the
    metric has no ratio or target). One rule for the dashboard's "over by 4 defects" and the plan of
    action's "over the target by 4 defects"."""
    if m.numerator is None or not m.denominator or m.target is None:
        return None
    t = Decimal(m.target)
    d = m.denominator
    if m.direction == "below":
        return m.numerator - (math.ceil(t * d) - 1)
    if m.direction == "above":
        bad = d - m.numerator
        return bad - math.floor(d * (1 - t))
    if m.direction == "at_most":
        over = m.numerator - math.floor(t * d)
        # with an allowed count, a breach ends once either the rate or the count is back within bounds
        return over if m.allowed_count is None else min(over, m.numerator - m.allowed_count)
    return None


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One thing an operator must act on: a message, claim, return or order, and its deadline."""

    ref: str
    order_id: str
    since: int  # when it started (received, opened, requested, placed), microseconds
    deadline: int  # microseconds

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "order_id": self.order_id or None,
            "since": format_instant(self.since),
            "deadline": format_instant(self.deadline),
        }


@dataclass(frozen=True, slots=True)
class QueueValue:
    id: str
    name: str
    count: int
    overdue: int
    due_soon: int
    items: tuple[QueueItem, ...]  # the first items by deadline (at most the snapshot's item limit)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "overdue": self.overdue,
            "due_soon": self.due_soon,
            "items": [item.to_json() for item in self.items],
        }


@dataclass(frozen=True, slots=True)
class LevelValue:
    """The seller level a profile's ladder gives an account now (eBay's Top Rated, Above Standard, ...),
    and how far the next level down is: ``headroom`` more bad outcomes of metric ``binding`` (the
    nearest of the level's bounds), with the denominators as they are now."""

    level: str  # the level's name
    level_id: str
    next_down: str | None = None  # the name of the level below; None at the floor
    headroom: int | None = None  # None at the floor, or while no bound has data
    binding: str | None = None  # the metric id whose bound is nearest
    bad_noun: str = "bad outcome"  # of ``binding``
    missed: tuple[str, ...] = ()  # metric ids whose bound of the level above is missed

    def describe(self) -> str:
        """``Above Standard; 3 more defects to Below Standard``."""
        if self.next_down is None or self.headroom is None:
            return self.level
        if self.headroom == 0:
            return f"{self.level}; the next {self.bad_noun} drops it to {self.next_down}"
        return f"{self.level}; {self.headroom} more {plural_noun(self.bad_noun, self.headroom)} to {self.next_down}"

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "id": self.level_id,
            "next_down": self.next_down,
            "headroom": self.headroom,
            "binding": self.binding,
            "missed": list(self.missed),
        }


@dataclass(frozen=True, slots=True)
class AccountSnapshot:
    account: str
    profile: str
    timezone: str
    day: int  # the local day of ``at``
    metrics: dict[str, MetricValue]
    queues: dict[str, QueueValue]
    orphans: int = 0
    orders_held: int = 0
    # weekly customer-service figures (id -> weeks, oldest first), when the snapshot was asked for them;
    # each week has ``to_json()`` (see ``core.engine.weekly.WeekValue``)
    weekly: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    marketplace: str = ""  # the profile's marketplace ("Amazon", "Walmart", "eBay")
    level: LevelValue | None = None  # when the profile has a ladder of seller levels

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "marketplace": self.marketplace,
            **({"level": self.level.to_json()} if self.level is not None else {}),
            "timezone": self.timezone,
            "day": iso_day(self.day),
            "orphans": self.orphans,
            "metrics": {mid: m.to_json() for mid, m in self.metrics.items()},
            "queues": {qid: q.to_json() for qid, q in self.queues.items()},
            **(
                {"weekly": {wid: [w.to_json() for w in weeks] for wid, weeks in self.weekly.items()}}
                if self.weekly
                else {}
            ),
        }


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: int
    accounts: dict[str, AccountSnapshot]
    rejected: dict[str, int] = field(default_factory=dict)  # per source

    def to_json(self) -> dict[str, Any]:
        return {
            "at": format_instant(self.at),
            "accounts": {name: acc.to_json() for name, acc in sorted(self.accounts.items())},
            "rejected": [{"source": s, "count": n} for s, n in sorted(self.rejected.items())],
            "rejected_rows": sum(self.rejected.values()),
        }
