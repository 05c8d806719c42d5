"""``sellerpulse report`` and ``sellerpulse check``: one-shot snapshots for people and scripts.

``report`` prints every metric and queue as of ``--at``; ``check`` prints only what is unhealthy and
exits 0 (healthy), 1 (a warning) or 2 (a breach), for cron jobs and monitoring.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, Rejection
from sellerpulse.core.profile import ProfileError, builtin_profile
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.snapshot import Snapshot
from sellerpulse.core.timeutil import TimeError, load_zone, parse_instant

from .report_table import render_table

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
        parser.add_argument("--format", choices=("table", "json"), default="table")
        parser.add_argument("--profile", default=None, help="marketplace profile (default: amazon)")
        parser.add_argument("--timezone", default=None, help="time zone of accounts that set none (IANA)")
        parser.add_argument("--config", metavar="FILE", help="config file")
        parser.add_argument("--color", choices=("auto", "always", "never"), default="auto")
        parser.set_defaults(handler=run_check if name == "check" else run_report)


def build_snapshot(args: argparse.Namespace) -> Snapshot:
    """Read every event file up to ``--at`` into a fresh engine and take the snapshot."""
    at = parse_instant(args.at) if args.at else _now()
    profile = builtin_profile(args.profile or "amazon")
    timezone = args.timezone or "UTC"
    load_zone(timezone)
    engine = Engine(profile=profile, timezone=timezone)
    if not args.events:
        raise UsageError("nothing to read: give --events PATH (repeatable)")
    for path in args.events:
        if not Path(path).is_file():
            raise UsageError(f"no such event file: {path}")
        engine.rejected.setdefault(Path(path).name, 0)
        engine.ingest(_until(read_event_file(path), at, engine))
    return engine.snapshot(at)


def _until(items, at: int, engine: Engine):
    for item in items:
        if isinstance(item, Rejection):
            engine.note_rejections(item.source)
            print(f"rejected {item}", file=sys.stderr)
        elif isinstance(item, Event) and item.ts <= at:
            yield item


def _now() -> int:
    from sellerpulse.core.clock import SystemClock

    return SystemClock().now()


class UsageError(Exception):
    pass


def _color(args: argparse.Namespace) -> bool:
    if args.color == "auto":
        return sys.stdout.isatty()
    return args.color == "always"


def run_report(args: argparse.Namespace) -> int:
    try:
        snapshot = build_snapshot(args)
    except (UsageError, TimeError, ProfileError, OSError) as exc:
        print(f"sellerpulse report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        json.dump(snapshot.to_json(), sys.stdout, indent=1, sort_keys=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_table(snapshot, color=_color(args)))
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    try:
        snapshot = build_snapshot(args)
    except (UsageError, TimeError, ProfileError, OSError) as exc:
        print(f"sellerpulse check: {exc}", file=sys.stderr)
        return EXIT_USAGE
    worst = EXIT_OK
    lines = []
    for name, acc in snapshot.accounts.items():
        for metric in acc.metrics.values():
            if metric.status in ("warning", "breach"):
                worst = max(worst, EXIT_BREACH if metric.status == "breach" else EXIT_WARNING)
                lines.append(_check_line(name, metric))
    if args.format == "json":
        status = {EXIT_OK: "ok", EXIT_WARNING: "warning", EXIT_BREACH: "breach"}[worst]
        json.dump({"status": status, "unhealthy": lines}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for line in lines:
            print(line)
    return worst


def _check_line(account: str, metric) -> str:
    from .report_table import format_value

    target = f" (target {metric.direction} {metric.target})" if metric.target is not None else ""
    return f"{metric.status.upper()} {account} {metric.id} {format_value(metric)}{target}"
