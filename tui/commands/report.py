"""``sellerpulse report`` and ``sellerpulse check``: one-shot snapshots for people and scripts.

``report`` prints every metric and queue as of ``--at``; ``check`` prints only what is unhealthy and
exits 0 (healthy), 1 (a warning) or 2 (a breach), for cron jobs and monitoring.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from sellerpulse.core.assembly import engine_from_config
from sellerpulse.core.clock import FixedClock, SystemClock
from sellerpulse.core.config import ConfigError
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, Rejection
from sellerpulse.core.profile import ProfileError
from sellerpulse.core.readers import event_file_problem, read_event_file
from sellerpulse.core.runtime import Runtime, SourceConfigError, build_sources, sources_from_config
from sellerpulse.core.snapshot import Snapshot
from sellerpulse.core.timeutil import TimeError, load_zone, parse_instant

from .common import add_config_argument, load_config_from_args, load_plugins_warned
from .report_table import clean, format_value, render_table
from .report_table import target_text as _target

EXIT_OK, EXIT_WARNING, EXIT_BREACH, EXIT_USAGE = 0, 1, 2, 64


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, help_text in (
        ("report", "print every metric and queue as of an instant"),
        ("check", "exit 0 healthy / 1 warning / 2 breach, printing what is unhealthy"),
    ):
        parser = subparsers.add_parser(name, help=help_text, description=help_text)
        parser.add_argument(
            "--events",
            action="append",
            default=[],
            metavar="PATH",
            help="canonical event file (.csv, .json, .jsonl); repeatable",
        )
        parser.add_argument("--at", metavar="INSTANT", help="ISO-8601 instant with offset (default: now)")
        parser.add_argument(
            "--state", metavar="PATH", default=None,
            help="print the snapshot held in a saved state file (checkpoints of `run`), reading no source",
        )  # fmt: skip
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument(
            "--profile", default=None, help="marketplace profile (default: general.profile, amazon)"
        )
        parser.add_argument("--timezone", default=None, help="time zone of accounts that set none (IANA)")
        parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")
        add_config_argument(parser)
        parser.set_defaults(handler=run_check if name == "check" else run_report)  # fmt: skip


def build_snapshot(args: argparse.Namespace) -> Snapshot:
    """Read every configured source and every ``--events`` file to its end, keeping the events up to
    ``--at``, and take the snapshot as of ``--at``."""
    engine, at = build_engine(args)
    return engine.snapshot(at, weekly=True)


def build_engine(args: argparse.Namespace) -> tuple[Engine, int]:
    """The engine after reading every configured source and ``--events`` file up to ``--at``, and
    ``--at`` itself (for commands that ask the engine more than a snapshot, such as ``poa``)."""
    at = parse_instant(args.at) if args.at else SystemClock().now()
    if args.timezone:
        load_zone(args.timezone)
    config = load_config_from_args(args)
    plugins = load_plugins_warned()
    engine = engine_from_config(config, plugins.profiles(), timezone=args.timezone, profile=args.profile)
    if getattr(args, "state", None):
        _restore_saved(args, engine)
        return engine, at
    sources = sources_from_config(config, plugins) if config.sources else []
    if not sources and not args.events:
        raise UsageError("nothing to read: give --events PATH (repeatable) or configure [[sources]]")
    for path in args.events:
        if problem := event_file_problem(path):
            raise UsageError(problem)
    for path in args.events:
        if _is_canonical(Path(path)):
            engine.rejected.setdefault(Path(path).name, 0)
            engine.ingest(_until(read_event_file(path), at, engine))
        else:  # a marketplace report (Amazon all-orders, feedback, returns): the csv source maps it
            table = {"type": "csv", "name": Path(path).name, "path": str(Path(path).resolve())}
            if args.timezone:
                table["timezone"] = args.timezone
            sources.extend(build_sources([table], plugins))
    if sources:
        runtime = Runtime(_UpTo(engine, at), sources, clock=FixedClock(at))
        for name, health in runtime.run_once().items():
            engine.rejected.setdefault(name, 0)
            if health.state == "failing":
                print(f"sellerpulse: warning: source {name} failed: {health.last_error}", file=sys.stderr)
    return engine, at


def _is_canonical(path: Path) -> bool:
    """A canonical event file (JSON, or CSV with ``ts`` and ``kind`` columns), read on the fast path;
    anything else is left to the csv source, which recognises marketplace reports by their header."""
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        head = handle.read(65536)
    stripped = head.lstrip()
    if stripped[:1] in ("[", "{"):
        return True
    first_line = stripped.split("\n", 1)[0]
    names = {name.strip().strip('"') for name in first_line.split(",")}
    return {"ts", "kind"} <= names


def _restore_saved(args: argparse.Namespace, engine: Engine) -> None:
    """A saved state's journal replayed into ``engine``; accounts the config does not place in a time
    zone get the one they were saved with."""
    from sellerpulse.core.checkpoint import restore_engine
    from sellerpulse.core.state_store import StateError, StateStore

    if args.events:
        raise UsageError("--state reads the saved state only; give --events without --state")
    try:
        store = StateStore(args.state, readonly=True)
        try:
            saved = store.saved()
            zones = saved.meta.get("engine", {}).get("account_timezones", {})
            for name, zone in zones.items():
                engine.account_timezones.setdefault(str(name), str(zone))
            restore_engine(store, engine)
        finally:
            store.close()
    except StateError as exc:
        raise UsageError(str(exc)) from None


class _UpTo:
    """The engine as a source runtime sees it, keeping only events at or before ``at``."""

    def __init__(self, engine: Engine, at: int) -> None:
        self.engine = engine
        self.at = at

    def ingest(self, events: Iterable[Event]) -> int:
        return self.engine.ingest(e for e in events if e.ts <= self.at)

    def note_rejections(self, source: str, count: int) -> None:
        self.engine.note_rejections(source, count)

    def snapshot(self, at: int, **kwargs: object) -> Snapshot:
        return self.engine.snapshot(at, **kwargs)


def _until(items: Iterable[Event | Rejection], at: int, engine: Engine) -> Iterator[Event]:
    for item in items:
        if isinstance(item, Rejection):
            engine.note_rejections(item.source)
            print(f"rejected {clean(str(item))}", file=sys.stderr)
        elif item.ts <= at:
            yield item


class UsageError(Exception):
    """Nothing to read, or a file that is not there: the user's command needs fixing."""


_ERRORS = (UsageError, TimeError, ProfileError, ConfigError, SourceConfigError, OSError)


def _color(args: argparse.Namespace) -> bool:
    if args.color == "auto":
        return sys.stdout.isatty()
    return args.color == "always"


def _snapshot_or_exit(args: argparse.Namespace, command: str) -> Snapshot | int:
    try:
        return build_snapshot(args)
    except _ERRORS as exc:
        print(f"sellerpulse {command}: {clean(str(exc))}", file=sys.stderr)
        return EXIT_USAGE


def run_report(args: argparse.Namespace) -> int:
    snapshot = _snapshot_or_exit(args, "report")
    if isinstance(snapshot, int):
        return snapshot
    if args.format == "json":
        json.dump(snapshot.to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_table(snapshot, color=_color(args)))
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    snapshot = _snapshot_or_exit(args, "check")
    if isinstance(snapshot, int):
        return snapshot
    unhealthy = [
        (name, metric)
        for name, acc in snapshot.accounts.items()
        for metric in acc.metrics.values()
        if metric.status in ("warning", "breach")
    ]
    worst = max(
        (EXIT_BREACH if m.status == "breach" else EXIT_WARNING for _, m in unhealthy), default=EXIT_OK
    )
    if args.format == "json":
        status = {EXIT_OK: "ok", EXIT_WARNING: "warning", EXIT_BREACH: "breach"}[worst]
        items = [{"account": name, "metric": m.id, **m.to_json()} for name, m in unhealthy]
        json.dump(
            {"at": snapshot.to_json()["at"], "status": status, "unhealthy": items}, sys.stdout, indent=1
        )
        sys.stdout.write("\n")
    else:
        for name, metric in unhealthy:
            target = f" (target {_target(metric)})" if metric.target is not None else ""
            print(f"{metric.status.upper()} {clean(name)} {metric.id} {format_value(metric)}{target}")
    return worst
