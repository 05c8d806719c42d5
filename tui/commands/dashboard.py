"""``sellerpulse run`` and ``sellerpulse demo``: the live dashboard, and what a bare ``sellerpulse`` does.

``run`` starts the configured sources on a background runtime and the dashboard on top of it; ``demo``
does the same with the mock marketplace (90 days of backfill, simulated time) and no config at all. The
dashboard reads the engine only through snapshots; logs go to the log file, never to the terminal the
dashboard draws on.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from sellerpulse.core.textsafe import clean

from .common import (
    EXIT_USAGE,
    add_config_argument,
    add_log_arguments,
    fail,
    load_config_from_args,
    load_plugins_warned,
    start_logging,
)
from .headless import add_state_arguments, demo_state_path, engine_meta, open_checkpointer, run_headless
from .serve import add_serve_arguments

HOW_TO_START = """\
sellerpulse: no config found ({searched}).

To see it working right away on a simulated seller:
    sellerpulse demo

To watch your own accounts, write a starter config and edit its [[sources]]:
    sellerpulse config init
    sellerpulse run
"""


NOT_A_TERMINAL = (
    "`sellerpulse {command}` draws a dashboard on a terminal and stdout is not one (a file or a pipe"
    " would get escape codes); {instead}"
)


def _on_a_terminal() -> bool:
    return sys.stdout.isatty()


def _view_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--refresh", type=float, default=None, metavar="SECONDS",
        help="seconds between screen refreshes (default: general.refresh, 2; floor 0.5)",
    )  # fmt: skip
    parser.add_argument("--no-color", action="store_true", help="no colours (also: the NO_COLOR variable)")
    parser.add_argument("--ascii", action="store_true", help="graphs without block characters")


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="the live dashboard on the configured sources")
    add_config_argument(run)
    add_log_arguments(run)
    _view_arguments(run)
    add_state_arguments(run)
    run.add_argument(
        "--headless", action="store_true", help="no UI: sources, alerts and checkpoints until SIGTERM/SIGINT"
    )
    add_serve_arguments(run)  # run --headless is serve
    run.set_defaults(handler=run_dashboard)

    demo = subparsers.add_parser("demo", help="the dashboard on a simulated marketplace (no config needed)")
    demo.add_argument(
        "--scenario", default="healthy", help="which metric the simulation pushes toward a breach"
    )
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed, same seller)")
    demo.add_argument(
        "--marketplace", default="amazon", choices=("amazon", "walmart", "ebay", "mixed"),
        help="whose stores to simulate, each judged by its own marketplace's rules (mixed: one of each)",
    )  # fmt: skip
    demo.add_argument(
        "--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)"
    )
    demo.add_argument(
        "--orders-per-day", type=float, default=200.0, help="orders a day of the largest account"
    )
    demo.add_argument("--backfill-days", type=int, default=90, help="days of history generated at start")
    demo.add_argument(
        "--start", default="", help="simulated now at the end of the backfill (ISO; default now)"
    )
    add_log_arguments(demo)
    _view_arguments(demo)
    add_state_arguments(demo, demo=True)
    demo.set_defaults(handler=run_demo)


def run_default() -> int:
    """A bare ``sellerpulse``: the dashboard on the config found, or how to start when there is none."""
    from sellerpulse.core.config_locations import find_config_path, search_order

    if find_config_path(None) is None:
        searched = ", ".join(str(c.path) for c in search_order(None) if c.path is not None)
        print(HOW_TO_START.format(searched=searched or "none"), file=sys.stderr)
        return EXIT_USAGE
    args = argparse.Namespace(
        config=None, log_level=None, log_file=None, refresh=None, no_color=False, ascii=False,
        state=None, no_state=False, checkpoint_interval=5.0, headless=False,
    )  # fmt: skip

    from .attach import attach_to_running

    attached = attach_to_running(find_config_path(None))  # a serve runs for this config: watch it,
    return run_dashboard(args) if attached is None else attached  # never start a second engine


def _no_sources_message(path: Path | None) -> str:
    """What to do when a config reads nothing: edit the file that exists (``config init`` refuses to
    write over it), or write one."""
    if path is None:
        return "no config file and so no [[sources]]: `sellerpulse config init` writes one, or try `sellerpulse demo`"
    return (
        f"{path}: no [[sources]] configured: edit that file's [[sources]] section (a commented example is in"
        " the file `sellerpulse config init` writes; `sellerpulse plugins` lists the source types),"
        " or try `sellerpulse demo`"
    )


def run_dashboard(args: argparse.Namespace) -> int:
    if args.headless:
        return run_headless(args)
    from sellerpulse.core.alerts.setup import state_path
    from sellerpulse.core.assembly import adopt_source_accounts, engine_from_config
    from sellerpulse.core.config import ConfigError
    from sellerpulse.core.runtime import Runtime, SourceConfigError, sources_from_config
    from sellerpulse.core.state_store import StateError

    try:
        config = load_config_from_args(args)
    except ConfigError as exc:
        return fail(exc)
    if not config.sources:
        return fail(_no_sources_message(config.path))
    plugins = load_plugins_warned()
    try:
        sources = sources_from_config(config, plugins)
        adopt_source_accounts(config, sources)
        engine = engine_from_config(config, plugins.profiles())
    except (SourceConfigError, ConfigError, ValueError) as exc:
        return fail(exc)
    if not _on_a_terminal():
        return fail(
            NOT_A_TERMINAL.format(
                command="run",
                instead="for text use `sellerpulse report`, with no UI `sellerpulse run --headless`",
            )
        )
    start_logging(args, config, plugins=plugins)
    runtime = Runtime(engine, sources)
    refresh = args.refresh if args.refresh is not None else config.general.refresh
    scratch = tempfile.TemporaryDirectory(prefix="sellerpulse-") if args.no_state else None
    try:
        path = None if args.no_state else state_path(config, args.state)
        meta = engine_meta(engine, config.general.profile)
        checkpointer = open_checkpointer(runtime, path, args.checkpoint_interval, meta)
        alerts = Alerting.open(config, plugins, path or Path(scratch.name) / "state.sqlite3", runtime)
    except (StateError, *_alert_setup_errors()) as exc:
        return fail(exc)
    try:
        return _serve(runtime, None, refresh, args, config.keymap, checkpointer, alerts)
    finally:
        if scratch is not None:
            scratch.cleanup()


def run_demo(args: argparse.Namespace) -> int:
    from sellerpulse.core.assembly import engine_from_config
    from sellerpulse.core.logs import setup_logging
    from sellerpulse.core.options import OptionError, validate_options
    from sellerpulse.core.runtime import Runtime
    from sellerpulse.core.state_store import StateError
    from sellerpulse.plugins.mock.source import MockSource

    wanted: dict[str, Any] = {
        "seed": args.seed,
        "speed": args.speed,
        "scenario": args.scenario,
        "orders_per_day": args.orders_per_day,
        "backfill_days": args.backfill_days,
        "start": args.start,
        "marketplace": args.marketplace,
        **({"accounts": 3} if args.marketplace == "mixed" else {}),
    }
    try:
        options = validate_options(MockSource.options, wanted, "demo")
        source = MockSource("mock", options)
    except (OptionError, ValueError) as exc:
        return fail(exc)
    if not _on_a_terminal():
        return fail(NOT_A_TERMINAL.format(command="demo", instead="run it in a terminal"))
    setup_logging(args.log_level or "warning", args.log_file)
    config = demo_config(source)
    engine = engine_from_config(config)
    runtime = Runtime(engine, [source])
    refresh = args.refresh if args.refresh is not None else 2.0
    settings = {key: value for key, value in wanted.items() if key not in ("speed", "start")}
    meta = dict(engine_meta(engine, "amazon"), demo=settings)
    clock = BackfillClock(source, runtime)
    scratch = tempfile.TemporaryDirectory(prefix="sellerpulse-demo-") if args.no_state else None
    state = demo_state_path(args)
    notes: list[str] = []
    try:
        checkpointer = open_checkpointer(
            runtime, state, args.checkpoint_interval, meta, fresh_unless="demo", notes=notes
        )
        # the demo's alerts: the default rules, shown in the feed, judged on simulated time
        alert_path = state or Path(scratch.name) / "demo-state.sqlite3"
        alerts = Alerting.open(config, load_plugins_warned(), alert_path, runtime, clock=clock)
    except (StateError, *_alert_setup_errors()) as exc:
        return fail(exc)
    try:
        return _serve(runtime, clock, refresh, args, {}, checkpointer, alerts, notes)
    finally:
        if scratch is not None:
            scratch.cleanup()


def demo_config(source: Any) -> Any:
    """The demo's config: no file, and the simulated accounts as a config would name them, each with its
    time zone and its marketplace's profile, so the engine and the default alert rules judge each
    account by its own marketplace's rules."""
    from sellerpulse.core.assembly import adopt_source_accounts
    from sellerpulse.core.config import load_config

    config = load_config(None)
    adopt_source_accounts(config, [source])
    return config


class BackfillClock:
    """The demo's "now": while the mock source is still backfilling, the instant its history has
    reached in the engine (the screen replays the past, so nothing looks overdue just because its
    shipment has not been read yet); afterwards the source's simulated clock. The runtime's positions
    are taken under its lock, so they agree with what the engine holds."""

    def __init__(self, source: Any, runtime: Any) -> None:
        self.source = source
        self.runtime = runtime

    def now(self) -> int:
        from sellerpulse.core.timeutil import US_PER_DAY, parse_instant

        reached = self.runtime.positions().get(self.source.name, {}).get("reached")
        if reached is None:  # nothing applied yet: the start of the history
            return self.source.start - self.source.settings["backfill_days"] * US_PER_DAY
        instant = parse_instant(str(reached))
        return instant if instant < self.source.start else self.source.clock.now()


def _serve(
    runtime: Any,
    clock: Any,
    refresh: float,
    args: argparse.Namespace,
    keymap: dict[str, str],
    checkpointer: Any = None,
    alerts: Alerting | None = None,
    notes: list[str] | None = None,
) -> int:
    """Start the sources on their thread, run the dashboard until it quits, then stop the sources.
    With a ``checkpointer``, the saved state is replayed first and the last checkpoint written at the end;
    with ``alerts``, rules are evaluated once the state is whole and their states fill the alert feed."""
    start_sources = runtime.start_in_thread if checkpointer is None else checkpointer.start

    def start() -> None:
        start_sources()
        if alerts is not None:
            alerts.start(None if checkpointer is None else checkpointer.ready)
        for note in notes or ():
            app.notify(note, title="demo", timeout=10, markup=False)

    if args.no_color:
        os.environ["NO_COLOR"] = "1"  # Textual reads it when the app is created
    from ..app import make_app, unknown_binding_ids
    from ..data import RuntimeData

    for ident in unknown_binding_ids(keymap):
        print(
            f"sellerpulse: warning: [keymap] {ident!r} is not a binding id (see `?` in the dashboard)",
            file=sys.stderr,
        )
    data = RuntimeData(
        runtime,
        clock=clock,
        alerts=None if alerts is None else alerts.manager.states,
        restoring=None if checkpointer is None else checkpointer.progress,
        alert_control=None if alerts is None else alerts.manager,
    )
    app = make_app(data, refresh=refresh, ascii_only=args.ascii, keymap=keymap, on_start=start)
    status = 0
    try:
        app.run()
    finally:
        if checkpointer is None:
            runtime.stop(timeout=5.0)
        else:
            checkpointer.stop(timeout=5.0)
            checkpointer.store.close()
            if checkpointer.error:  # the last checkpoint could not be written (a full disk): say so
                print(f"sellerpulse: error: {clean(checkpointer.error)}", file=sys.stderr)
                status = 1
        if alerts is not None:
            alerts.close()
    return app.return_code or status


def _alert_setup_errors() -> tuple[type[Exception], ...]:
    """What setting up the alerts can raise for a bad config or state file (imported late: the alerts
    package is not needed to parse the command line)."""
    from sellerpulse.core.alerts.rules import RuleError
    from sellerpulse.core.alerts.sink import SinkConfigError
    from sellerpulse.core.alerts.store import StoreError
    from sellerpulse.core.config import ConfigError

    return (RuleError, SinkConfigError, StoreError, ConfigError, ValueError)


class Alerting:
    """The alert manager and its scheduler for a dashboard: rules are judged only once a saved state
    has been replayed (a half-loaded history would page for breaches that are not there)."""

    def __init__(self, manager: Any, scheduler: Any) -> None:
        self.manager = manager
        self.scheduler = scheduler

    @classmethod
    def open(cls, config: Any, plugins: Any, path: Path, runtime: Any, clock: Any = None) -> Alerting:
        from sellerpulse.core.alerts.setup import attach_to_runtime, history_days_needed, manager_from_config
        from sellerpulse.core.alerts.store import Store

        profiles = plugins.profiles()
        manager = manager_from_config(config, plugins.sinks(), Store(path), clock or runtime.clock, profiles)
        history = history_days_needed(manager.rules, config.profile_named(config.general.profile, profiles))
        return cls(manager, attach_to_runtime(runtime, manager, history, clock=clock))

    def start(self, ready: threading.Event | None) -> None:
        self.manager.start()
        if ready is None:
            self.scheduler.start()
            return

        def when_ready() -> None:
            ready.wait()
            self.scheduler.start()

        threading.Thread(target=when_ready, name="alerts-after-replay", daemon=True).start()

    def close(self) -> None:
        self.scheduler.stop()
        self.manager.close()
        self.manager.store.close()
