"""One metric at a glance: value, target, status, ratio, headroom in words, trend, window, history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from sellerpulse.core.official_compare import Comparison, format_difference, format_rate
from sellerpulse.core.snapshot import MetricValue
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widget import Widget

from .. import format as fmt
from ..theme import STATUSES, status_mark
from .graph import history_line
from .line import Line

BOLD = Style(bold=True)
DIM = Style(dim=True)


class MetricPanel(Widget, can_focus=True):
    """A bordered panel of one metric; ``enter`` asks for its drill-down."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "details", "Details", id="details")]

    class Opened(Message):
        def __init__(self, metric_id: str) -> None:
            super().__init__()
            self.metric_id = metric_id

    def __init__(self, metric_id: str, group: str, components: Sequence[str] = ()) -> None:
        super().__init__(id=f"metric-{metric_id}", classes=f"panel metric group-{group}")
        self.metric_id = metric_id
        self.group = group
        self.components = tuple(components)
        self.search_text = metric_id
        self._last: tuple | None = None
        self._title = self._subtitle = ""
        # rows exist before mounting, so a panel can be drawn in the same refresh that creates it
        self.value_line = Line(classes="value")
        self.headroom_line = Line(classes="headroom")
        self.ratio_line = Line(classes="ratio")
        self.graph_line = Line(classes="graph")
        self.component_lines = {cid: Line(classes=f"component component-{cid}") for cid in self.components}
        self.amazon_line = Line(classes="amazon")  # shown only while Amazon's figure differs from ours
        self.amazon_line.display = False

    def compose(self) -> ComposeResult:
        yield self.value_line
        yield self.headroom_line
        yield self.ratio_line
        yield self.graph_line
        yield from self.component_lines.values()
        yield self.amazon_line

    def action_details(self) -> None:
        self.post_message(self.Opened(self.metric_id))

    def show(
        self,
        metric: MetricValue | None,
        components: Mapping[str, MetricValue],
        styles: Mapping[str, Style],
        ascii_only: bool,
        amazon: Comparison | None = None,
    ) -> None:
        """Draw ``metric``; nothing happens when it and its components equal what is shown. ``amazon``:
        Amazon's own figure of it where it differs from ours over the same days, shown on one line."""
        key = (metric, tuple(components.get(c) for c in self.components), ascii_only, id(styles), amazon)
        if key == self._last:
            return
        self._last = key
        if metric is None:
            self._set_status("no_data")
            self.value_line.set(Text("not in this account's profile", DIM))
            return
        self.search_text = f"{metric.id} {metric.name}".lower()
        title = fmt.clean(metric.name)
        if self._title != title:  # as Text: a name from a profile or plugin is never markup
            self._title = title
            self.border_title = Text(title)
        subtitle = fmt.short_window(metric)
        if self._subtitle != subtitle:
            self._subtitle = subtitle
            self.border_subtitle = Text(subtitle)
        self._set_status(metric.status)
        status_style = styles.get(metric.status)
        value = Text(no_wrap=True, overflow="ellipsis")
        value.append(f"{status_mark(metric.status, ascii_only)} ", status_style)
        value.append(fmt.metric_value(metric), (status_style or Style()) + BOLD)
        goal = fmt.target(metric, ascii_only)
        value.append(f"  target {goal}" if metric.target is not None else f"  {goal}", DIM)
        self.value_line.set(value)
        self.headroom_line.set(Text(fmt.headroom(metric)))  # wraps in a narrow panel (see the .tcss)
        ratio = Text(fmt.ratio(metric), no_wrap=True, overflow="ellipsis")
        words, verdict = fmt.trend(metric, ascii_only)
        if words:
            if ratio:
                ratio.append("  ")
            trend_style = {"better": styles.get("ok"), "worse": styles.get("breach")}.get(verdict, DIM)
            ratio.append(words, trend_style)
        self.ratio_line.set(ratio)
        graph = history_line(metric.history, metric.target, metric.warn, metric.direction, styles, ascii_only)
        self.graph_line.set(graph)
        for cid in self.components:
            self.component_lines[cid].set(_component_line(components.get(cid), styles))
        self.amazon_line.display = amazon is not None
        if amazon is not None:
            self.amazon_line.set(amazon_line(amazon, styles))

    def _set_status(self, status: str) -> None:
        wanted = f"-{status}"
        if self.has_class(wanted):
            return
        self.remove_class(*(f"-{s}" for s in STATUSES))
        self.add_class(wanted)


def _component_line(metric: MetricValue | None, styles: Mapping[str, Style]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if metric is None:
        return text
    text.append(" ")
    text.append(fmt.metric_value(metric), styles.get(metric.status))
    text.append(f" {fmt.clean(metric.name)}")
    if metric.numerator is not None:
        text.append(f" ({metric.numerator})", DIM)
    return text


def amazon_line(found: Comparison, styles: Mapping[str, Style]) -> Text:
    """``Amazon 2.22 %, ours 3.37 % (+1.15 pp)``: the one line a panel gives it, ours measured over
    Amazon's days (the drill-down shows which)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Amazon ", styles.get("warning"))
    text.append(format_rate(found.theirs.rate))
    if found.ours is not None:
        text.append(f", ours {format_rate(found.ours.value)}")
    if found.difference is not None:
        text.append(f" ({format_difference(found.difference)})", DIM)
    return text
