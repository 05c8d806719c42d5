"""Drill-downs: a metric's daily series and the orders behind its bad outcomes; a queue's full list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from sellerpulse.core.official_compare import Comparison, format_counts, format_difference, format_rate
from sellerpulse.core.timeutil import from_us, iso_day
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical

from .. import format as fmt
from ..messages import OpenPlan
from ..theme import status_styles
from ..widgets.graph import chart_rows
from ..widgets.line import Line
from .plan import remedy_for
from .table_screen import Row, TableScreen, cells

CHART_HEIGHT = 5
SHORT_CHART_HEIGHT = 3  # below 30 rows
DIM = Style(dim=True)
REMEDY_LINES = 6  # actions shown when the screen is tall enough (34 rows); 2 below that
AMAZON_LINES = 8  # lines of Amazon's numbers beside ours (figures, then what could explain a difference)


class MetricDetails(TableScreen):
    """``enter`` on a metric panel: its chart and the orders behind its bad outcomes."""

    COLUMNS = ("Order", "Day", "What went wrong", "When")
    EMPTY = "no bad outcomes in the window"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "plan", "Plan", id="plan-of-action"),
    ]
    DEFAULT_CSS = """
    MetricDetails .remedies { height: auto; padding: 0 1; border: round $foreground-darken-3; }
    MetricDetails .amazon { height: auto; padding: 0 1; border: round $warning 60%; }
    """

    SORT_COLUMN = 1  # newest day first
    SORT_REVERSE = True

    def __init__(self, account: str, metric_id: str) -> None:
        super().__init__()
        self.account = account
        self.metric_id = metric_id

    def show_for(self, account: str, metric_id: str) -> None:
        """Show another metric (the app keeps one of these screens)."""
        self.account, self.metric_id = account, metric_id
        self.start_over()

    def compose_head(self) -> ComposeResult:
        yield Line(classes="title")
        yield Line(classes="summary")
        yield Line(classes="window")

    def compose_extra(self) -> ComposeResult:
        with Vertical(classes="chart") as box:
            box.border_title = "daily value"
            for n in range(CHART_HEIGHT):
                yield Line(classes=f"chart-row chart-{n}")
            yield Line(classes="chart-axis")
        with Vertical(classes="amazon") as box:
            box.border_title = "Amazon's numbers beside ours"
            box.display = False  # until an Account Health report gives this metric
            for n in range(AMAZON_LINES):
                yield Line(classes=f"amazon-line amazon-{n}")
        with Vertical(classes="remedies") as box:
            box.border_title = "what fixes it"
            for n in range(REMEDY_LINES + 1):
                yield Line(classes=f"remedy-line remedy-{n}")

    def _metric(self):
        account = self.app.reading.snapshot.accounts.get(self.account) if self.app.reading else None
        if account is None or self.app.reading.snapshot is None:
            return None, None
        return account, account.metrics.get(self.metric_id)

    def draw_head(self) -> None:
        styles = status_styles(self.app)
        account, metric = self._metric()
        title = Text(no_wrap=True, overflow="ellipsis")
        if metric is None:
            dot = fmt.dot(self.ascii_only)
            title.append(f"{fmt.clean(self.metric_id)} {dot} {fmt.clean(self.account)}: no such metric", DIM)
            self.query_one(".title", Line).set(title)
            return
        title.append(fmt.clean(metric.name), Style(bold=True))
        title.append(f"  {fmt.clean(metric.id)} {fmt.dot(self.ascii_only)} {fmt.clean(self.account)}", DIM)
        self.query_one(".title", Line).set(title)
        summary = Text(no_wrap=True, overflow="ellipsis")
        summary.append(fmt.metric_value(metric), styles[metric.status] + Style(bold=True))
        summary.append(f"  target {fmt.target(metric, self.ascii_only)}  {fmt.ratio(metric)}  ")
        summary.append(fmt.headroom(metric))
        self.query_one(".summary", Line).set(summary)
        window = Text(f"window {fmt.window(metric)}", DIM, no_wrap=True)
        words, _ = fmt.trend(metric, self.ascii_only)
        if words:
            window.append(f"  {words} since yesterday", DIM)
        self.query_one(".window", Line).set(window)
        self._draw_chart(account, metric, styles)
        self._draw_amazon(styles)
        self._draw_remedy(account.profile)

    def _draw_amazon(self, styles) -> None:
        """Amazon's figure of this metric (each marketplace's), ours over the same days, the difference
        and what could explain it; hidden when no Account Health report gave it."""
        reading = self.app.reading
        found = [
            c
            for c in (reading.amazon if reading else ())
            if (c.account, c.metric_id) == (self.account, self.metric_id)
        ]
        box = self.query_one(".amazon", Vertical)
        box.display = bool(found)
        lines = [text for comparison in found for text in amazon_lines(comparison, styles)]
        if len(lines) > AMAZON_LINES:
            lines[AMAZON_LINES - 1 :] = [
                Text(f"{len(lines) - AMAZON_LINES + 1} more: sellerpulse report --account-health", DIM)
            ]
        for n, line in enumerate(self.query(".amazon-line").results(Line)):
            line.display = n < len(lines)
            line.set(lines[n] if n < len(lines) else Text())

    def _draw_remedy(self, profile: str) -> None:
        """The metric's remedy from the remedies file: its title, then its actions (as many as fit)."""
        remedy = remedy_for(profile, self.metric_id)
        lines = (
            [Text(fmt.clean(remedy.title), Style(bold=True))]
            if remedy
            else [Text("no remedies written", DIM)]
        )
        actions = list(remedy.actions) if remedy else []
        room = REMEDY_LINES if (self.size.height or 24) >= 34 else 2
        for action in actions[:room]:
            lines.append(Text(f"- {fmt.clean(action)}"))  # wraps (see the .tcss): an action is read whole
        if len(actions) > room:
            lines.append(Text(f"  {len(actions) - room} more: o shows the plan of action", DIM))
        for n, line in enumerate(self.query(".remedy-line").results(Line)):
            line.display = n < len(lines)
            line.set(lines[n] if n < len(lines) else Text())

    def action_plan(self) -> None:
        self.post_message(OpenPlan(self.account, self.metric_id))

    def _draw_chart(self, account, metric, styles) -> None:
        values = [*metric.history, metric.value]
        width = max(1, self.size.width - 16)
        column = max(1, min(3, width // max(1, len(values))))
        height = (
            CHART_HEIGHT if (self.size.height or 24) >= 30 else SHORT_CHART_HEIGHT
        )  # the table needs rows
        rows, lo, hi = chart_rows(
            values,
            metric.target,
            metric.warn,
            metric.direction,
            styles,
            height,
            column,
            self.ascii_only,
        )
        for n in range(len(rows), CHART_HEIGHT):
            self.query_one(f".chart-{n}", Line).display = False
        for n, row in enumerate(rows):
            label = (
                fmt.metric_value(metric, hi)
                if n == 0
                else (fmt.metric_value(metric, lo) if n == len(rows) - 1 else "")
            )
            line = Text(f"{label:>9} ", DIM, no_wrap=True, overflow="crop")
            line.append_text(row)
            self.query_one(f".chart-{n}", Line).set(line)
        today = date.fromordinal(account.day)
        first = today - timedelta(days=len(values) - 1)
        span = len(values) * column
        axis = f"{first.isoformat()}"
        axis = axis + " " * max(1, span - len(axis) - 5) + "today"
        self.query_one(".chart-axis", Line).set(Text(" " * 10 + axis, DIM, no_wrap=True, overflow="crop"))

    def load(self, at: int) -> list[Row]:
        account, _ = self._metric()
        tz = self.app.zone(account.timezone if account else "UTC")
        rows = []
        for bad in self.app.data.bad_outcomes(self.account, self.metric_id, at):
            when = fmt.instant(bad.when, tz) if bad.when is not None else ""
            rows.append(
                Row(
                    cells(bad.order_id, iso_day(bad.day) if bad.day else "", bad.reason, when),
                    (bad.order_id, bad.day, bad.reason, bad.when),
                )
            )
        return rows


def amazon_lines(found: Comparison, styles) -> list[Text]:
    """Amazon's figure and range, ours over the same days with the difference, then the explanation."""
    theirs, ours = found.theirs, found.ours
    days = f"{from_us(theirs.dates.start):%Y-%m-%d}..{from_us(theirs.dates.end):%Y-%m-%d}"
    head = Text(no_wrap=True, overflow="ellipsis")
    head.append("Amazon ", Style(bold=True))
    head.append(f"{format_rate(theirs.rate)}  {format_counts(theirs.numerator, theirs.denominator)}  {days}")
    head.append(f"  {fmt.clean(found.marketplace_id)}", DIM)
    mine = Text(no_wrap=True, overflow="ellipsis")
    mine.append("ours   ", Style(bold=True))
    if ours is None:
        mine.append("no events of this account", DIM)
    else:
        mine.append(
            f"{format_rate(ours.value)}  {format_counts(ours.numerator, ours.denominator)}  same days"
        )
    mine.append(f"  {format_difference(found.difference)}  ")
    mine.append(found.verdict, styles["ok"] if found.verdict == "same" else styles["warning"])
    return [
        head,
        mine,
        *(Text(f"- {fmt.clean(line)}", no_wrap=True, overflow="ellipsis") for line in found.explanation),
    ]


class QueueDetails(TableScreen):
    """``enter`` on a queue: every item with its deadline and time left. The counts above the table are
    those of its rows, and both follow each refresh (the queue moves while it is open)."""

    COLUMNS = ("Order", "Ref", "Since", "Deadline", "Time left")
    EMPTY = "the queue is empty"
    FOLLOWS_READINGS = True

    SORT_COLUMN = 3  # the nearest deadline first

    def __init__(self, account: str, queue_id: str) -> None:
        super().__init__()
        self.account = account
        self.queue_id = queue_id
        self.overdue = 0

    def show_for(self, account: str, queue_id: str) -> None:
        """Show another queue (the app keeps one of these screens)."""
        self.account, self.queue_id, self.overdue = account, queue_id, 0
        self.start_over()

    def draw_head(self) -> None:
        styles = status_styles(self.app)
        snapshot = self.app.reading.snapshot if self.app.reading else None
        account = snapshot.accounts.get(self.account) if snapshot else None
        queue = account.queues.get(self.queue_id) if account else None
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(fmt.clean(queue.name if queue else self.queue_id), Style(bold=True))
        title.append(f"  {fmt.clean(self.account)}", DIM)
        if self.loaded:
            title.append(f"  {len(self.rows)} open")
            if self.overdue:
                title.append(f"  {self.overdue} overdue", styles["breach"])
        self.query_one(".title", Line).set(title)

    def set_rows(self, rows: list[Row] | str, generation: int | None = None) -> None:
        super().set_rows(rows, generation)
        if self.is_attached:
            self.overdue = sum(1 for row in self.rows if row.style == "breach")
            self.draw_head()

    def load(self, at: int) -> list[Row]:
        snapshot = self.app.reading.snapshot if self.app.reading else None
        account = snapshot.accounts.get(self.account) if snapshot else None
        tz = self.app.zone(account.timezone if account else "UTC")
        rows = []
        for item in self.app.data.queue_items(self.account, self.queue_id, at):
            rows.append(
                Row(
                    cells(
                        item.order_id,
                        item.ref,
                        fmt.instant(item.since, tz),
                        fmt.instant(item.deadline, tz),
                        fmt.time_to(item.deadline, at),
                    ),
                    (item.order_id, item.ref, item.since, item.deadline, item.deadline),
                    "breach" if item.deadline < at else None,
                )
            )
        return rows
