"""``sellerpulse run --headless`` and the state options shared by ``run`` and ``demo``.

Headless runs the configured sources, the engine, the alert rules and their sinks, and checkpoints,
with no UI: for servers, systemd units and tests. It logs to stderr (and the log file) and runs until
SIGTERM or SIGINT; a clean exit stops the sources and writes the final checkpoint, so the next start
resumes every source where this one stopped.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from sellerpulse.core.textsafe import clean

from .common import fail, load_config_from_args, load_plugins_warned, start_logging

log = logging.getLogger("sellerpulse.run")

TICK = 0.5  # seconds between health checks
DEMO_STATE = "demo-state.sqlite3"


def add_state_arguments(parser: argparse.ArgumentParser, demo: bool = False) -> None:
    """``--state PATH``, ``--no-state`` and ``--checkpoint-interval``."""
    where = DEMO_STATE if demo else "general.state, else state.sqlite3"
    parser.add_argument(
        "--state", metavar="PATH", default=None,
        help=f"state file: checkpoints and alert state (default: {where} in the user data directory)",
    )  # fmt: skip
    parser.add_argument(
        "--no-state", action="store_true", help="a throwaway run: nothing is restored or saved"
    )
    parser.add_argument(
        "--checkpoint-interval", type=float, default=5.0, metavar="SECONDS",
        help="seconds between checkpoints (default 5; one more is written on a clean exit)",
    )  # fmt: skip


def demo_state_path(args: argparse.Namespace) -> Path | None:
    """The demo's own state file (never the real one), or None with ``--no-state``."""
    if args.no_state:
        return None
    if args.state:
        return Path(args.state).expanduser()
    from sellerpulse.core.alerts.setup import default_state_path

    return default_state_path().with_name(DEMO_STATE)


def open_checkpointer(
    runtime: Any,
    path: Path | None,
    interval: float,
    meta: dict[str, Any],
    fresh_unless: str | None = None,
    notes: list[str] | None = None,
) -> Any:
    """A :class:`~sellerpulse.core.checkpoint.Checkpointer` on ``path`` with positions restored (None
    without a path). A damaged file is moved aside with a warning on stderr; a newer one raises
    ``StateError``. ``fresh_unless`` names a ``meta`` key whose saved value must match, else the
    (throwaway, demo) file is started over, and why is printed and added to ``notes`` (the dashboard
    shows it: a demo that forgot its history without a word looks broken). Every run that keeps state (or not) also gets a
    :class:`~sellerpulse.core.garbage_guard.GarbageGuard` on its sources, attached here."""
    from sellerpulse.core.garbage_guard import GarbageGuard

    GarbageGuard(runtime)
    if path is None:
        return None
    from sellerpulse.core.checkpoint import Checkpointer
    from sellerpulse.core.state_store import StateStore

    store, warning = StateStore.open(path)
    if warning:
        print(f"sellerpulse: warning: {clean(warning)}", file=sys.stderr)
    if fresh_unless is not None:
        saved = store.saved()
        if saved.events and saved.meta.get(fresh_unless) != meta.get(fresh_unless):
            store.close()
            for suffix in ("", "-wal", "-shm"):
                path.with_name(path.name + suffix).unlink(missing_ok=True)
            note = f"{_changed(saved.meta.get(fresh_unless), meta.get(fresh_unless))}: a new demo state"
            note += f" (the previous demo's history in {path} is discarded)"
            log.warning("%s", note)
            print(f"sellerpulse: note: {clean(note)}", file=sys.stderr)
            if notes is not None:
                notes.append(note)
            store, _ = StateStore.open(path)
    checkpointer = Checkpointer(runtime, store, interval, meta)
    saved = checkpointer.restore_positions()
    if saved.events:
        log.info("resuming from %s: %d events journalled", path, saved.events)
    return checkpointer


def _changed(before: Any, now: Any) -> str:
    """``scenario healthy -> late-shipping``: the settings that differ between two runs' saved values."""
    before = before if isinstance(before, dict) else {}
    now = now if isinstance(now, dict) else {}
    moved = [f"{key} {before.get(key)} -> {now.get(key)}" for key in now if before.get(key) != now.get(key)]
    return "demo settings changed: " + (", ".join(moved) or "other settings than last time")


def engine_meta(engine: Any, profile: str) -> dict[str, Any]:
    """The engine settings saved with the state, so ``report --state`` builds the same engine."""
    return {
        "engine": {
            "profile": profile,
            "timezone": engine.timezone,
            "account_timezones": dict(engine.account_timezones),
            "account_profiles": {name: p.name for name, p in engine.account_profiles.items()},
        }
    }


def run_headless(args: argparse.Namespace) -> int:
    from sellerpulse.core.alerts.rules import RuleError
    from sellerpulse.core.alerts.setup import (
        attach_to_runtime,
        history_days_needed,
        manager_from_config,
        state_path,
    )
    from sellerpulse.core.alerts.sink import SinkConfigError
    from sellerpulse.core.alerts.store import Store, StoreError
    from sellerpulse.core.assembly import adopt_source_accounts, engine_from_config
    from sellerpulse.core.clock import SystemClock
    from sellerpulse.core.config import ConfigError
    from sellerpulse.core.health_log import HealthLog
    from sellerpulse.core.runtime import Runtime, SourceConfigError, sources_from_config
    from sellerpulse.core.state_store import StateError

    try:
        config = load_config_from_args(args)
    except ConfigError as exc:
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
    runtime = Runtime(engine, sources)
    health_log = HealthLog(runtime)
    scratch = tempfile.TemporaryDirectory(prefix="sellerpulse-") if args.no_state else None
    path = Path(scratch.name) / "state.sqlite3" if scratch else state_path(config, args.state)
    try:
        checkpointer = open_checkpointer(
            runtime, None if args.no_state else path, args.checkpoint_interval,
            engine_meta(engine, config.general.profile),
        )  # fmt: skip
        profiles = plugins.profiles()
        manager = manager_from_config(config, plugins.sinks(), Store(path), SystemClock(), profiles)
        history = history_days_needed(manager.rules, config.profile_named(config.general.profile, profiles))
    except (StateError, StoreError, RuleError, SinkConfigError, ConfigError, ValueError) as exc:
        return fail(exc)
    stop = threading.Event()
    received: list[str] = []

    def on_signal(signum: int, _frame: Any) -> None:
        # no logging here: the signal may interrupt this thread inside a write to stderr (re-entering
        # it raises, and the stop would be lost)
        received.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
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
        while not stop.wait(TICK):
            if checkpointer is not None and not checkpointer.ready.is_set():
                continue
            if checkpointer is not None and checkpointer.error:
                print(f"sellerpulse: error: {clean(checkpointer.error)}", file=sys.stderr)
                status = 1
                break
            scheduler.start()  # once; later calls do nothing
            health_log.poll()
    finally:
        if received:
            log.info("received %s, stopping", received[0])
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
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if scratch is not None:
            scratch.cleanup()
    log.info("stopped")
    return status
