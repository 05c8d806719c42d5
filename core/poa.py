"""The plan-of-action draft: what a seller sends the marketplace when a rate is exceeded.

A Markdown text built only from what the engine knows (a snapshot's metric, the items behind its bad
outcomes) and from the remedies file: the metric against its target, the orders behind it grouped by
cause with counts and dates, the root causes those groups point to, the corrective actions the data
already shows, and the preventive measures. Nothing is invented: a sentence without a figure behind it is
left out. Pure (no I/O, no clock), so ``sellerpulse poa`` and the dashboard share it and tests read it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from .profile import plural_noun
from .remedies import Remedy
from .snapshot import AccountSnapshot, MetricValue, format_metric_value, format_target, over_target
from .timeutil import from_us, iso_day, load_zone

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# cause key, heading, what in the engine's reason text marks it (drilldown.py writes those texts)
CAUSES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (key, label, re.compile(pattern))
    for key, label, pattern in (
        ("negative_feedback", "Negative feedback", r"negative feedback \("),
        ("a_to_z_claim", "A-to-z claims", r"A-to-z claim "),
        ("chargeback", "Chargebacks", r"(?:^|; )chargeback "),
        ("seller_cancel", "Cancelled by the seller", r"cancelled by the seller"),
        ("not_shipped", "Not shipped by the ship-by date", r"not shipped; ship-by date passed"),
        ("shipped_late", "Shipped after the ship-by date", r"shipped .+ after ship-by"),
        ("no_tracking", "Shipped without tracking", r"shipped without tracking"),
        ("not_delivered", "Not delivered by the promised date", r"not delivered; promised date passed"),
        ("delivered_late", "Delivered after the promised date", r"delivered .+ after the promise"),
        ("refunded", "Refunded", r"(?:^|; )refunded(?:$|;| \()"),
        ("case_lost", "Cases closed for the buyer", r"closed for the buyer without seller resolution"),
        ("no_reply", "No reply yet, past 24 hours", r"no reply for "),
        ("late_reply", "Replied after 24 hours", r"replied after "),
        ("return_rated_low", "Return rated 1-2 stars", r"return rated "),
        ("invalid_rejection", "Return rejection ruled invalid", r"rejection ruled invalid"),
        ("return_unanswered", "Return request not answered", r"no response for "),
        ("return_late_response", "Return request answered late", r"responded after "),
        ("policy_violation", "Open policy violations", r"open policy violation"),
    )
)
LABELS = {key: label for key, label, _ in CAUSES}
LABELS["feedback_below_4"] = "Feedback below 4 stars"
LABELS["other"] = "Other bad outcomes"

# what the ids listed under a cause are (orders unless said here)
ITEM_WORD = {"policy_violation": "Notices", "no_reply": "Threads", "late_reply": "Threads"}

# what a metric's rule counts (its population), for sentences like "31 late shipments among 507 orders"
POPULATION = {
    "valid_tracking": "shipped orders",
    "on_time_delivery": "shipped orders",
    "contact_response": "buyer messages",
    "response_hours": "replied buyer messages",
    "return_dissatisfaction": "return requests",
    "late_delivery": "orders with ship-by and delivery dates",
    "feedback_score": "feedback ratings",
    "policy_violations": "",
}


class BadItem(Protocol):
    """One item behind a bad outcome (``engine.bad_outcomes`` gives these; the dashboard's rows too)."""

    order_id: str
    day: int
    reason: str


class PoaError(ValueError):
    """The plan cannot be drafted (an unknown metric, say); the message says why."""


@dataclass(frozen=True, slots=True)
class CauseGroup:
    key: str
    label: str
    items: tuple[Any, ...]  # BadItem, by day

    @property
    def first_day(self) -> int:
        return min(item.day for item in self.items)

    @property
    def last_day(self) -> int:
        return max(item.day for item in self.items)


def causes_of(reason: str, rule: str | None = None) -> list[str]:
    """The cause keys an engine reason text names (an order can have several: feedback and a claim)."""
    if rule == "feedback_score":
        return ["feedback_below_4"]
    found = [key for key, _, pattern in CAUSES if pattern.search(reason)]
    return found or ["other"]


def group_by_cause(items: Sequence[BadItem], rule: str | None = None) -> list[CauseGroup]:
    """Items grouped by cause, largest group first (an item with two causes is in both groups)."""
    groups: dict[str, list[BadItem]] = {}
    for item in items:
        for key in causes_of(item.reason, rule):
            groups.setdefault(key, []).append(item)
    order = {key: n for n, key in enumerate(LABELS)}
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), order.get(kv[0], len(order))))
    return [
        CauseGroup(key, LABELS.get(key, key), tuple(sorted(found, key=lambda i: (i.day, _ident(i)))))
        for key, found in ranked
    ]


def bad_count(metric: MetricValue, rule: str | None = None) -> int | None:
    """How many bad outcomes the metric counts: its numerator, or the complement where the numerator
    counts the good ones ("above" rates and the feedback score)."""
    if metric.unit == "count":
        return int(metric.value) if metric.value is not None else None
    if metric.numerator is None or metric.denominator is None:
        return None
    if metric.direction == "above" or rule == "feedback_score":
        return metric.denominator - metric.numerator
    return metric.numerator


def plan_of_action(
    account: AccountSnapshot,
    metric_id: str,
    items: Sequence[BadItem],
    remedy: Remedy | None,
    at: int,
    *,
    rule: str | None = None,
    orders_limit: int = 25,
) -> str:
    """The Markdown draft for one metric of one account as of ``at``.

    ``items`` are the metric's bad outcomes (``engine.bad_outcomes``); ``rule`` is the metric's rule in
    the profile (for the population's name); ``orders_limit`` caps the ids listed per cause (0: all).
    """
    metric = account.metrics.get(metric_id)
    weeks = account.weekly.get(metric_id)
    if metric is None and weeks is None:
        known = ", ".join(sorted([*account.metrics, *account.weekly]))
        raise PoaError(f"no metric {metric_id!r} for account {account.account!r} (known: {known})")
    tz = load_zone(account.timezone)
    stamp = f"{from_us(at, tz):%Y-%m-%d %H:%M} {account.timezone}"
    out: list[str] = []
    name = metric.name if metric is not None else _weekly_name(metric_id)
    out.append(f"# Plan of action: {_plain(name)} ({metric_id})")
    out.append("")
    out.append(f"Account: {_code(account.account)} · profile {account.profile} · as of {stamp}")
    out.append("")
    if metric is None:
        out += _weekly_section(metric_id, weeks or ())
    else:
        groups = group_by_cause(items, rule)
        out += _standing(metric, items, rule)
        out += _orders_section(metric, groups, orders_limit)
        out += _root_causes(groups, remedy)
        out += _corrections(metric, items, rule, account.day)
    out += _measures(remedy)
    out.append("---")
    out.append("")
    out.append(
        f"Drafted by sellerpulse from the events it read, as of {stamp}. Every figure above is computed "
        f"from those events; check the order list against {account.marketplace or 'the marketplace'}'s own "
        "figures before sending."
    )
    return "\n".join(out) + "\n"


# -- sections ------------------------------------------------------------------------------------


def _standing(metric: MetricValue, items: Sequence[BadItem], rule: str | None) -> list[str]:
    noun = metric.bad_noun
    bad = bad_count(metric, rule)
    population = POPULATION.get(rule or "", "orders")
    lines = ["## Where the metric stands", ""]
    value = _value(metric, metric.value)
    if bad is not None and metric.denominator is not None and population:
        lines.append(
            f"- Value: **{value}** ({bad} {plural_noun(noun, bad)} among {metric.denominator} {population})"
        )
    elif metric.denominator is not None and metric.numerator is None:
        lines.append(f"- Value: **{value}** (mean over {metric.denominator} {population or 'items'})")
    else:
        lines.append(f"- Value: **{value}**")
    lines.append(f"- Target: {_target(metric)}; status **{metric.status.replace('_', ' ')}**")
    over = over_target(metric)
    if metric.status == "breach" and over is not None and over > 0:
        lines.append(f"- Over the target by {over} {plural_noun(noun, over)} at today's volume")
    elif metric.headroom is not None and metric.status in ("ok", "warning"):
        lines.append(
            f"- Room left: {metric.headroom} more {plural_noun(noun, metric.headroom)} before the target is missed"
        )
    lines.append(f"- Window: {iso_day(metric.window_from)} to {iso_day(metric.window_to)} (inclusive)")
    if bad is not None and len(items) != bad:
        lines.append(f"- Items listed below: {len(items)} (the metric counts {bad})")
    lines.append("")
    return lines


def _orders_section(metric: MetricValue, groups: list[CauseGroup], limit: int) -> list[str]:
    lines = ["## What is behind it, by cause", ""]
    if not groups:
        lines += [f"No {plural_noun(metric.bad_noun, 2)} in the window.", ""]
        return lines
    for group in groups:
        n = len(group.items)
        span = (
            iso_day(group.first_day)
            if group.first_day == group.last_day
            else (f"{iso_day(group.first_day)} to {iso_day(group.last_day)}")
        )
        lines.append(f"### {group.label}: {n} ({span})")
        lines.append("")
        days = Counter(date.fromordinal(item.day).weekday() for item in group.items)
        lines.append("By weekday: " + " · ".join(f"{WEEKDAYS[d]} {days[d]}" for d in range(7) if days[d]))
        lines.append("")
        shown = group.items if limit <= 0 else group.items[:limit]
        ids = ", ".join(f"{_code(_ident(item))} ({iso_day(item.day)})" for item in shown)
        more = f", and {n - len(shown)} more" if len(shown) < n else ""
        lines.append(f"{ITEM_WORD.get(group.key, 'Orders')}: {ids}{more}")
        lines.append("")
    return lines


def _root_causes(groups: list[CauseGroup], remedy: Remedy | None) -> list[str]:
    if not groups:
        return []
    texts = dict(remedy.root_causes) if remedy else {}
    lines = ["## Root causes", ""]
    for group in groups:
        n = len(group.items)
        text = texts.get(group.key) or _GENERIC_CAUSE
        line = f"- **{group.label}** ({n}): {text}"
        weekend = sum(1 for item in group.items if date.fromordinal(item.day).weekday() >= 5)
        if n >= 4 and weekend * 7 > n * 2 * 1.5:  # clearly more than the 2 days in 7 a weekend is
            line += f" {weekend} of {n} fall on a Saturday or Sunday."
        lines.append(line)
    lines.append("")
    return lines


_GENERIC_CAUSE = "Look at the items of this group one by one to find what they have in common."


def _corrections(metric: MetricValue, items: Sequence[BadItem], rule: str | None, today: int) -> list[str]:
    """Improvements the data already shows: a quiet stretch since the last bad outcome, fewer bad
    outcomes in the last 7 days than in the 7 before, and the value's recovery from its worst day."""
    found: list[str] = []
    end = min(metric.window_to, today - 1)  # complete days only: today is still running
    noun2 = plural_noun(metric.bad_noun, 2)
    if items:
        last = max(item.day for item in items)
        if last < end:
            span, quiet = _span(last + 1, end), end - last
            days = f"{quiet} full day{'s' if quiet != 1 else ''}"
            if rule == "contact_response":
                found.append(f"Every buyer message received {span} was answered inside 24 hours (or is "
                             f"still inside its 24 hours): {days} without a late reply.")  # fmt: skip
            elif rule == "late_shipment":
                found.append(f"Every order due to ship {span} shipped on time (or is not due yet): {days} "
                             f"without a late shipment.")  # fmt: skip
            else:
                found.append(f"No {noun2} {span}: {days}.")
        if end - metric.window_from + 1 >= 14:
            recent = sum(1 for item in items if end - 7 < item.day <= end)
            before = sum(1 for item in items if end - 14 < item.day <= end - 7)
            if recent < before:
                found.append(
                    f"{recent} {plural_noun(metric.bad_noun, recent)} in the last 7 full days "
                    f"({iso_day(end - 6)} to {iso_day(end)}) against {before} in the 7 days before."
                )
    values = [*metric.history, metric.value]
    present = [(n, v) for n, v in enumerate(values) if v is not None]
    if metric.direction in ("below", "above", "at_most") and len(present) > 1 and metric.value is not None:
        worst_n, worst = present[0]
        for n, v in present:
            if (v <= worst) if metric.direction == "above" else (v >= worst):
                worst_n, worst = n, v
        # a real recovery: the share of bad outcomes (or the count) at least a fifth below its worst
        bad_now, bad_worst = _bad_share(metric, metric.value), _bad_share(metric, worst)
        better = bad_now <= 0.8 * bad_worst
        if better and worst_n < len(values) - 1:
            day = iso_day(today - (len(values) - 1 - worst_n))
            word = "Up" if metric.direction == "above" else "Down"
            found.append(f"{word} from {_value(metric, worst)} on {day} (the worst of the last "
                         f"{len(values)} days) to {_value(metric, metric.value)} now.")  # fmt: skip
    lines = ["## Corrective actions already visible in the data", ""]
    if found:
        lines += [f"- {text}" for text in found]
    else:
        lines.append("None yet: the data shows no improvement so far.")
    lines.append("")
    return lines


def _bad_share(metric: MetricValue, value: float) -> float:
    return 1 - value if metric.direction == "above" and metric.unit == "%" else value


def _measures(remedy: Remedy | None) -> list[str]:
    lines = ["## Preventive measures", ""]
    if remedy is None or not remedy.actions:
        lines += ["No remedies are written for this metric; add them to your remedies file.", ""]
        return lines
    lines.append(f"{remedy.title}:")
    lines.append("")
    lines += [f"{n}. {action}" for n, action in enumerate(remedy.actions, 1)]
    lines.append("")
    return lines


def _span(first: int, last: int) -> str:
    """A range of days as a sentence says it: "on D" for one day, "from A to B" for more."""
    if first == last:
        return f"on {iso_day(first)}"
    return f"from {iso_day(first)} to {iso_day(last)}"


def _weekly_section(metric_id: str, weeks: Sequence[Any]) -> list[str]:
    hours = metric_id == "weekly_avg_response_hours"
    lines = ["## Weekly figures", "", "| Week | Value | Count |", "|---|---|---|"]
    for week in weeks:
        label = f"{iso_day(week.week_from)} to {iso_day(week.week_to)}" + (
            " (so far)" if week.partial else ""
        )
        if week.value is None:
            value = "no data"
        else:
            value = f"{week.value:.1f} h" if hours else f"{week.value * 100:.1f} %"
        count = f"{week.denominator}" if week.numerator is None else f"{week.numerator}/{week.denominator}"
        lines.append(f"| {label} | {value} | {count} |")
    lines.append("")
    return lines


# -- wording -------------------------------------------------------------------------------------


def _weekly_name(metric_id: str) -> str:
    return {
        "cs_rating": "Customer Service Rating",
        "weekly_avg_response_hours": "Average response time, weekly",
        "first_contact_resolution": "First Contact Resolution",
    }.get(metric_id, metric_id)


def _value(metric: MetricValue, value: float | int | None) -> str:
    return "no data" if value is None else format_metric_value(metric, value)


def _target(metric: MetricValue) -> str:
    return format_target(metric, words=True) or "none (informational)"


def _ident(item: Any) -> str:
    return str(getattr(item, "order_id", "") or getattr(item, "key", "") or "")


_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f`\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _code(text: object) -> str:
    """Untrusted text (ids) as an inline code span: backticks and control characters become ``?``."""
    return f"`{_UNSAFE.sub('?', str(text))}`"


def _plain(text: object) -> str:
    return _UNSAFE.sub("?", str(text))
