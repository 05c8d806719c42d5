"""The weekly customer-service figures of ``METRICS.md`` section 6, for the current (partial) week and
the complete weeks before it, Monday to Sunday in the account's time zone.

First Contact Resolution depends on whole threads (a later buyer message undoes an earlier
resolution), so these figures are computed on demand from the messages held, O(messages in the
weeks), rather than kept in day buckets: the dashboard's customer-service screen and ``report`` ask for
them; the per-refresh snapshot does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..profile import MetricSpec
from ..timeutil import US_PER_HOUR
from .account import AccountState
from .orders import INF_TS
from .records import Message
from .status import rate_status


@dataclass(frozen=True, slots=True)
class WeekValue:
    week_from: int  # Monday (day ordinal)
    week_to: int  # Sunday
    value: float | None
    numerator: int | None
    denominator: int
    status: str
    partial: bool  # the current week, still running

    def to_json(self) -> dict[str, object]:
        return {
            "week": {
                "from": date.fromordinal(self.week_from).isoformat(),
                "to": date.fromordinal(self.week_to).isoformat(),
            },
            "value": self.value,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "status": self.status,
            "partial": self.partial,
        }


def week_start(day: int) -> int:
    """The Monday of the week of ``day`` (ordinal 1, 0001-01-01, was a Monday)."""
    return day - (day - 1) % 7


def weekly_values(acc: AccountState, at: int) -> dict[str, tuple[WeekValue, ...]]:
    """Every weekly metric of the account's profile, oldest week first."""
    profile = acc.profile
    current = week_start(acc.days.day(at))
    weeks = [current - 7 * k for k in range(profile.weeks_back, -1, -1)]
    first = acc.days.start(weeks[0])
    day_of = acc.days.day
    messages = [m for m in acc.messages.values() if first <= m.received <= at]
    out: dict[str, tuple[WeekValue, ...]] = {}
    for spec in profile.weekly.values():
        if spec.rule == "cs_rating":
            counts = _survey_counts(acc, first, at)
        elif spec.rule == "response_hours":
            counts = _response_counts(messages, day_of)
        else:
            threshold = (spec.threshold_hours or 72) * US_PER_HOUR
            counts = _resolution_counts(messages, day_of, threshold, at)
        out[spec.id] = tuple(_value(spec, week, counts.get(week, (0, 0)), week == current) for week in weeks)
    return out


def _value(spec: MetricSpec, week: int, counts: tuple[int, int], partial: bool) -> WeekValue:
    numerator, denominator = counts
    if spec.rule == "response_hours":
        # ``numerator`` holds the summed microseconds to first reply
        value = numerator / denominator / US_PER_HOUR if denominator else None
        status = "info" if denominator else "no_data"
        return WeekValue(week, week + 6, value, None, denominator, status, partial)
    status, _ = rate_status(denominator - numerator, denominator, spec.direction, spec.target, spec.warn)
    value = numerator / denominator if denominator else None
    return WeekValue(week, week + 6, value, numerator, denominator, status, partial)


def _survey_counts(acc: AccountState, first: int, at: int) -> dict[int, tuple[int, int]]:
    """Per week: (yes answers, answers), one answer per message (its latest), in the answer's week."""
    counts: dict[int, tuple[int, int]] = {}
    for msg in acc.messages.values():
        if msg.survey is not None and first <= msg.survey[0] <= at:
            week = week_start(acc.days.day(msg.survey[0]))
            yes, total = counts.get(week, (0, 0))
            counts[week] = (yes + (msg.survey[1] == "yes"), total + 1)
    return counts


def _response_counts(messages: list[Message], day_of) -> dict[int, tuple[int, int]]:
    """Per week of receipt: (summed microseconds to first reply, replied messages not dismissed)."""
    counts: dict[int, tuple[int, int]] = {}
    for msg in messages:
        if not msg.dismissed and msg.replied != INF_TS:
            week = week_start(day_of(msg.received))
            total, n = counts.get(week, (0, 0))
            counts[week] = (total + msg.replied - msg.received, n + 1)
    return counts


def _resolution_counts(
    messages: list[Message], day_of, threshold: int, at: int
) -> dict[int, tuple[int, int]]:
    """Per week: (threads resolved at first contact, threads decided).

    A thread's first buyer message of the week is resolved when it got a reply and no further buyer
    message in the thread arrived within ``threshold`` after that reply. A thread is not decided (left
    out) until ``threshold`` has passed since the reply, or since the message while it is unanswered;
    an unanswered one is unresolved after that. Dismissed messages ("no response needed") are not a
    contact at all: neither a first message nor a follow-up.
    """
    threads: dict[str, list[Message]] = {}
    for msg in messages:
        if not msg.dismissed:
            threads.setdefault(msg.order_id or msg.ref, []).append(msg)
    counts: dict[int, tuple[int, int]] = {}
    for thread in threads.values():
        thread.sort(key=lambda m: (m.received, m.ref))
        seen_weeks: set[int] = set()
        for msg in thread:
            week = week_start(day_of(msg.received))
            if week in seen_weeks:
                continue
            seen_weeks.add(week)
            if msg.replied == INF_TS:
                if at < msg.received + threshold:
                    continue
                resolved = False
            elif at < msg.replied + threshold:
                continue
            else:
                reply, until = msg.replied, msg.replied + threshold
                resolved = not any(reply < other.received <= until for other in thread)
            good, total = counts.get(week, (0, 0))
            counts[week] = (good + resolved, total + 1)
    return counts
