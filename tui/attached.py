"""The dashboard attached to a ``serve``: the same app over :class:`~sellerpulse.tui.remote.RemoteData`,
plus the one thing only a view of a shared engine offers, acknowledging the alerts that fire (``k``).

An acknowledgement is an action on ``serve``'s alert state, so it needs the token ``serve`` keeps; a
view without it is told so when it tries, and everything else works read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.binding import Binding, BindingType

from .app import SellerPulseApp
from .remote import RemoteData, RemoteError


class AttachedApp(SellerPulseApp):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("k", "ack", "Ack alerts", id="ack")]

    data: RemoteData

    def __init__(
        self,
        data: RemoteData,
        *,
        refresh: float = 2.0,
        live: bool = True,
        threaded: bool = True,
        show_clock: bool = True,
        ascii_only: bool = False,
        keymap: Mapping[str, str] | None = None,
        account: str | None = None,
    ) -> None:
        super().__init__(
            data,
            refresh=refresh,
            live=live,
            threaded=threaded,
            show_clock=show_clock,
            ascii_only=ascii_only,
            keymap=keymap,
            account=account,
            on_start=data.start,
        )

    def on_unmount(self) -> None:
        super().on_unmount()
        self.data.close()

    def firing_rules(self) -> list[str]:
        """The rules firing for the account on screen (what ``k`` acknowledges)."""
        alerts = self.reading.alerts if self.reading else []
        return sorted({a.rule for a in alerts if a.state == "firing" and a.account in ("", self.account)})

    def action_ack(self) -> None:
        """Acknowledge every alert firing for the account on screen: no repeats until it resolves."""
        rules = self.firing_rules()
        if not rules:
            self.notify("no alert firing for this account", timeout=3)
            return
        if self.threaded:
            self.run_worker(lambda: self._ack(rules), thread=True, group="ack", exit_on_error=False)
        else:
            self._ack(rules)

    def _ack(self, rules: list[str]) -> None:
        try:
            count = sum(self.data.acknowledge(rule, self.account) for rule in rules)
        except RemoteError as exc:
            self._tell(str(exc), "acknowledging failed", "error")
            return
        self._tell(f"acknowledged {count} firing alert(s): {', '.join(rules)}", "alerts", "information")

    def _tell(self, message: str, title: str, severity: str) -> None:
        if self.threaded:
            self.call_from_thread(self.notify, message, title=title, severity=severity, markup=False)
        else:
            self.notify(message, title=title, severity=severity, markup=False)
