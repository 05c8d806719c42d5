"""Pure text helpers for the dashboard: numbers, targets, headroom and deadlines in words.

Kept free of Textual so the wording is tested on its own and shared by panels, drill-downs and help.
"""

from __future__ import annotations

from datetime import date, tzinfo

from sellerpulse.core.profile import plural_noun as plural
from sellerpulse.core.snapshot import MetricValue, format_metric_value, format_target, over_target
from sellerpulse.core.textsafe import clean as clean  # re-exported: panels call fmt.clean
from sellerpulse.core.timeutil import US_PER_HOUR, from_us, human_duration, iso_day

US_PER_MINUTE = US_PER_HOUR // 60


def metric_value(m: MetricValue, value: float | int | None = None) -> str:
    """A metric's value with its unit: ``0.45 %``, ``3.2 h``, ``2``; ``no data`` without one."""
    return format_metric_value(m, value)


def target(m: MetricValue, ascii_only: bool = False) -> str:
    """The goal as a comparison: ``< 1.00 %`` (below), ``≥ 95.00 %`` (above), ``≤ 0`` (a count)."""
    return format_target(m, ascii_only=ascii_only) or "no target"


def headroom(m: MetricValue) -> str:
    """How much room is left, in the operator's words: "2 more defects allowed"."""
    noun = m.bad_noun
    if m.direction == "at_most" and m.unit == "count":
        n = int(m.value or 0)
        return f"no open {plural(noun, 0)}" if n == 0 else f"{n} open {plural(noun, n)}"
    if m.status == "no_data":
        return "no orders in the window yet" if m.unit == "%" else "nothing in the window yet"
    if m.target is None:
        if m.numerator is None:
            return f"mean of {m.denominator or 0} replies"
        return "informational"
    if m.status == "breach":
        over = over_target(m)
        if over is not None and over > 0:
            return f"over by {over} {plural(noun, over)}"
        return "target missed"
    if m.headroom is None:
        return ""
    if m.headroom == 0:
        return f"no more {plural(noun, 2)} allowed"
    return f"{m.headroom} more {plural(noun, m.headroom)} allowed"


def ratio(m: MetricValue) -> str:
    """``3/412`` for rates; the population alone when there is no numerator."""
    if m.denominator is None:
        return ""
    if m.numerator is None:
        return f"n={m.denominator:,}"
    return f"{m.numerator:,}/{m.denominator:,}"


def trend(m: MetricValue, ascii_only: bool = False) -> tuple[str, str]:
    """Change against the previous day's value as (text, verdict) with verdict better/worse/same/none.

    Short ("▲ 0.02 pp") so it fits next to the ratio in a narrow panel; help and the drill-down say it
    is the change since yesterday."""
    if m.value is None or not m.history or m.history[-1] is None:
        return "", "none"
    delta = m.value - m.history[-1]
    if m.unit == "%":
        amount = f"{abs(delta) * 100:.2f} pp"
        same = abs(delta) < 0.00005
    elif m.unit == "h":
        amount = f"{abs(delta):.1f} h"
        same = abs(delta) < 0.05
    else:
        amount = f"{abs(delta):g}"
        same = delta == 0
    if same:
        return ("=" if ascii_only else "═") + " same", "same"
    up = delta > 0
    # ASCII reads as a signed change ("-0.01 pp"); the arrows are spaced from the amount
    arrow = ("+" if up else "-") if ascii_only else ("▲ " if up else "▼ ")
    higher_is_better = m.direction == "above"
    verdict = "same" if m.direction is None else ("better" if up == higher_is_better else "worse")
    return f"{arrow}{amount}", verdict


ALL_TIME_BEFORE = date(1900, 1, 1).toordinal()  # a window starting earlier is "all time" (lifetime)


def window(m: MetricValue) -> str:
    if m.window_from < ALL_TIME_BEFORE:
        return f"all time to {iso_day(m.window_to)}"
    return f"{iso_day(m.window_from)}..{iso_day(m.window_to)}"


def short_window(m: MetricValue) -> str:
    """``09-08..11-06``: the window without years when it stays inside one year."""
    a, b = date.fromordinal(m.window_from), date.fromordinal(m.window_to)
    if m.window_from < ALL_TIME_BEFORE:
        return f"all time to {b:%m-%d}"
    if a.year == b.year:
        return f"{a:%m-%d}..{b:%m-%d}"
    return window(m)


def duration(us: int) -> str:
    """``1 h 12 m``, ``2 d 4 h``, ``45 m``, ``< 1 m``: the engine's wording (one home, in core), with
    ``< 1 m`` where it would say ``0 m`` (on a deadline, "0 m" reads as "too late")."""
    return "< 1 m" if abs(us) < US_PER_MINUTE else human_duration(us)


# What is due for each queue's items, in the singular and plural.
QUEUE_DUE = {
    "messages_awaiting_reply": ("reply", "replies"),
    "claims_awaiting_response": ("response", "responses"),
    "returns_awaiting_response": ("response", "responses"),
    "orders_to_ship": ("shipment", "shipments"),
}


def time_left(queue_id: str, deadline: int, at: int, count: int = 1) -> str:
    """ "reply due in 1 h 12 m" / "replies overdue by 3 h": a deadline relative to ``at``."""
    one, many = QUEUE_DUE.get(queue_id, ("action", "actions"))
    noun = one if count == 1 else many
    if deadline < at:
        return f"{noun} overdue {duration(at - deadline)}"
    return f"{noun} due in {duration(deadline - at)}"


def dot(ascii_only: bool = False) -> str:
    """The separator between the parts of a title or a hint: ``·``, or ``-`` under ``--ascii``."""
    return "-" if ascii_only else "·"


def time_to(deadline: int, at: int) -> str:
    """ "in 1 h 12 m" / "overdue 3 h": a deadline relative to ``at``, short enough for a table column
    (the queue's title already says what is due)."""
    if deadline < at:
        return f"overdue {duration(at - deadline)}"
    return f"in {duration(deadline - at)}"


def instant(us: int, tz: tzinfo) -> str:
    """``2026-10-15 11:00`` in the given zone."""
    return f"{from_us(us, tz):%Y-%m-%d %H:%M}"
