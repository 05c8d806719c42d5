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
from datetime import tzinfo
from functools import partial
from typing import Any, ClassVar

from sellerpulse.core.snapshot import AccountSnapshot
from sellerpulse.core.timeutil import TimeError, load_zone
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from .ascii import AsciiScrollbars, ascii_key
from .data import DashboardData
from .host import Reading
from .messages import MainReady, OpenPlan, ReadNow
from .panels import GROUPS
from .screens.main import MainScreen
from .widgets.alert_feed import AlertFeed
from .widgets.metric_panel import MetricPanel
from .widgets.queues_panel import QueueBlock
from .widgets.sources_panel import SourcesPanel

MIN_REFRESH = 0.5
WARMUP_POLL = 0.2  # seconds between reads until the first data arrives
REFRESH_STEPS = (0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0)


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
        self.reading: Reading | None = None
        self._keymap_wanted = dict(keymap or {})
        self._timer: Timer | None = None
        self._fetching = False
        self._zones: dict[str, tzinfo] = {}
        self._screens: dict[type[Screen], Screen] = {}  # built on first use, then shown again (open_screen)
        self._settled = False
        self.animation_level = "none"
        self._ascii_scrollbars = AsciiScrollbars()

    # -- lifecycle --------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        return MainScreen(self.metric_rules, ascii_only=self.ascii_only, show_clock=self.show_clock)

    def metric_rules(self, account: AccountSnapshot | None) -> dict[str, str]:
        """Metric id -> rule of the account's panels (None: the default profile's, before any data).

        The snapshot says which metrics the account has; the data provider says what each measures.
        A provider that cannot say (rule "") still gets every panel, in the last metric group."""
        data = self.data
        rules_of = getattr(data, "metric_rules", None)
        known = rules_of(account.account if account else None) if rules_of is not None else {}
        if account is not None:
            return {mid: known.get(mid, "") for mid in account.metrics}
        if rules_of is None and hasattr(data, "metric_ids"):
            return dict.fromkeys(data.metric_ids(), "")
        return known

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

    def on_main_ready(self, _: MainReady) -> None:
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
            tz=self.zone(account.timezone if account else "UTC"),
            paused=self.paused,
            refresh_interval=self.refresh_interval,
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

        if not isinstance(self.screen, HelpScreen):
            self.open_screen(HelpScreen, self.screen)

    def open_screen(
        self, kind: type[Screen], *args: Any, callback: Callable[[Any], object] | None = None
    ) -> None:
        """Push the one screen of ``kind``, showing ``args`` (its constructor's, and its ``show_for``'s).

        Each screen is built the first time and shown again after that, never built anew: building
        one costs tens of milliseconds of the key press that opened it, and every widget ever drawn
        stays alive in Textual's render caches (the last 1,024 of them, with every line they drew)
        for each garbage collection to walk. tests/test_tui_screen_reuse.py opens them hundreds of
        times. A screen already open (under another) is left where it is."""
        screen = self._screens.get(kind)
        if screen is None:
            screen = self._screens[kind] = kind(*args)
            screen.ascii_only = self.ascii_only  # every screen the app opens has it
            self.install_screen(screen, name=f"sellerpulse-{kind.__name__}")
        elif screen in self.screen_stack:
            return
        else:
            screen.show_for(*args)  # type: ignore[attr-defined]
        self.push_screen(screen, callback)

    def action_account(self) -> None:
        from .screens.account_picker import AccountPicker

        if isinstance(self.screen, AccountPicker):
            return
        if not self.accounts:
            self.notify("no accounts yet", timeout=2)
            return
        self.open_screen(AccountPicker, self.reading.snapshot, self.account, callback=self.switch_account)

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
        self.open_screen(RejectionsScreen)

    def action_alerts(self) -> None:
        from .screens.alerts import AlertsScreen

        if not isinstance(self.screen, AlertsScreen):
            self.open_screen(AlertsScreen)

    def action_back(self) -> None:
        if self.screen is self.main:
            self.main.clear_filter()
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def on_metric_panel_opened(self, message: MetricPanel.Opened) -> None:
        self.open_metric(message.metric_id)

    def on_queue_block_opened(self, message: QueueBlock.Opened) -> None:
        self.open_queue(message.queue_id)

    def on_alert_feed_opened(self, _: AlertFeed.Opened) -> None:
        self.action_alerts()

    def on_sources_panel_opened(self, _: SourcesPanel.Opened) -> None:
        self.action_rejections()

    def on_read_now(self, _: ReadNow) -> None:
        self.fetch()

    def on_open_plan(self, message: OpenPlan) -> None:
        from .screens.plan import PlanScreen

        self.open_screen(PlanScreen, message.account, message.metric_id)

    def action_customer_service(self) -> None:
        """The weekly customer-service figures, feedback score and slowest threads of the account."""
        from .screens.customer_service import CustomerServiceScreen

        if self.current_account is None:
            self.notify("no accounts yet", timeout=2)
            return
        self.open_screen(CustomerServiceScreen, self.current_account.account)

    def open_metric(self, metric_id: str) -> None:
        from .screens.drilldown import MetricDetails

        if self.current_account is not None:
            self.open_screen(MetricDetails, self.current_account.account, metric_id)

    def open_queue(self, queue_id: str) -> None:
        from .screens.drilldown import QueueDetails

        if self.current_account is not None:
            self.open_screen(QueueDetails, self.current_account.account, queue_id)

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
                            self.action_customer_service)  # fmt: skip
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
