"""The terminal table of ``sellerpulse report``: aligned columns, status coloured on a terminal.

Plain text with ANSI colour codes (no Rich) so a one-shot report starts fast; account names and ids
come from data and are stripped of control characters so a hostile id cannot move the cursor.
"""

from __future__ import annotations

from sellerpulse.core.snapshot import MetricValue, Snapshot, format_metric_value, format_target, window_start
from sellerpulse.core.textsafe import clean
from sellerpulse.core.timeutil import format_instant, iso_day, load_zone, local_minute

from .report_accounts import level_line, shows_side_by_side, summary_lines

_COLORS = {"ok": "32", "warning": "33", "breach": "1;31", "no_data": "2", "info": "36"}


def format_value(metric: MetricValue) -> str:
    return "-" if metric.value is None else format_metric_value(metric)


def target_text(metric: MetricValue) -> str:
    """The target in a report's narrow column: ``< 1 %``, ``>= 95 %``; "" without one."""
    return format_target(metric, ascii_only=True, exact=False)


def _ratio(metric: MetricValue) -> str:
    if metric.denominator is None:
        return str(metric.numerator if metric.numerator is not None else "")
    if metric.numerator is None:
        return f"n={metric.denominator}"
    return f"{metric.numerator}/{metric.denominator}"


def render_table(snapshot: Snapshot, color: bool = False) -> str:
    def paint(text: str, status: str, width: int) -> str:
        padded = text.ljust(width)
        return f"\x1b[{_COLORS[status]}m{padded}\x1b[0m" if color and status in _COLORS else padded

    lines = [f"sellerpulse report as of {format_instant(snapshot.at)}"]
    if shows_side_by_side(snapshot):
        lines += ["", *summary_lines(snapshot)]
    for name, acc in snapshot.accounts.items():
        lines.append("")
        lines.append(
            f"account {clean(name)}  profile {acc.profile}  time zone {acc.timezone}  day {iso_day(acc.day)}"
        )
        zone = load_zone(acc.timezone)
        level = level_line(acc)
        if level is not None:
            lines.append(level)
        header = ("metric", "value", "target", "n/d", "status", "headroom", "window")
        rows = [
            (
                m.id,
                format_value(m),
                target_text(m),
                _ratio(m),
                m.status,
                "" if m.headroom is None else str(m.headroom),
                f"{window_start(m) or 'lifetime'}..{iso_day(m.window_to)}",
            )
            for m in acc.metrics.values()
        ]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
        for row in rows:
            cells = [
                c.ljust(w) if i != 4 else paint(c, c, w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
        lines.append("")
        lines.append("queue                       count  overdue  due soon  next deadline")
        for q in acc.queues.values():
            nxt = f"{clean(q.items[0].ref)} {local_minute(q.items[0].deadline, zone)}" if q.items else ""
            overdue = paint(str(q.overdue), "breach" if q.overdue else "ok", 7)
            lines.append(f"{q.id:<27} {q.count:>5}  {overdue}  {q.due_soon:>8}  {nxt}".rstrip())
        if acc.weekly:
            lines.append("")
            lines.extend(_weekly_lines(acc.weekly))
        if acc.orphans:
            lines.append(f"orphan events (parent not seen yet): {acc.orphans}")
    rejected = sum(snapshot.rejected.values())
    lines.append("")
    detail = ", ".join(f"{clean(s)}: {n}" for s, n in sorted(snapshot.rejected.items()))
    lines.append(f"rejected rows: {rejected}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines) + "\n"


def _weekly_lines(weekly: dict) -> list[str]:
    """One row a week (oldest first), one column a weekly figure: the 8-week customer-service view."""
    ids = list(weekly)
    weeks = [w.week_from for w in weekly[ids[0]]]
    header = ["week of", *ids]
    rows = []
    for index, week in enumerate(weeks):
        cells = [iso_day(week) + (" (so far)" if weekly[ids[0]][index].partial else "")]
        for wid in ids:
            value = weekly[wid][index]
            if value.value is None:
                cells.append("-")
            elif value.numerator is None:
                cells.append(f"{value.value:.1f} h (n={value.denominator})")
            else:
                cells.append(f"{value.value * 100:.1f} % ({value.numerator}/{value.denominator})")
        rows.append(cells)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]
