"""The latest alerts and their state, newest first; "no alerts" when there are none (or no feed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from .. import format as fmt
from ..data import AlertLine
from .line import Line

FEED_LINES = 5
STATE_STATUS = {"firing": "breach", "pending": "warning", "resolved": "ok", "ok": "ok", "silenced": "no_data"}


class AlertFeed(Vertical):
    def __init__(self) -> None:
        super().__init__(id="alerts", classes="panel side group-alerts")
        self.border_title = "Alerts"
        self.search_text = "alerts"
        self._last: tuple | None = None
        self.lines = [Line(classes=f"alert alert-{n}") for n in range(FEED_LINES)]

    def compose(self) -> ComposeResult:
        yield from self.lines

    def show(self, alerts: Sequence[AlertLine], tz: tzinfo, styles: Mapping[str, Style]) -> None:
        newest = sorted(alerts, key=lambda a: a.at, reverse=True)[:FEED_LINES]
        key = (tuple(newest), id(styles))
        if key == self._last:
            return
        self._last = key
        lines = [_alert_text(a, tz, styles) for a in newest] or [Text("no alerts", Style(dim=True))]
        for n, line in enumerate(self.lines):
            line.set(lines[n] if n < len(lines) else Text())
        self.set_class(len(lines) <= 1, "-short")


def _alert_text(alert: AlertLine, tz: tzinfo, styles: Mapping[str, Style]) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(fmt.instant(alert.at, tz)[11:], Style(dim=True))
    text.append(f" {fmt.clean(alert.state):<8}", styles.get(STATE_STATUS.get(alert.state, "info")))
    text.append(f" {fmt.clean(alert.rule)}")
    if alert.account:
        text.append(f" {fmt.clean(alert.account)}", Style(dim=True))
    if alert.message:
        text.append(f" {fmt.clean(alert.message)}")
    return text
