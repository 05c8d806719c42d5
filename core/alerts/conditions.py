"""What an alert rule tests: one small class per kind of condition.

Each condition looks at one subject (a metric, a queue, a source's health) and answers *active*,
*inactive* or *no data* (``None``), with a value and a one-line summary for the notification. Conditions
with a recovery level get ``was_active`` (is the alert instance currently firing or pending?) so the
level that *starts* an alert and the level that *ends* it can differ: a value oscillating around one
threshold cannot flap (hysteresis).

Rates are compared exactly: ``numerator / denominator`` as a :class:`~fractions.Fraction` against the
configured decimal, never as floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..snapshot import MetricValue, QueueValue
from ..sources import SourceHealth
from .durations import format_duration
from .forecast import forecast_breach

_US_PER_MINUTE = 60_000_000
BAD_STATUS = {"warning": ("warning", "breach"), "breach": ("breach",)}


@dataclass(frozen=True, slots=True)
class Check:
    """The answer of a condition: ``active`` is None when there is nothing to judge (no data)."""

    active: bool | None
    value: str | None
    summary: str
    details: dict[str, Any] | None = None


def exact_value(metric: MetricValue) -> Fraction | None:
    """The metric's value as an exact fraction (``numerator/denominator`` when both are known)."""
    if metric.numerator is not None and metric.denominator:
        return Fraction(metric.numerator, metric.denominator)
    if metric.value is None:
        return None
    return Fraction(repr(metric.value)) if isinstance(metric.value, float) else Fraction(metric.value)


def show_value(metric: MetricValue) -> str | None:
    """The value as operators read it: ``4.17 %`` for rates, the plain number otherwise."""
    if metric.value is None:
        return None
    if metric.unit == "%":
        return f"{float(metric.value) * 100:.2f} %"
    if metric.unit == "count":
        return str(metric.value)
    return f"{float(metric.value):.2f} {metric.unit}"


def _show_level(level: Decimal, metric: MetricValue) -> str:
    return f"{float(level) * 100:.2f} %" if metric.unit == "%" else f"{level} {metric.unit}".strip()


def _population(metric: MetricValue) -> str:
    if metric.denominator is None:
        return ""
    return f" ({metric.numerator}/{metric.denominator})" if metric.numerator is not None else ""


@dataclass(frozen=True, slots=True)
class StatusCondition:
    """The metric's status is ``warning`` (or worse) or ``breach``; optional ``recover`` level."""

    level: str
    recover: Decimal | None = None

    def check(self, metric: MetricValue, was_active: bool, day: int) -> Check:
        value = exact_value(metric)
        if metric.status in ("no_data", "info") or value is None:
            return Check(None, None, f"{metric.name}: no data")
        shown = show_value(metric)
        bad = metric.status in BAD_STATUS[self.level]
        if not bad and was_active and self.recover is not None:
            worse_than_recover = (
                value < Fraction(self.recover)
                if metric.direction == "above"
                else value > Fraction(self.recover)
            )
            if worse_than_recover:
                level = _show_level(self.recover, metric)
                return Check(True, shown, f"{metric.name} is {shown}, not yet back past {level}")
        summary = f"{metric.name} is {shown}{_population(metric)}, status {metric.status}"
        if metric.target is not None:
            summary += f" (target {metric.direction} {_show_level(Decimal(metric.target), metric)})"
        return Check(bad, shown, summary)


@dataclass(frozen=True, slots=True)
class ThresholdCondition:
    """The value is ``above`` (or ``below``) a level; it recovers at ``recover`` (hysteresis)."""

    op: str  # "above" | "below"
    level: Decimal
    recover: Decimal

    def check(self, metric: MetricValue, was_active: bool, day: int) -> Check:
        value = exact_value(metric)
        if value is None:
            return Check(None, None, f"{metric.name}: no data")
        shown = show_value(metric)
        level, recover = Fraction(self.level), Fraction(self.recover)
        if self.op == "above":
            active = value > recover if was_active else value > level
        else:
            active = value < recover if was_active else value < level
        edge = _show_level(self.level if not was_active else self.recover, metric)
        relation = ("above" if self.op == "above" else "below") if active else "back within"
        return Check(active, shown, f"{metric.name} is {shown}{_population(metric)}, {relation} {edge}")


@dataclass(frozen=True, slots=True)
class HeadroomCondition:
    """Headroom (bad outcomes the window can still take) is at most ``at_most``; recovers at ``recover``."""

    at_most: int
    recover: int

    def check(self, metric: MetricValue, was_active: bool, day: int) -> Check:
        if metric.headroom is None:
            return Check(None, None, f"{metric.name}: no data")
        headroom = metric.headroom
        active = headroom < self.recover if was_active else headroom <= self.at_most
        noun = metric.bad_noun if headroom == 1 else f"{metric.bad_noun}s"
        if headroom == 0:
            text = f"{metric.name} can take no more {metric.bad_noun}s before breach"
        else:
            text = f"{metric.name} can take {headroom} more {noun} before breach"
        return Check(active, str(headroom), f"{text}{_population(metric)}")


@dataclass(frozen=True, slots=True)
class ForecastCondition:
    """At the current daily rate, the metric breaches within ``days`` days (see :mod:`.forecast`)."""

    days: int

    def check(self, metric: MetricValue, was_active: bool, day: int) -> Check:
        if metric.status == "breach":
            return Check(True, show_value(metric), f"{metric.name} is in breach now at {show_value(metric)}")
        result = forecast_breach(metric, self.days, day)
        if result is None:
            return Check(None, None, f"{metric.name}: not enough history to forecast")
        if result.day is None:
            return Check(
                False, show_value(metric), f"{metric.name}: no breach forecast within {self.days} days"
            )
        when = "today" if result.day == 0 else f"in {result.day} day{'s' if result.day != 1 else ''}"
        return Check(
            True,
            show_value(metric),
            f"{metric.name} is forecast to breach {when} at the current daily rate "
            f"({_show_rate(result.daily_rate, metric)} per day, projected {_show_rate(result.projected, metric)})",
            {"forecast_day": result.day},
        )


def _show_rate(value: float, metric: MetricValue) -> str:
    return f"{value * 100:.2f} %" if metric.unit == "%" else f"{value:.2f}"


@dataclass(frozen=True, slots=True)
class QueueCondition:
    """Items of a queue: older than a duration, due within a duration, overdue, or a count above N."""

    test: str  # "older_than" | "due_within" | "overdue" | "count_above"
    amount: int  # microseconds for the durations, items for count_above
    at_least: int = 1

    def check(self, queue: QueueValue, at: int) -> Check:
        if self.test == "count_above":
            active = queue.count > self.amount
            return Check(active, str(queue.count), f"{queue.name}: {queue.count} open (limit {self.amount})")
        if self.test == "overdue":
            items = [item for item in queue.items if item.deadline < at]
            count = max(queue.overdue, len(items))
            summary = f"{queue.name}: {count} overdue"
        elif self.test == "older_than":
            items = [item for item in queue.items if at - item.since >= self.amount]
            count = len(items)
            more = "+" if count == len(queue.items) and queue.count > count else ""
            summary = f"{queue.name}: {count}{more} open for {format_duration(self.amount)} or more"
        else:
            items = [item for item in queue.items if at <= item.deadline <= at + self.amount]
            count = len(items)
            summary = f"{queue.name}: {count} due within {format_duration(self.amount)}"
        if items:
            first = items[0]
            summary += f" (first: {first.order_id or first.ref}, {_relative(first.deadline - at)})"
        details = {"items": [item.to_json() for item in items[:10]]}
        return Check(count >= self.at_least, str(count), summary, details)


def _relative(delta_us: int) -> str:
    minutes = format_duration(abs(delta_us) // _US_PER_MINUTE * _US_PER_MINUTE)
    return f"overdue by {minutes}" if delta_us < 0 else f"due in {minutes}"


@dataclass(frozen=True, slots=True)
class SourceCondition:
    """A source is silent for a duration, failing, or rejects more than a share of its rows."""

    test: str  # "silent_for" | "failing" | "rejected_rate_above"
    duration: int = 0
    level: Decimal = Decimal(0)

    def check(self, name: str, health: SourceHealth, now: int, min_population: int) -> Check:
        if self.test == "failing":
            active = health.state == "failing"
            reason = f": {health.last_error}" if active and health.last_error else ""
            return Check(active, health.state, f"source {name} is {health.state}{reason}")
        if self.test == "silent_for":
            if health.state == "done":
                return Check(False, health.state, f"source {name} has read all its data")
            if health.last_event_at is None:
                return Check(None, None, f"source {name} has delivered no event yet")
            quiet = now - health.last_event_at
            active = quiet >= self.duration
            return Check(
                active,
                format_duration(max(0, quiet)),
                f"source {name}: no event for {format_duration(max(0, quiet))}",
            )
        rows = health.events + health.rejected
        if rows == 0 or rows < min_population:
            return Check(None, None, f"source {name}: {rows} rows, too few to judge")
        rate = Fraction(health.rejected, rows)
        shown = f"{float(rate) * 100:.2f} %"
        return Check(
            rate > Fraction(self.level),
            shown,
            f"source {name} rejected {health.rejected} of {rows} rows ({shown}, limit {float(self.level) * 100:.2f} %)",
        )
