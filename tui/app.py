"""The dashboard application and :func:`make_app`, the one factory used by the CLI and the tests.

The app renders the latest snapshot at the refresh rate. Snapshots are taken on a worker thread (the
runtime ingests under a lock; waiting for it must never block keys) and handed back to the UI thread,
which redraws only the rows that changed. Tests and snapshot tests turn the timer and the thread off
(``live=False, threaded=False``) and drive refreshes by hand.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from sellerpulse.core.official_compare import Comparison
from sellerpulse.core.snapshot import AccountSnapshot, Snapshot
from sellerpulse.core.sources import SourceHealth
from sellerpulse.core.timeutil import TimeError, load_zone
from textual import events
from textual._styles_cache import StylesCache
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from .ascii import AsciiScrollbars, ascii_key
from .data import AlertLine, DashboardData
from .panels import GROUPS
from .screens.main import MainScreen

if TYPE_CHECKING:
    from .screens.help import HelpScreen

MIN_REFRESH = 0.5
WARMUP_POLL = 0.2  # seconds between reads until the first data arrives
REFRESH_STEPS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything one refresh reads, taken together off the UI thread."""

    at: int
    snapshot: Snapshot | None
    health: dict[str, SourceHealth] = field(default_factory=dict)
    alerts: list[AlertLine] = field(default_factory=list)
    error: str | None = None
    amazon: tuple[Comparison, ...] = ()  # Amazon's numbers beside ours (Account Health reports read)


def faster(interval: float) -> float:
    return max([MIN_REFRESH, *(s for s in REFRESH_STEPS if s < interval)])


def slower(interval: float) -> float:
    return min([REFRESH_STEPS[-1], *(s for s in REFRESH_STEPS if s > interval)])


class SellerPulseApp(App):
    CSS_PATH = "sellerpulse.tcss"
    TITLE = "sellerpulse"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("p", "pause", "Pause", id="pause"),
        Binding("plus", "faster", "Faster", key_display="+", show=False, id="faster"),
        Binding("minus", "slower", "Slower", key_display="-", show=False, id="slower"),
        Binding("r", "refresh", "Refresh", show=False, id="refresh"),
        Binding("a", "account", "Account", id="account"),
        Binding("e", "rejections", "Rejected rows", show=False, id="rejections"),
        Binding("l", "alerts", "Alerts", show=False, id="alerts"),
        Binding("escape", "back", "Back", show=False, id="back"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, id="palette"),
    ]

    def __init__(
        self,
        data: DashboardData,
        *,
        refresh: float = 2.0,
        live: bool = True,
        threaded: bool = True,
        show_clock: bool = True,
        ascii_only: bool = False,
        keymap: Mapping[str, str] | None = None,
        account: str | None = None,
        on_start: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self._on_start = on_start
        self.data = data
        self.refresh_interval = max(MIN_REFRESH, float(refresh))
        self.live = live
        self.threaded = threaded
        self.show_clock = show_clock
        self.ascii_only = ascii_only
        self.account = account
        self.paused = False
        self.hidden_groups: set[str] = set()
        self.reading: Reading | None = None
        self._keymap_wanted = dict(keymap or {})
        self._timer: Timer | None = None
        self._fetching = False
        self._zones: dict[str, tzinfo] = {}
        self._help: HelpScreen | None = None  # built on first use, then shown again (see HelpScreen)
        self._settled = False
        self.animation_level = "none"
        self._ascii_scrollbars = AsciiScrollbars()

    # -- lifecycle --------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen()

    def on_mount(self) -> None:
        if self._keymap_wanted:
            self.set_keymap(self._keymap_wanted)
        if self.ascii_only:
            self.add_class("-ascii")
            self._ascii_scrollbars.start()

    def get_key_display(self, binding: Binding) -> str:
        shown = super().get_key_display(binding)
        return ascii_key(shown, binding.key) if self.ascii_only else shown

    def post_message(self, message: Message) -> bool:
        # Ingest and the UI share one interpreter: a key press asks the runtime to give way so the
        # answer is not queued behind a backfill. Asked when the key arrives (the terminal driver
        # posts it from its own thread), not when the app gets round to it: a busy app would
        # otherwise share the interpreter with ingest for the very work the key waits behind.
        if isinstance(message, (events.Key, events.MouseDown)):
            note_input = getattr(self.data, "note_input", None)  # a custom data provider may not have it
            if note_input is not None:
                note_input()
        return super().post_message(message)

    def main_ready(self) -> None:
        """The main screen is composed: start the sources (when asked to: the first frame then gets the
        CPU before the backfill does), take the first snapshot and start the refresh timer."""
        if self._on_start is not None:
            self._on_start()
        self.fetch()
        if self.live:
            self._restart_timer()

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(self.refresh_interval, self.tick, name="refresh")

    @property
    def main(self) -> MainScreen:
        screen = self.screen_stack[0]  # the default screen, under any drill-down or modal
        assert isinstance(screen, MainScreen)
        return screen

    def zone(self, name: str) -> tzinfo:
        zone = self._zones.get(name)
        if zone is None:
            try:
                zone = load_zone(name)
            except TimeError:
                zone = load_zone("UTC")
            self._zones[name] = zone
        return zone

    # -- refresh ----------------------------------------------------------------------------------

    def tick(self) -> None:
        """One refresh period passed: read again unless paused."""
        if not self.paused:
            self.fetch()

    def fetch(self) -> None:
        """Read a new snapshot (on a worker thread when threaded) and draw it when it arrives."""
        if self._fetching:
            return
        at = self.data.clock.now()
        if not self.threaded:
            self.apply(self.read(at))
            return
        self._fetching = True
        self.run_worker(partial(self._read_in_thread, at), thread=True, group="snapshot", exit_on_error=False)

    def _read_in_thread(self, at: int) -> None:
        reading = self.read(at)
        self.call_from_thread(self.apply, reading)

    def read(self, at: int) -> Reading:
        try:
            amazon = tuple(self.data.account_health(at))
            return Reading(at, self.data.snapshot(at), self.data.health(), self.data.alerts(), amazon=amazon)
        except Exception as exc:  # a broken engine or feed is a message on screen, never a crash
            health = {}
            with contextlib.suppress(Exception):
                health = self.data.health()
            return Reading(at, None, health, [], f"{type(exc).__name__}: {exc}")

    def apply(self, reading: Reading) -> None:
        self._fetching = False
        if reading.error:
            self.notify(reading.error, title="reading the engine failed", severity="error", markup=False)
            if self.reading is not None:
                reading = Reading(
                    reading.at,
                    self.reading.snapshot,
                    reading.health,
                    self.reading.alerts,
                    amazon=self.reading.amazon,
                )
        self.reading = reading
        self.redraw()
        if self.live and (reading.snapshot is None or not reading.snapshot.accounts):
            self.set_timer(WARMUP_POLL, self.fetch)  # no data yet: look again soon, not a period later
        elif self.live and not self._settled:
            self._settled = True
            self.call_after_refresh(self.settle)

    def settle(self) -> None:
        """The dashboard is built and drawing data: take what is alive now out of the garbage
        collector's way (``gc.freeze``; undone on exit).

        Ingest allocates millions of short-lived events, so full collections come every second or
        so, and each one walks every object alive, the ~90,000 of the widgets, styles and modules
        included: 80-120 ms with the interpreter held, under load, in the middle of key presses.
        Frozen, they are left alone (collections then took 20-50 ms at 1M events). No collection
        first: a full one here held the interpreter for 100 ms and more, just as the operator starts
        pressing keys; the little garbage frozen with the rest is freed on exit."""
        gc.freeze()

    def on_unmount(self) -> None:
        self._ascii_scrollbars.stop()
        if self._settled:
            gc.unfreeze()

    def redraw(self) -> None:
        reading = self.reading
        if reading is None:
            return
        snapshot = reading.snapshot
        names = sorted(snapshot.accounts) if snapshot else []
        if names and self.account not in names:
            self.account = names[0]
        account = snapshot.accounts.get(self.account) if snapshot and self.account else None
        self.main.show(
            account,
            names,
            snapshot.at if snapshot else reading.at,
            reading.health,
            snapshot.rejected if snapshot else {},
            reading.alerts,
            amazon=[found for found in reading.amazon if found.account == self.account],
        )
        screen = self.screen
        if (
            getattr(screen, "FOLLOWS_READINGS", False)
            and getattr(screen, "loaded", False)
            and not self.paused
        ):
            screen.reload()  # once it has its first rows: before that it is still being built

    @property
    def current_account(self) -> AccountSnapshot | None:
        if self.reading is None or self.reading.snapshot is None or self.account is None:
            return None
        return self.reading.snapshot.accounts.get(self.account)

    @property
    def accounts(self) -> list[str]:
        if self.reading is None or self.reading.snapshot is None:
            return []
        return sorted(self.reading.snapshot.accounts)

    # -- actions ----------------------------------------------------------------------------------

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.redraw()
        if not self.paused:
            self.fetch()

    def action_refresh(self) -> None:
        """Refresh now, even while paused (an explicit request)."""
        self.fetch()
        screen = self.screen
        if screen is not self.main and hasattr(screen, "reload"):
            screen.reload()

    def set_refresh(self, interval: float) -> None:
        self.refresh_interval = max(MIN_REFRESH, interval)
        if self.live:
            self._restart_timer()
        self.redraw()
        self.notify(f"refresh every {self.refresh_interval:g} s", timeout=2)

    def action_faster(self) -> None:
        self.set_refresh(faster(self.refresh_interval))

    def action_slower(self) -> None:
        self.set_refresh(slower(self.refresh_interval))

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        if self._help is None:
            self._help = HelpScreen(self.screen)
            self.install_screen(self._help, name="help")
        else:
            self._help.show_for(self.screen)
        self.push_screen(self._help)

    def action_account(self) -> None:
        from .screens.account_picker import AccountPicker

        if isinstance(self.screen, AccountPicker):
            return
        if not self.accounts:
            self.notify("no accounts yet", timeout=2)
            return
        self.push_screen(AccountPicker(self.reading.snapshot, self.account), self.switch_account)

    def switch_account(self, name: str | None) -> None:
        if name and name != self.account:
            self.account = name
            self.redraw()
            while len(self.screen_stack) > 1:
                self.pop_screen()

    def action_rejections(self) -> None:
        from .screens.rejections import RejectionsScreen

        if isinstance(self.screen, RejectionsScreen):
            return
        self.push_screen(RejectionsScreen())

    def action_alerts(self) -> None:
        from .screens.alerts import AlertsScreen

        if isinstance(self.screen, AlertsScreen):
            return
        self.push_screen(AlertsScreen())

    def pop_screen(self) -> AwaitComplete:
        done = super().pop_screen()
        forget_closed_widgets()
        return done

    def action_back(self) -> None:
        if self.screen is self.main:
            self.main.clear_filter()
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def open_metric(self, metric_id: str) -> None:
        from .screens.drilldown import MetricDetails

        if self.current_account is not None:
            self.push_screen(MetricDetails(self.current_account.account, metric_id))

    def open_queue(self, queue_id: str) -> None:
        from .screens.drilldown import QueueDetails

        if self.current_account is not None:
            self.push_screen(QueueDetails(self.current_account.account, queue_id))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Pause / resume", "Stop or restart updates (p)", self.action_pause)
        yield SystemCommand("Refresh now", "Read a new snapshot (r)", self.action_refresh)
        yield SystemCommand("Refresh faster", "Shorter refresh interval (+)", self.action_faster)
        yield SystemCommand("Refresh slower", "Longer refresh interval (-)", self.action_slower)
        yield SystemCommand("Switch account", "Pick another seller account (a)", self.action_account)
        yield SystemCommand("Rejected rows", "Rows the sources could not read, with reasons (e)",
                            self.action_rejections)  # fmt: skip
        yield SystemCommand("Alerts", "Every alert: state, since when, full text; ack, silence (l)",
                            self.action_alerts)  # fmt: skip
        yield SystemCommand("Customer-service view", "The weekly customer-service figures of the account (c)",
                            self.main.action_customer_service)  # fmt: skip
        if hasattr(screen, "action_filter"):
            yield SystemCommand("Filter", "Show only what matches a text (/)", screen.action_filter)
        details = getattr(screen.focused, "action_details", None)
        if details is not None:
            yield SystemCommand("Details", "Open what the focused panel shows, in full (enter)", details)
        for group in GROUPS:
            yield SystemCommand(
                f"Show/hide {group.title}",
                f"Toggle the {group.title.lower()} panels ({group.key})",
                partial(self.main.action_toggle_group, group.id),
            )


def forget_closed_widgets() -> None:
    """Let go of the render caches of widgets that are gone (called when a screen closes).

    Textual memoises ``StylesCache.get_inner_outer`` with ``functools.lru_cache(1024)`` on the
    instance, so the last 1,024 widgets ever drawn stay alive with every line they rendered. Opening
    and closing the help screen a few hundred times grew the process from 90,000 to 380,000 objects,
    and each garbage collection walks them all: under load, pauses of 100-330 ms that stopped the
    dashboard mid key press. The cache only saves building two styles, so it is simply emptied."""
    cached = getattr(StylesCache.get_inner_outer, "cache_clear", None)
    if cached is not None:
        cached()


def binding_ids() -> set[str]:
    """Every binding id the dashboard defines (what a config's ``[keymap]`` may name)."""
    from .attached import AttachedApp
    from .screens.account_picker import AccountPicker
    from .screens.alerts import AlertsScreen
    from .screens.customer_service import CustomerServiceScreen
    from .screens.drilldown import MetricDetails
    from .screens.help import HelpScreen
    from .screens.plan import PlanScreen
    from .screens.table_screen import TableScreen
    from .widgets.alert_feed import AlertFeed
    from .widgets.metric_panel import MetricPanel
    from .widgets.queues_panel import QueueBlock
    from .widgets.sources_panel import SourcesPanel

    owners = (
        SellerPulseApp,
        MainScreen,
        TableScreen,
        HelpScreen,
        AccountPicker,
        MetricPanel,
        QueueBlock,
        SourcesPanel,
        AlertFeed,
        AlertsScreen,
        MetricDetails,
        PlanScreen,
        CustomerServiceScreen,
        AttachedApp,
    )
    return {b.id for owner in owners for b in owner.BINDINGS if isinstance(b, Binding) and b.id}


def unknown_binding_ids(keymap: Mapping[str, str]) -> list[str]:
    known = binding_ids()
    return sorted(ident for ident in keymap if ident not in known)


def make_app(
    data: DashboardData,
    *,
    refresh: float = 2.0,
    live: bool = True,
    threaded: bool = True,
    show_clock: bool = True,
    ascii_only: bool = False,
    keymap: Mapping[str, str] | None = None,
    account: str | None = None,
    on_start: Callable[[], object] | None = None,
) -> SellerPulseApp:
    """The dashboard over ``data``. Tests pass ``live=False, threaded=False, show_clock=False`` and
    refresh by hand (``app.fetch()`` or the ``r`` key) for deterministic screens. ``on_start`` runs once
    the main screen exists (the CLI starts the sources there)."""
    return SellerPulseApp(
        data,
        refresh=refresh,
        live=live,
        threaded=threaded,
        show_clock=show_clock,
        ascii_only=ascii_only,
        keymap=keymap,
        account=account,
        on_start=on_start,
    )
