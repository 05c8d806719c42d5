"""``sellerpulse poa METRIC``: a plan-of-action draft in Markdown for one metric of one account.

Reads the same events as ``report`` (``--events`` files and the configured sources, up to ``--at``), asks
the engine for the metric, its daily history and the items behind its bad outcomes, and writes the draft
of :mod:`sellerpulse.core.poa` to ``-o FILE`` or standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sellerpulse.core.config import ConfigError
from sellerpulse.core.config_locations import find_config_path
from sellerpulse.core.poa import PoaError, plan_of_action
from sellerpulse.core.profile import ProfileError
from sellerpulse.core.remedies import RemedyError, remedies_for
from sellerpulse.core.runtime import SourceConfigError
from sellerpulse.core.textsafe import clean
from sellerpulse.core.timeutil import TimeError

from .common import EXIT_OK, EXIT_USAGE, add_config_argument, write_private
from .report import UsageError, build_engine

HISTORY_DAYS = 30  # days of daily values behind "down from X on DATE"


def register(subparsers: argparse._SubParsersAction) -> None:
    help_text = "write a plan-of-action draft (Markdown) for one metric"
    parser = subparsers.add_parser("poa", help=help_text, description=help_text)
    parser.add_argument("metric", metavar="METRIC", help="metric id (odr, lsr_30d, crt, ...)")
    parser.add_argument("--account", default=None, help="seller account (needed when there are several)")
    parser.add_argument("--at", metavar="INSTANT", help="ISO-8601 instant with offset (default: now)")
    parser.add_argument("-o", "--output", metavar="FILE", default=None, help="write here (default: stdout)")
    parser.add_argument(
        "--events",
        action="append",
        default=[],
        metavar="PATH",
        help="canonical event file (.csv, .json, .jsonl); repeatable",
    )
    parser.add_argument(
        "--orders", type=int, default=25, metavar="N", help="order ids listed per cause (0: all)"
    )
    parser.add_argument(
        "--profile", default=None, help="marketplace profile (default: general.profile, amazon)"
    )
    parser.add_argument("--timezone", default=None, help="time zone of accounts that set none (IANA)")
    add_config_argument(parser)
    parser.set_defaults(handler=run_poa)


def run_poa(args: argparse.Namespace) -> int:
    try:
        text = draft(args)
        if args.output:
            # beside it, then renamed over it: a full disk never leaves the earlier draft half-written
            write_private(Path(args.output), text, replace=True)
            print(f"plan of action written to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
    except (UsageError, PoaError, RemedyError, TimeError, ProfileError, ConfigError, SourceConfigError,
            OSError) as exc:  # fmt: skip
        print(f"sellerpulse poa: {clean(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def draft(args: argparse.Namespace) -> str:
    """The Markdown draft for ``args.metric`` of the chosen account."""
    engine, at = build_engine(args)
    names = engine.accounts
    if not names:
        raise UsageError("no account in the events read")
    account = args.account
    if account is None:
        if len(names) > 1:
            raise UsageError(f"several accounts; pick one with --account ({', '.join(names)})")
        account = names[0]
    if account not in names:
        raise UsageError(f"no account {account!r} in the events read ({', '.join(names)})")
    profile = engine.account_profiles.get(account, engine.profile)
    spec = profile.metrics.get(args.metric) or profile.weekly.get(args.metric)
    if spec is None:
        known = ", ".join(sorted([*profile.metrics, *profile.weekly]))
        raise UsageError(f"no metric {args.metric!r} in profile {profile.name} (known: {known})")
    snapshot = engine.snapshot(at, history_days=HISTORY_DAYS, weekly=args.metric in profile.weekly)
    remedies = remedies_for(profile.name, find_config_path(args.config))
    return plan_of_action(
        snapshot.accounts[account],
        args.metric,
        engine.bad_outcomes(account, args.metric, at),
        remedies.get(args.metric),
        at,
        rule=spec.rule,
        orders_limit=args.orders,
    )
