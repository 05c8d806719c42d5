"""Reading an account: window sums into metric values, open-item indexes into queues.

A query touches only day buckets and open items, never the event history: O(days in the windows +
open items near ``at``).
"""

from __future__ import annotations

from ..profile import MetricSpec
from ..snapshot import MetricValue, QueueItem, QueueValue
from ..timeutil import US_PER_HOUR
from .account import AccountState
from .outcomes import GOOD_NUMERATOR
from .status import count_status, rate_status


def metric_value(
    acc: AccountState, spec: MetricSpec, at: int, day: int, history_days: int = 0
) -> MetricValue:
    value = _measure(acc, spec, at, day)
    history: tuple[float | int | None, ...] = ()
    if history_days:
        days = acc.days
        history = tuple(
            _measure(acc, spec, days.start(d + 1) - 1, d)[0] for d in range(day - history_days, day)
        )
    number, numerator, denominator, status, headroom = value
    lo, hi = acc.window(spec, day)
    return MetricValue(
        id=spec.id,
        name=spec.name,
        value=number,
        numerator=numerator,
        denominator=denominator,
        target=None if spec.target is None else str(spec.target),
        warn=None if spec.warn is None or spec.target is None else str(spec.warn),
        direction=spec.direction,
        status=status,
        headroom=headroom,
        window_from=lo,
        window_to=hi,
        unit=spec.unit,
        bad_noun=spec.bad_noun,
        history=history,
        allowed_count=spec.allowed_count,
    )


def _measure(
    acc: AccountState, spec: MetricSpec, at: int, day: int
) -> tuple[float | int | None, int | None, int | None, str, int | None]:
    """(value, numerator, denominator, status, headroom) of one metric as of ``at`` (local ``day``)."""
    return measure_days(acc, spec, *acc.window(spec, day), at)


def measure_days(
    acc: AccountState, spec: MetricSpec, lo: int, hi: int, at: int
) -> tuple[float | int | None, int | None, int | None, str, int | None]:
    """(value, numerator, denominator, status, headroom) of one metric over the attribution days
    ``lo..hi`` (local, inclusive) as of ``at``: its window's measure, or any other range's (Amazon's
    reporting range, to put our value beside theirs)."""
    population, bad, amount = acc.series[spec.id].totals(lo, hi, at)
    if spec.rule == "policy_violations":
        return bad, bad, None, count_status(bad, spec.target), None
    if spec.rule == "response_hours":
        if not population:
            return None, None, 0, "no_data", None
        return amount / population / US_PER_HOUR, None, population, "info", None
    status, headroom = rate_status(
        bad, population, spec.direction, spec.target, spec.warn, spec.allowed_count
    )
    numerator = population - bad if spec.direction == "above" or spec.rule in GOOD_NUMERATOR else bad
    value = numerator / population if population else None
    return value, numerator, population, status, headroom


def queue_value(acc: AccountState, queue_id: str, at: int, items: int) -> QueueValue:
    index = acc.queues[queue_id]
    overdue = index.count_before(at)
    due_soon = index.count_before(at + acc.profile.due_soon_hours * US_PER_HOUR + 1) - overdue
    return QueueValue(
        id=queue_id,
        name=acc.profile.queues[queue_id].name,
        count=len(index),
        overdue=overdue,
        due_soon=due_soon,
        items=tuple(queue_items(acc, queue_id, items)),
    )


def queue_items(acc: AccountState, queue_id: str, limit: int | None) -> list[QueueItem]:
    return [
        QueueItem(ref=str(key), order_id=order_id, since=since, deadline=deadline)
        for key, deadline, (order_id, since) in acc.queues[queue_id].first(limit)
    ]
