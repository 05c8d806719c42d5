"""``sellerpulse serve`` (and its alias ``run --headless``): the one process that owns the data.

It runs the configured sources, the engine, the alert rules and their sinks, and checkpoints, with no
UI, and serves them over HTTP on ``--listen`` (docs/serve.md): the live view and its stream for attached
dashboards, drill-down rows, alert actions, Prometheus metrics. It logs to stderr (and the log file)
and runs until SIGTERM or SIGINT; a clean exit stops the sources, writes the final checkpoint and
removes its serve file, so the next start resumes every source where this one stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from sellerpulse.core.textsafe import clean

from ..web import add_web_arguments
from .common import (
    add_config_argument,
    add_log_arguments,
    fail,
    load_config_from_args,
    load_plugins_warned,
    start_logging,
)
from .headless import add_state_arguments, engine_meta, open_checkpointer

log = logging.getLogger("sellerpulse.run")

TICK = 0.5  # seconds between health checks
DEFAULT_LISTEN = "127.0.0.1:8710"


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """``--listen``, ``--at`` and ``--stream-interval`` (``serve`` and ``run --headless``)."""
    parser.add_argument(
        "--listen", default=DEFAULT_LISTEN, metavar="HOST:PORT",
        help=f"address of the HTTP API (default {DEFAULT_LISTEN}; port 0 picks a free one); "
        "beyond loopback every request needs the token",
    )  # fmt: skip
    parser.add_argument(
        "--at", default=None, metavar="INSTANT",
        help="a fixed clock: judge everything as of this ISO-8601 instant (replays and tests)",
    )  # fmt: skip
    parser.add_argument(
        "--stream-interval", type=float, default=1.0, metavar="SECONDS",
        help="seconds between two updates of the live stream (default 1)",
    )  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser(
        "serve", help="sources, engine, alerts and checkpoints, served over HTTP to attached views"
    )
    add_config_argument(serve)
    add_log_arguments(serve)
    add_state_arguments(serve)
    add_serve_arguments(serve)
    add_web_arguments(serve)
    serve.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from sellerpulse.core.alerts.rules import RuleError
    from sellerpulse.core.alerts.setup import (
        attach_to_runtime,
        history_days_needed,
        manager_from_config,
        state_path,
    )
    from sellerpulse.core.alerts.sink import SinkConfigError
    from sellerpulse.core.alerts.store import Store, StoreError
    from sellerpulse.core.api import tokens
    from sellerpulse.core.assembly import adopt_source_accounts, engine_from_config
    from sellerpulse.core.clock import FixedClock, SystemClock
    from sellerpulse.core.config import ConfigError
    from sellerpulse.core.health_log import HealthLog
    from sellerpulse.core.runtime import Runtime, SourceConfigError, sources_from_config
    from sellerpulse.core.state_store import StateError
    from sellerpulse.core.timeutil import TimeError, parse_instant
    from sellerpulse.tui.data import RuntimeData
    from sellerpulse.tui.server import ListenError, Service, is_loopback, parse_listen

    try:
        host, port = parse_listen(getattr(args, "listen", DEFAULT_LISTEN))
        at = getattr(args, "at", None)
        clock = FixedClock(parse_instant(at)) if at else SystemClock()
        config = load_config_from_args(args)
    except (ListenError, TimeError, ConfigError) as exc:
        return fail(exc)
    if not config.sources:
        return fail(f"{config.path or 'the defaults'}: no [[sources]] configured; nothing to run")
    plugins = load_plugins_warned()
    try:
        sources = sources_from_config(config, plugins)
        adopt_source_accounts(config, sources)
        engine = engine_from_config(config, plugins.profiles())
    except (SourceConfigError, ConfigError, ValueError) as exc:
        return fail(exc)
    start_logging(args, config, stderr=True, plugins=plugins)
    runtime = Runtime(engine, sources, clock=clock)
    health_log = HealthLog(runtime)
    scratch = tempfile.TemporaryDirectory(prefix="sellerpulse-") if args.no_state else None
    path = Path(scratch.name) / "state.sqlite3" if scratch else state_path(config, args.state)
    try:
        checkpointer = open_checkpointer(
            runtime, None if args.no_state else path, args.checkpoint_interval,
            engine_meta(engine, config.general.profile),
        )  # fmt: skip
        profiles = plugins.profiles()
        manager = manager_from_config(config, plugins.sinks(), Store(path), clock, profiles)
        history = history_days_needed(manager.rules, config.profile_named(config.general.profile, profiles))
        token_file = tokens.token_path()
        token = tokens.load_or_create(token_file)
    except (StateError, StoreError, RuleError, SinkConfigError, ConfigError, ValueError, OSError) as exc:
        if scratch is not None:
            scratch.cleanup()
        return fail(exc)
    service = Service(
        RuntimeData(runtime, alerts=manager.states), manager, token, token_file, is_loopback(host)
    )
    service.stream_seconds = max(0.05, float(getattr(args, "stream_interval", 1.0)))
    stopping = _Stopping()  # from here on SIGTERM/SIGINT stop cleanly, even before the server listens
    log.info("running headless: %d sources, state %s", len(sources), "none" if args.no_state else path)
    manager.start()
    # alerts are judged on the whole state: the scheduler starts once the journal is replayed
    scheduler = attach_to_runtime(runtime, manager, history)
    if checkpointer is not None:
        checkpointer.start()
    else:
        runtime.start_in_thread()
    status = 0
    try:
        status = asyncio.run(
            _serve(
                service, host, port, config.path, path, checkpointer, scheduler, health_log, stopping, args
            )
        )
    finally:
        stopping.restore()
        if checkpointer is not None:
            checkpointer.stop(timeout=10.0)
            checkpointer.store.close()
            if checkpointer.error and status == 0:  # the last checkpoint could not be written
                print(f"sellerpulse: error: {clean(checkpointer.error)}", file=sys.stderr)
                status = 1
        else:
            runtime.stop(timeout=10.0)
        scheduler.stop()
        manager.close()
        manager.store.close()
        if scratch is not None:
            scratch.cleanup()
    log.info("stopped")
    return status


class _Stopping:
    """SIGTERM and SIGINT, noted from the moment serve runs and turned into an asyncio event once its
    loop runs. The handler does nothing but note it: no logging, since a signal may interrupt a write
    to stderr (re-entering it raises, and the stop would be lost)."""

    def __init__(self) -> None:
        self.received: list[str] = []
        self._event: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous = {sig: signal.signal(sig, self._note) for sig in (signal.SIGTERM, signal.SIGINT)}

    def _note(self, signum: int, _frame: Any) -> None:
        self.received.append(signal.Signals(signum).name)
        if self._loop is not None and self._event is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    def on_loop(self, loop: asyncio.AbstractEventLoop) -> asyncio.Event:
        """The event set on a stop (already set if one came before the loop ran)."""
        self._event, self._loop = asyncio.Event(), loop
        if self.received:
            self._event.set()
        return self._event

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


async def _serve(
    service: Any,
    host: str,
    port: int,
    config_path: Path | None,
    state: Path,
    checkpointer: Any,
    scheduler: Any,
    health_log: Any,
    stopping: _Stopping,
    args: Any = None,
) -> int:
    """Listen, publish the view and watch the runtime until SIGTERM/SIGINT; the exit status."""
    from aiohttp import web
    from sellerpulse.core.api import discovery
    from sellerpulse.tui.server import make_runner, publish
    from sellerpulse.tui.web import start_web

    stop = stopping.on_loop(asyncio.get_running_loop())
    runner = make_runner(service)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        return fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    bound = runner.addresses[0]
    url = f"http://{f'[{bound[0]}]' if ':' in bound[0] else bound[0]}:{bound[1]}"
    serve_file = discovery.serve_file(config_path)
    discovery.write(serve_file, {
        "url": url, "config": str(config_path) if config_path else None, "state": str(state),
        "token_file": str(service.token_file),
    })  # fmt: skip
    log.info("listening on %s; the action token is in %s", url, service.token_file)
    print(f"sellerpulse serve: {url} (token in {service.token_file})", flush=True)
    start_web(args, url)  # --web: the dashboard for browsers, in a child process that ends with this one
    publisher = asyncio.create_task(publish(service, stop))
    status = 0
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), TICK)
            if checkpointer is not None and not checkpointer.ready.is_set():
                continue
            if checkpointer is not None and checkpointer.error:
                print(f"sellerpulse: error: {clean(checkpointer.error)}", file=sys.stderr)
                status = 1
                break
            scheduler.start()  # once; later calls do nothing
            health_log.poll()
    finally:
        if stopping.received:
            log.info("received %s, stopping", stopping.received[0])
        stop.set()
        await publisher
        discovery.remove(serve_file)
        await runner.cleanup()
    return status
