"""Every alert rule's state for the account's operator: state, since when (in the account's zone), the
full text, and whether it is acknowledged or silenced; ``k`` acknowledges, ``z`` silences for an hour.

The feed on the main screen only names the urgent ones; this screen is where they are read and acted on.
Acting needs the alert manager (:attr:`~sellerpulse.tui.data.EngineData.alert_control`); a view without
one (a file report, an attached view) says so instead.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from .. import format as fmt
from ..data import AlertLine
from ..messages import ReadNow
from ..widgets.alert_feed import STATE_STATUS, URGENCY, feed_order
from ..widgets.line import Line
from .table_screen import Row, TableScreen, cells

SILENCE_FOR = "1h"


def _flags(alert: AlertLine) -> str:
    flags = (("acked", alert.acknowledged), ("silenced", alert.silenced), ("inhibited", alert.inhibited))
    return ", ".join(word for word, on in flags if on)


class AlertsScreen(TableScreen):
    COLUMNS = ("State", "Since", "Rule", "Account", "Handled", "Summary")
    EMPTY = "no alerts: every rule is quiet"
    HINT = "  · k ack · z silence 1h · / filter · esc back"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "acknowledge", "Acknowledge", id="alert-ack"),
        Binding("z", "silence", f"Silence {SILENCE_FOR}", id="alert-silence"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.alerts: list[AlertLine] = []
        self.shown: list[AlertLine] = []

    def show_for(self) -> None:
        """Read the alerts again (the app keeps one of these screens)."""
        self.start_over()

    def compose_extra(self) -> ComposeResult:
        yield Static(id="alert-text", classes="details-head")

    def draw_head(self) -> None:
        title = Text("Alerts", Style(bold=True))
        title.append("  most urgent first; the full text of the highlighted one below", Style(dim=True))
        self.query_one(".title", Line).set(title)

    def _zone_name(self) -> str:
        account = self.app.current_account
        return account.timezone if account is not None else "UTC"

    def load(self, at: int) -> list[Row]:
        tz = self.app.zone(self._zone_name())
        every = self.app.data.alerts()
        alerts = feed_order(every)
        alerts += sorted(
            (a for a in every if a not in alerts), key=lambda a: (not a.inhibited, a.state)
        )  # then inhibited, no_data
        self.alerts = alerts
        return [
            Row(
                cells(a.state, fmt.instant(a.at, tz), a.rule, a.account, _flags(a), a.message),
                (URGENCY.get(a.state, len(URGENCY)), a.at, a.rule, a.account, _flags(a), a.message),
                STATE_STATUS.get(a.state),
            )
            for a in alerts
        ]

    def render_rows(self) -> None:
        super().render_rows()
        by_cells = {(a.rule, a.account): a for a in self.alerts}
        self.shown = [by_cells[(r.cells[2], r.cells[3])] for r in self.visible_rows()]
        self._show_text(self.query_one(DataTable).cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_text(event.cursor_row)

    def _show_text(self, row: int) -> None:
        alert = self.selected(row)
        text = Text()
        if alert is not None:
            text.append(f"{fmt.clean(alert.rule)} {fmt.clean(alert.account)}: ", Style(bold=True))
            text.append(fmt.clean(alert.message) or "(no text)")
        self.query_one("#alert-text", Static).update(text)

    def selected(self, row: int | None = None) -> AlertLine | None:
        row = self.query_one(DataTable).cursor_row if row is None else row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def action_acknowledge(self) -> None:
        self._act("acknowledged", lambda control, a: control.acknowledge(a.rule, a.account or None))

    def action_silence(self) -> None:
        self._act(
            f"silenced for {SILENCE_FOR}",
            lambda control, a: control.silence(rule=a.rule, account=a.account or None, duration=SILENCE_FOR),
        )

    def _act(self, done: str, act) -> None:
        alert = self.selected()
        control = getattr(self.app.data, "alert_control", None)
        if alert is None:
            self.notify("no alert selected", timeout=3)
            return
        if control is None:
            self.notify("alerts are only shown here: act on them where sellerpulse runs", timeout=4)
            return
        try:
            changed = act(control, alert)
        except Exception as exc:  # a refused or failed action is a message on screen, never a crash
            self.notify(str(exc), severity="error", markup=False)
            return
        if not changed:
            self.notify(f"{alert.rule} is not firing: nothing to acknowledge", timeout=3, markup=False)
            return
        self.notify(f"{alert.rule} {alert.account}: {done}", timeout=3, markup=False)
        self.post_message(ReadNow())
        self.reload()
