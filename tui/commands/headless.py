"""The state options and checkpointer shared by ``run``, ``demo`` and ``serve``, and ``run --headless``,
an alias of ``sellerpulse serve`` (tui/commands/serve.py): sources, engine, alerts, sinks and
checkpoints with no UI, for servers, systemd units and tests, plus the HTTP API.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from sellerpulse.core.textsafe import clean

log = logging.getLogger("sellerpulse.run")

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
    moved = [
        f"{key} {_setting(before.get(key))} -> {_setting(now.get(key))}"
        for key in now
        if before.get(key) != now.get(key)
    ]
    return "demo settings changed: " + (", ".join(moved) or "other settings than last time")


def _setting(value: Any) -> str:
    """A saved demo setting as the note shows it: a setting an older demo did not have is "unset"."""
    return "unset" if value is None else str(value)


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
    """``run --headless`` is ``sellerpulse serve``: the same process, HTTP API included."""
    from .serve import run_serve

    return run_serve(args)
