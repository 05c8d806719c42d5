"""``sellerpulse report`` and ``sellerpulse check``: one-shot snapshots for people and scripts.

``report`` prints every metric and queue as of ``--at``; ``check`` prints only what is unhealthy and
exits with the status of a monitoring plugin (:data:`CHECK_STATUSES`), for cron jobs and monitoring. An
input that gave no events (a failed source, an empty file, a header not recognised) makes the result
unknown, never healthy: what it holds could be a breach.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sellerpulse.core.assembly import engine_from_config
from sellerpulse.core.bulk import BulkLoader
from sellerpulse.core.clock import FixedClock, SystemClock
from sellerpulse.core.config import ConfigError
from sellerpulse.core.engine import Engine
from sellerpulse.core.engine.orders import NO_TS
from sellerpulse.core.events import Event, Rejection
from sellerpulse.core.logs import add_secrets
from sellerpulse.core.official_records import AccountHealth
from sellerpulse.core.official_state import saved_records
from sellerpulse.core.profile import ProfileError
from sellerpulse.core.readers import event_file_problem, open_regular, read_event_file
from sellerpulse.core.runtime import Runtime, SourceConfigError, build_sources, sources_from_config
from sellerpulse.core.snapshot import QueueValue, Snapshot
from sellerpulse.core.sources import Batch
from sellerpulse.core.textsafe import clean, clean_lines
from sellerpulse.core.timeutil import TimeError, load_zone, local_minute, parse_instant

from .common import EXIT_OK, EXIT_USAGE, add_config_argument, load_config_from_args, load_plugins_warned
from .report_accounts import levels_json
from .report_official import add_argument as add_account_health_argument
from .report_official import beside
from .report_table import format_value, render_table
from .report_table import target_text as _target

EXIT_WARNING, EXIT_BREACH, EXIT_UNKNOWN = 1, 2, 3  # check's statuses; the others are every command's
# exit status -> the word ``check`` prints, most urgent first: a breach in what was read wins over an
# input that could not be read, which wins over a warning (what was not read could be a breach)
CHECK_STATUSES = {EXIT_BREACH: "breach", EXIT_UNKNOWN: "unknown", EXIT_WARNING: "warning", EXIT_OK: "ok"}
CHECK_EPILOG = """\
exit status (as a Nagios/Icinga plugin's):
  0 healthy  every input was read and no metric or queue needs attention
  1 warning  a metric past its warn level, or a queue item past its deadline (an
             unanswered A-to-z claim, an order not shipped by its ship-by)
  2 breach   a metric past its target (even if some input could not be read)
  3 unknown  an input gave no events: a source failed, a file was empty, every row
             was rejected or its header was not recognised; no breach was found in
             the rest, but the missing data could hold one
  64         the command line or the config needs fixing
A breach wins over unknown, unknown over a warning. Every problem is printed."""


def register(subparsers: argparse._SubParsersAction) -> None:
    for name, help_text in (
        ("report", "print every metric and queue as of an instant"),
        ("check", "exit 0 healthy / 1 warning / 2 breach / 3 unknown, printing what is unhealthy"),
    ):
        extra = {"epilog": CHECK_EPILOG, "formatter_class": argparse.RawDescriptionHelpFormatter}
        parser = subparsers.add_parser(
            name, help=help_text, description=help_text, **(extra if name == "check" else {})
        )
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
        if name == "report":
            add_account_health_argument(parser)
        parser.set_defaults(handler=run_check if name == "check" else run_report)  # fmt: skip


@dataclass
class Reading:
    """What the inputs gave: the engine fed every event up to ``at``, and the inputs that gave no
    event at all, each with why (``failed: ...``, ``no events read``)."""

    engine: Engine
    at: int
    unread: list[tuple[str, str]] = field(default_factory=list)
    account_health: list[AccountHealth] = field(default_factory=list)  # a state file's saved records


def build_engine(args: argparse.Namespace) -> tuple[Engine, int]:
    """The engine after reading every configured source and ``--events`` file up to ``--at``, and
    ``--at`` itself (for commands that ask the engine more than a snapshot, such as ``poa``); an input
    that gave nothing is named on stderr."""
    reading = read_inputs(args)
    _warn_unread(reading)
    return reading.engine, reading.at


def read_inputs(args: argparse.Namespace) -> Reading:
    """Read every configured source and every ``--events`` file to its end, keeping the events up to
    ``--at`` (or the saved state of ``--state``, as of ``--at``)."""
    at = parse_instant(args.at) if args.at else SystemClock().now()
    if args.timezone:
        load_zone(args.timezone)
    config = load_config_from_args(args)
    add_secrets(config.secrets)
    plugins = load_plugins_warned()
    if getattr(args, "state", None):
        return _read_saved(args, at, lambda settings: _engine(args, config, plugins, settings))
    engine = _engine(args, config, plugins, {})
    sources = sources_from_config(config, plugins) if config.sources else []
    if not sources and not args.events:
        raise UsageError("nothing to read: give --events PATH (repeatable) or configure [[sources]]")
    for path in args.events:
        if problem := event_file_problem(path):
            raise UsageError(problem)
    reading = Reading(engine, at)
    loader = BulkLoader(engine)  # the files' events folded per order (issue 14), as exact as one by one
    for path in args.events:
        name = Path(path).name
        if _is_canonical(Path(path)):
            engine.rejected.setdefault(name, 0)
            events = _FileEvents(read_event_file(path), at, engine)
            loader.ingest(events)
            if not events.read:
                reading.unread.append((name, "no events read"))
        else:  # a marketplace report (Amazon all-orders, feedback, returns): the csv source maps it
            table = {"type": "csv", "name": name, "path": str(Path(path).resolve())}
            if args.timezone:
                table["timezone"] = args.timezone
            sources.extend(build_sources([table], plugins))
    if sources:
        runtime = Runtime(_UpTo(engine, at), sources, clock=FixedClock(at))
        runtime.on_batch.append(_print_rejections)
        for name, health in runtime.run_once().items():
            engine.rejected.setdefault(name, 0)
            if health.state == "failing":  # the runtime has logged it (stderr)
                reading.unread.append((name, f"failed: {health.last_error or health.detail}"))
            elif not health.events:
                reading.unread.append((name, "no events read"))
        reading.account_health = runtime.account_health()  # Amazon's numbers a source read (sp-api)
    return reading


def _print_rejections(source: str, batch: Batch) -> None:
    """A source's rejected rows on stderr with their position and reason, as a canonical file's are; of
    a batch of millions, its kept sample and how many more there were."""
    for rejection in batch.rejections:
        print(f"rejected {clean(str(rejection))}", file=sys.stderr)
    omitted = getattr(batch.rejections, "omitted", 0)
    if omitted:
        print(f"rejected {clean(source)}: {omitted:,} more rows not listed", file=sys.stderr)


def _engine(args: argparse.Namespace, config: Any, plugins: Any, saved: dict[str, Any]) -> Engine:
    """An empty engine as the command line, then the ``saved`` engine settings of a state file, then
    the config say."""
    engine = engine_from_config(
        config,
        plugins.profiles(),
        timezone=args.timezone or saved.get("timezone"),
        profile=args.profile or saved.get("profile"),
    )
    for name, zone in saved.get("account_timezones", {}).items():
        engine.account_timezones.setdefault(str(name), str(zone))
    for name, profile in saved.get("account_profiles", {}).items():  # a mixed demo's accounts
        if str(name) not in engine.account_profiles:
            engine.account_profiles[str(name)] = config.profile_named(str(profile), plugins.profiles())
    return engine


def _warn_unread(reading: Reading) -> None:
    for name, problem in reading.unread:
        if not problem.startswith("failed: "):  # a failure is logged where it happens
            print(f"sellerpulse: warning: {clean(name)}: {clean(problem)}", file=sys.stderr)


def _is_canonical(path: Path) -> bool:
    """A canonical event file (JSON, or CSV with ``ts`` and ``kind`` columns), read on the fast path;
    anything else is left to the csv source, which recognises marketplace reports by their header."""
    with open_regular(path) as handle:  # as the reader opens it: a FIFO swapped in never blocks here
        head = handle.read(65536).decode("utf-8-sig", errors="replace")
    stripped = head.lstrip()
    if stripped[:1] in ("[", "{"):
        return True
    first_line = stripped.split("\n", 1)[0]
    names = {name.strip().strip('"') for name in first_line.split(",")}
    return {"ts", "kind"} <= names


def _read_saved(
    args: argparse.Namespace, at: int, make_engine: Callable[[dict[str, Any]], Engine]
) -> Reading:
    """The events journalled in a saved state, up to ``at``, in an engine with the settings it was
    saved with (``make_engine(settings)``). The saved engine state is used only when it holds nothing
    after ``at``; otherwise the journal is replayed from its start, keeping the events up to ``at``."""
    from sellerpulse.core.checkpoint import load_saved_engine, replay
    from sellerpulse.core.state_store import StateError, StateStore

    if args.events:
        raise UsageError("--state reads the saved state only; give --events without --state")
    try:
        store = StateStore(args.state, readonly=True)
        try:
            saved = store.saved()
            settings = saved.meta.get("engine", {})
            engine = make_engine(settings)
            after = load_saved_engine(store, engine)
            if after and _newest_event(engine) > at:
                engine, after = make_engine(settings), 0
            replay(store, _UpTo(engine, at), after=after)
        finally:
            store.close()
    except StateError as exc:
        raise UsageError(str(exc)) from None
    engine.rejected.update(saved.rejected)
    unread = [] if saved.events else [(Path(args.state).name, "no events read")]
    return Reading(engine, at, unread, saved_records(saved.meta))


def _newest_event(engine: Engine) -> int:
    """The instant of the latest event ``engine`` holds (each account's watermark)."""
    return max((engine.account(name).watermark for name in engine.accounts), default=NO_TS)


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


class _FileEvents:
    """The events of a canonical file up to ``at``, to iterate once. Rejections are counted in the
    engine and printed with their file and line; :attr:`read` counts every event read, up to ``at``
    or after it (a file of events all later than ``at`` was read, it just holds nothing yet)."""

    def __init__(self, items: Iterable[Event | Rejection], at: int, engine: Engine) -> None:
        self.items = items
        self.at = at
        self.engine = engine
        self.read = 0

    def __iter__(self) -> Iterator[Event]:
        for item in self.items:
            if isinstance(item, Rejection):
                self.engine.note_rejections(item.source)
                print(f"rejected {clean(str(item))}", file=sys.stderr)
            else:
                self.read += 1
                if item.ts <= self.at:
                    yield item


class UsageError(Exception):
    """Nothing to read, or a file that is not there: the user's command needs fixing."""


_ERRORS = (UsageError, TimeError, ProfileError, ConfigError, SourceConfigError, OSError)


def _color(args: argparse.Namespace) -> bool:
    if args.color == "auto":
        return sys.stdout.isatty()
    return args.color == "always"


def _read_or_exit(args: argparse.Namespace, command: str) -> Reading | int:
    try:
        return read_inputs(args)
    except _ERRORS as exc:
        print(f"sellerpulse {command}: {clean_lines(exc)}", file=sys.stderr)
        return EXIT_USAGE


def run_report(args: argparse.Namespace) -> int:
    reading = _read_or_exit(args, "report")
    if isinstance(reading, int):
        return reading
    _warn_unread(reading)
    snapshot = reading.engine.snapshot(reading.at, weekly=True)
    try:
        official = beside(args.account_health, reading.engine, reading.at, reading.account_health)
    except (ValueError, OSError) as exc:
        print(f"sellerpulse report: {clean_lines(exc)}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        report = snapshot.to_json()
        official.add_json(report)
        json.dump(report, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_table(snapshot, color=_color(args)) + official.table())
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    reading = _read_or_exit(args, "check")
    if isinstance(reading, int):
        return reading
    snapshot = reading.engine.snapshot(reading.at)
    unhealthy = [
        (name, metric)
        for name, acc in snapshot.accounts.items()
        for metric in acc.metrics.values()
        if metric.status in ("warning", "breach")
    ]
    overdue = [(name, q) for name, acc in snapshot.accounts.items() for q in acc.queues.values() if q.overdue]
    found = {EXIT_BREACH if m.status == "breach" else EXIT_WARNING for _, m in unhealthy}
    found |= {EXIT_WARNING} if overdue else set()
    found |= {EXIT_UNKNOWN} if reading.unread else set()
    worst = next((code for code in CHECK_STATUSES if code in found), EXIT_OK)
    if args.format == "json":
        json.dump(
            {
                "at": snapshot.to_json()["at"],
                "status": CHECK_STATUSES[worst],
                "unhealthy": [{"account": name, "metric": m.id, **m.to_json()} for name, m in unhealthy],
                "overdue": [_overdue_json(name, q) for name, q in overdue],
                "unread": [{"source": name, "problem": problem} for name, problem in reading.unread],
                "accounts": levels_json(snapshot),
            },
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
        return worst
    for name, problem in reading.unread:
        print(f"UNKNOWN {clean(name)}: {clean(problem)}")
    for name, metric in unhealthy:
        target = f" (target {_target(metric)})" if metric.target is not None else ""
        print(f"{metric.status.upper()} {clean(name)} {metric.id} {format_value(metric)}{target}")
    for name, queue in overdue:
        first = queue.items[0] if queue.items else None
        zone = load_zone(snapshot.accounts[name].timezone)
        due = f" ({clean(first.ref)} due {local_minute(first.deadline, zone)})" if first else ""
        print(f"WARNING {clean(name)} {queue.id}: {queue.overdue} overdue{due}")
    return worst


def _overdue_json(account: str, queue: QueueValue) -> dict[str, Any]:
    first = queue.items[0].to_json() if queue.items else None
    return {
        "account": account,
        "queue": queue.id,
        "count": queue.count,
        "overdue": queue.overdue,
        "next": {"ref": first["ref"], "deadline": first["deadline"]} if first else None,
    }
