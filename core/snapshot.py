"""Snapshots: the plain, immutable result of asking the engine "how healthy is it, as of ``at``?".

Everything outside the engine (report, UI, alerts) reads these and nothing else, so the UI never
touches engine internals and a snapshot can be rendered, compared or serialised at leisure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "target": self.target,
            "warn": self.warn,
            "direction": self.direction,
            "status": self.status,
            "headroom": self.headroom,
            "window": {"from": iso_day(self.window_from), "to": iso_day(self.window_to)},
        }


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

    def to_json(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
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
