"""Pick a seller account; each line shows its worst status so the one in trouble stands out, and its
marketplace and seller level, so accounts of several marketplaces can be told apart."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from sellerpulse.core.snapshot import Snapshot
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from .. import format as fmt
from ..level import level_status
from ..theme import STATUS_WORD, status_styles

SEVERITY = ("breach", "warning", "ok", "info", "no_data")


class AccountPicker(ModalScreen[str | None]):
    ascii_only = False  # ASCII marks and separators only; the app sets it (open_screen)
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="picker-cancel")]

    def __init__(self, snapshot: Snapshot, current: str | None) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box") as box:
            box.border_title = "Accounts"
            box.border_subtitle = f"enter selects {fmt.dot(self.ascii_only)} esc cancels"
            yield OptionList(id="accounts")

    def on_mount(self) -> None:
        self._fill()

    def show_for(self, snapshot: Snapshot, current: str | None) -> None:
        """List the accounts of a newer snapshot (the app keeps one picker)."""
        self.snapshot, self.current = snapshot, current
        self._fill()

    def _fill(self) -> None:
        styles = status_styles(self.app)
        options = []
        width = max((len(fmt.clean(n)) for n in self.snapshot.accounts), default=8)
        dot = fmt.dot(self.ascii_only)
        for name in sorted(self.snapshot.accounts):
            account = self.snapshot.accounts[name]
            statuses = {m.status for m in account.metrics.values()}
            worst = next((s for s in SEVERITY if s in statuses), "no_data")
            label = Text(no_wrap=True, overflow="ellipsis")
            label.append("> " if name == self.current else "  ")
            label.append(f"{fmt.clean(name):<{width}}")
            label.append(f" {STATUS_WORD[worst]:<8}", styles[worst])
            label.append(
                f" {fmt.clean(account.marketplace or account.profile)} {dot} {fmt.clean(account.timezone)}"
            )
            if account.level is not None:
                label.append(f" {dot} ")
                label.append(fmt.clean(account.level.describe()), styles[level_status(account.level)])
            options.append(Option(label, id=name))
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(options)
        names = sorted(self.snapshot.accounts)
        if self.current in names:
            option_list.highlighted = names.index(self.current)
        option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
