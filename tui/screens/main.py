"""The main screen: header, one panel per metric, queues, alerts and sources; reflows with the width."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import tzinfo
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from sellerpulse.core.official_compare import DIFFERS, Comparison
from sellerpulse.core.snapshot import AccountSnapshot
from sellerpulse.core.sources import SourceHealth
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen

from .. import format as fmt
from ..data import AlertLine
from ..messages import MainReady
from ..panels import GROUPS, PanelSpec, panel_layout
from ..theme import status_styles
from ..widgets.alert_feed import AlertFeed
from ..widgets.filter_bar import FilterBar
from ..widgets.footer import KeysFooter
from ..widgets.header import HeaderLine, header_text
from ..widgets.line import Line
from ..widgets.metric_panel import MetricPanel
from ..widgets.queues_panel import QueueBlock, QueuesPanel
from ..widgets.sources_panel import SourcesPanel

DEFAULT_QUEUES = [
    "messages_awaiting_reply",
    "claims_awaiting_response",
    "returns_awaiting_response",
    "orders_to_ship",
]


class MainScreen(Screen):
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [
        (0, "-narrow"),
        (120, "-wide"),
        (170, "-huge"),
    ]
    AUTO_FOCUS = ""  # the first metric panel takes focus once the first snapshot has created it

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("tab", "app.focus_next", "Next panel", show=False, id="focus-next"),
        Binding("shift+tab", "app.focus_previous", "Previous panel", show=False, id="focus-previous"),
        Binding("c", "app.customer_service", "Customer-service view", show=False, id="customer-service"),
        *(
            Binding(g.key, f"toggle_group('{g.id}')", f"Show/hide {g.title}", show=False, id=f"panel-{g.key}")
            for g in GROUPS
        ),
    ]

    def __init__(
        self,
        metric_rules: Callable[[AccountSnapshot | None], dict[str, str]],
        *,
        ascii_only: bool = False,
        show_clock: bool = True,
    ) -> None:
        """``metric_rules``: metric id -> rule of an account's panels (of the default profile for
        None, before any data), from the app's data provider."""
        super().__init__(id="main")
        self._metric_rules = metric_rules
        self.ascii_only = ascii_only
        self.show_clock = show_clock
        self.hidden_groups: set[str] = set()  # panel groups the operator hid (1-9)
        self._layout: list[PanelSpec] = []
        self._panels: list[MetricPanel] = []  # the panels of ``_layout`` (drawn even before they mount)
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield HeaderLine(id="header")
        yield FilterBar("filter panels (esc clears)", id="filter-bar")
        with VerticalScroll(id="body", can_focus=False):
            yield Line(id="all-hidden")  # says why the screen is empty when every panel is hidden
            # narrow terminals show the side column first, compact (what to act on above the metrics);
            # wide ones dock it to the right
            with VerticalScroll(id="side", can_focus=False):
                yield QueuesPanel(list(DEFAULT_QUEUES))
                yield AlertFeed()
                yield SourcesPanel()
            yield Grid(id="metric-grid")
        yield KeysFooter()

    def on_mount(self) -> None:
        # the width class now, not at the first resize: the first frame is then drawn once, in its layout
        width = self.app.size.width
        wanted = [name for edge, name in self.HORIZONTAL_BREAKPOINTS or [] if width >= edge][-1:]
        for _, name in self.HORIZONTAL_BREAKPOINTS or []:
            self.set_class(name in wanted, name)
        # the panels of the profile's metrics now, with the first frame: built when the first data
        # arrives, they made that refresh (styles, layout, render of a hundred widgets) hold up the
        # operator's first keys while ingest starts
        self._ensure_panels(self._metric_rules(None))
        self.post_message(MainReady())

    # -- drawing ----------------------------------------------------------------------------------

    def show(
        self,
        account: AccountSnapshot | None,
        accounts: Sequence[str],
        at: int | None,
        health: Mapping[str, SourceHealth],
        rejected: Mapping[str, int],
        alerts: Sequence[AlertLine],
        amazon: Sequence[Comparison] = (),
        *,
        tz: tzinfo,
        paused: bool = False,
        refresh_interval: float = 2.0,
    ) -> None:
        """Draw what changed since the last call; equal panels are left untouched. ``amazon``: the
        account's metrics beside Amazon's own; a panel whose figure differs from Amazon's says so.
        ``tz``: the account's time zone (UTC without an account); ``paused`` and ``refresh_interval``
        for the header."""
        styles = status_styles(self.app)
        position = accounts.index(account.account) + 1 if account and account.account in accounts else 0
        clock = at if self.show_clock else None
        self.query_one(HeaderLine).set(
            header_text(
                self.size.width or 80,
                account,
                len(accounts),
                position,
                clock,
                tz if account else None,
                health,
                paused,
                refresh_interval,
                styles,
                self.ascii_only,
            )
        )
        if account is not None:
            self._ensure_panels(self._metric_rules(account))
            for panel in self._panels:
                comps = {cid: account.metrics[cid] for cid in panel.components if cid in account.metrics}
                differs = next(
                    (c for c in amazon if c.metric_id == panel.metric_id and c.verdict == DIFFERS), None
                )
                panel.show(account.metrics.get(panel.metric_id), comps, styles, self.ascii_only, differs)
            self.query_one(QueuesPanel).show(account.queues, at or 0, styles)
        self.query_one(AlertFeed).show(alerts, tz, styles)
        self.query_one(SourcesPanel).show(health, rejected, styles)
        if self.filter_text:
            self._apply_filter()

    def _ensure_panels(self, rules: dict[str, str]) -> None:
        wanted = panel_layout(rules)
        if wanted == self._layout:
            return
        self._layout = wanted
        panels = []
        for spec in wanted:
            panel = MetricPanel(spec.metric_id, spec.group, spec.components)
            panel.set_class(spec.group in self.hidden_groups, "-hidden")
            panels.append(panel)
        self._panels = panels
        grid = self.query_one("#metric-grid", Grid)
        if grid.children:  # another profile's panels: the new ones mount once those are gone (ids recur)
            self.run_worker(self._swap_panels(grid, panels), group="panels", exclusive=True)
            return
        grid.mount_all(panels)
        if self.focused is None:
            self.call_after_refresh(self.focus_next_panel)

    async def _swap_panels(self, grid: Grid, panels: list[MetricPanel]) -> None:
        """Replace another profile's panels (an account switch): its ids recur, so the old panels must
        be gone before the new ones mount. A focus on a metric panel moves to the first new one."""
        on_metric = self.focused is None or isinstance(self.focused, MetricPanel)
        await grid.remove_children()
        await grid.mount_all(panels)
        if self.filter_text:
            self._apply_filter()
        if on_metric:
            self.focus_next_panel()

    # -- panels -----------------------------------------------------------------------------------

    def action_toggle_group(self, group_id: str) -> None:
        hidden = self.hidden_groups
        if group_id in hidden:
            hidden.discard(group_id)
        else:
            hidden.add(group_id)
        for widget in self.query(f".group-{group_id}"):
            widget.set_class(group_id in hidden, "-hidden")
        title = next(g.title for g in GROUPS if g.id == group_id)
        self.notify(f"{title}: {'hidden' if group_id in hidden else 'shown'}", timeout=2)
        self._show_hint()

    def _show_hint(self) -> None:
        """A line in place of a blank screen when no panel is left to show, saying how to get them back."""
        panels = [
            w for w in self.query(".panel") if not w.has_class("-hidden") and not w.has_class("-filtered")
        ]
        hint = self.query_one("#all-hidden", Line)
        hint.display = not panels
        if panels:
            return
        if self.filter_text:
            text = f"no panel matches {fmt.clean(self.filter_text)!r}: esc clears the filter"
        else:
            keys = "".join(g.key for g in GROUPS)
            text = f"every panel is hidden: {keys[0]}-{keys[-1]} show a group again"
        hint.set(Text(text, Style(dim=True)))

    # -- filter -----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_input_changed(self, event: FilterBar.Changed) -> None:
        if isinstance(event.input, FilterBar):
            self.filter_text = event.input.needle
            self._apply_filter()

    def on_input_submitted(self, event: FilterBar.Submitted) -> None:
        if isinstance(event.input, FilterBar):
            if not self.filter_text:
                event.input.close()
            self.focus_next_panel()

    def _apply_filter(self) -> None:
        needle = self.filter_text
        for widget in self.query(".panel"):
            if isinstance(widget, QueuesPanel):
                matches = [b for b in widget.query(QueueBlock) if needle in b.search_text]
                for block in widget.query(QueueBlock):
                    block.set_class(bool(needle) and block not in matches, "-filtered")
                widget.set_class(bool(needle) and not matches and needle not in "queues", "-filtered")
                continue
            text = getattr(widget, "search_text", "")
            widget.set_class(bool(needle) and needle not in text, "-filtered")
        self._show_hint()

    def clear_filter(self) -> bool:
        """Close the filter; returns False when there was nothing to clear."""
        bar = self.query_one(FilterBar)
        if not bar.close() and not self.filter_text:
            return False
        self.filter_text = ""
        self._apply_filter()
        if self.focused is bar:
            self.focus_next_panel()
        return True

    def focus_next_panel(self) -> None:
        for widget in [*self.query(MetricPanel), *self.query(QueueBlock), *self.query(AlertFeed),
                       *self.query(SourcesPanel)]:  # fmt: skip
            if widget.display and not widget.has_class("-hidden") and not widget.has_class("-filtered"):
                widget.focus()
                return
        self.set_focus(None)
