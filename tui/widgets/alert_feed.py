"""The alerts that need the operator, most urgent first; ``enter`` opens every alert with its full text.

A feed line is short (time, state, rule, account) and wraps rather than being cut; the summary is on the
alerts screen. ``no_data`` is a rule that cannot judge yet, not an alert: it stays out of the feed, so
that a file with many thin accounts cannot push the firing rules out of its few lines; so does a warning
inhibited by its own breach (the breach is in the feed; the alerts screen lists both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message

from .. import format as fmt
from ..data import AlertLine
from .line import Line

FEED_LINES = 5
NARROW_LINES = 2  # a narrow screen shows this many (the .tcss hides the others) and a line saying the rest
STATE_STATUS = {"firing": "breach", "pending": "warning", "resolved": "ok", "ok": "ok", "silenced": "no_data"}
NOT_ALERTS = frozenset({"no_data"})  # states a rule is in when it has nothing to judge
URGENCY = {"firing": 0, "recovering": 1, "error": 2, "pending": 3}  # others (resolved) come last


def feed_order(alerts: Sequence[AlertLine]) -> list[AlertLine]:
    """The alerts the feed shows, most urgent first (firing, then pending), newest first within."""
    shown = [a for a in alerts if a.state not in NOT_ALERTS and not a.inhibited]
    return sorted(shown, key=lambda a: (URGENCY.get(a.state, len(URGENCY)), -a.at, a.rule, a.account))


class AlertFeed(Vertical, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "details", "Details", id="details")]

    class Opened(Message):
        """The operator asked for the alerts screen."""

    def __init__(self) -> None:
        super().__init__(id="alerts", classes="panel side group-alerts")
        self.border_title = "Alerts"
        self.search_text = "alerts"
        self._last: tuple | None = None
        self.lines = [Line(classes=f"alert alert-{n}") for n in range(FEED_LINES)]
        self.more_line = Line(classes="alert-more")  # shown on narrow screens, which have no border

    def compose(self) -> ComposeResult:
        yield from self.lines
        yield self.more_line

    def action_details(self) -> None:
        self.post_message(self.Opened())

    def show(self, alerts: Sequence[AlertLine], tz: tzinfo, styles: Mapping[str, Style]) -> None:
        ordered = feed_order(alerts)
        newest = ordered[:FEED_LINES]
        key = (tuple(newest), len(ordered), tz, id(styles))  # the zone too: it arrives with the first data
        if key == self._last:
            return
        self._last = key
        lines = [_alert_text(a, tz, styles) for a in newest] or [Text("no alerts", Style(dim=True))]
        for n, line in enumerate(self.lines):
            line.set(lines[n] if n < len(lines) else Text())
        self.set_class(len(lines) <= 1, "-short")
        more = len(ordered) - len(newest)
        self.border_subtitle = f"{more} more, enter" if more else ("enter: details" if newest else "")
        hidden = len(ordered) - NARROW_LINES
        self.more_line.set(
            Text(f"{hidden} more alerts: l lists them all" if hidden > 0 else "", Style(dim=True))
        )
        self.more_line.set_class(hidden <= 0, "-none")


def _alert_text(alert: AlertLine, tz: tzinfo, styles: Mapping[str, Style]) -> Text:
    text = Text()
    text.append(fmt.instant(alert.at, tz)[11:], Style(dim=True))
    text.append(f" {fmt.clean(alert.state)}", styles.get(STATE_STATUS.get(alert.state, "info")))
    text.append(f" {fmt.clean(alert.rule)}")
    if alert.account:
        text.append(f" {fmt.clean(alert.account)}", Style(dim=True))
    return text
