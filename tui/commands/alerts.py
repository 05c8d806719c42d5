"""``sellerpulse alerts``: alert rules and their states, recent notifications, tests, silences, acks.

Reads and writes the same state file as the running dashboard (SQLite in WAL mode lets both at once):
a silence or an acknowledgement given here is seen by the running process at its next evaluation.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import (
    EXIT_FAILED,
    EXIT_OK,
    add_config_argument,
    fail,
    load_config_from_args,
    load_plugins_warned,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "alerts", help="alert rules, states and notifications; test a sink; silence or acknowledge",
        description="Without an action: the rules, their current states, recent notifications and failures.",
    )  # fmt: skip
    _common(parser)
    parser.set_defaults(handler=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    listing = actions.add_parser("list", help="rules, states, recent notifications and delivery failures")
    _common(listing)
    listing.add_argument("--limit", type=int, default=20, help="how many recent notifications (default 20)")
    listing.set_defaults(handler=run_list)

    test = actions.add_parser("test", help="send a sample alert through a configured sink, now")
    _common(test)
    test.add_argument("sink", metavar="SINK", help="the sink's name in [[sinks]] (or 'terminal')")
    test.set_defaults(handler=run_test)

    silence = actions.add_parser("silence", help="mute a rule's (or an account's) notifications for a while")
    _common(silence)
    silence.add_argument(
        "rule", metavar="RULE", help="rule name, or '*' for every rule (then give --account)"
    )
    until = silence.add_mutually_exclusive_group(required=True)
    until.add_argument("--for", dest="duration", metavar="DURATION", help="how long, e.g. 30m, 2h, 1d")
    until.add_argument(
        "--until", metavar="INSTANT", help="until when, ISO 8601 with offset (2026-11-21T08:00:00Z)"
    )
    silence.add_argument("--account", default=None, help="only this account's instances")
    silence.add_argument("--comment", default="", help="why (shown in the listing)")
    silence.set_defaults(handler=run_silence)

    ack = actions.add_parser("ack", help="acknowledge a firing rule: no repeats until it resolves")
    _common(ack)
    ack.add_argument("rule", metavar="RULE", help="rule name")
    ack.add_argument("--account", default=None, help="only this account's instances")
    ack.set_defaults(handler=run_ack)


def _common(parser: argparse.ArgumentParser) -> None:
    """Options accepted before and after the action (``alerts --state F list`` and ``alerts list --state F``);
    SUPPRESS keeps an action's parser from overwriting what was given before it."""
    parser.set_defaults(config=None)  # before the option exists: a default of the parser, not of the option
    add_config_argument(parser, default=argparse.SUPPRESS)
    parser.add_argument("--state", metavar="PATH", default=argparse.SUPPRESS,
                        help="state file (default: general.state, else state.sqlite3 in the user data directory)")  # fmt: skip
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")


def _setup(args: argparse.Namespace, state: bool = True) -> tuple[Any, Any]:
    """(config, manager) for the command; the manager's dispatcher is never started here. The state
    file must exist and be a sellerpulse state file (a mistyped --state must not leave an empty one
    behind, nor alert tables in another file); without ``state`` (a sink test) none is opened."""
    from sellerpulse.core.alerts.manager import AlertManager
    from sellerpulse.core.alerts.setup import rules_from_config, sinks_from_config, state_path
    from sellerpulse.core.alerts.store import Store
    from sellerpulse.core.clock import SystemClock
    from sellerpulse.core.state_store import check_state_file

    config = load_config_from_args(args)
    plugins = load_plugins_warned()
    config.add_plugin_secrets(plugins)
    rules = rules_from_config(config, plugins.profiles())
    sinks = sinks_from_config(config, plugins.sinks())
    path = check_state_file(state_path(config, getattr(args, "state", None))) if state else ":memory:"
    return config, AlertManager(rules, Store(path), sinks, SystemClock(), secrets=config.secrets)


def _run(args: argparse.Namespace, body) -> int:
    from sellerpulse.core.alerts.rules import RuleError
    from sellerpulse.core.alerts.sink import SinkConfigError
    from sellerpulse.core.alerts.store import StoreError
    from sellerpulse.core.config import ConfigError
    from sellerpulse.core.state_store import StateError

    try:
        return body(args)
    except (ConfigError, RuleError, SinkConfigError, StoreError, StateError, ValueError) as exc:
        return fail(exc)


def run_list(args: argparse.Namespace) -> int:
    return _run(args, _list)


def _list(args: argparse.Namespace) -> int:
    from sellerpulse.core.alerts.durations import format_duration
    from sellerpulse.core.textsafe import clean
    from sellerpulse.core.timeutil import format_instant

    _, manager = _setup(args)
    limit = getattr(args, "limit", 20)
    data = {
        "rules": [rule.to_json() for rule in manager.rules],
        "states": manager.states(),
        "silences": [
            {"rule": s.rule, "account": s.account, "until": format_instant(s.until), "comment": s.comment}
            for s in manager.silences()
        ],
        "recent": manager.recent(limit),
        "failures": manager.failures(limit),
        "sinks": sorted(manager.sinks),
    }
    manager.store.close()
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return EXIT_OK
    out = [f"Rules ({len(manager.rules)}), sinks: {', '.join(data['sinks'])}"]
    states: dict[str, list[dict]] = {}
    for row in data["states"]:
        states.setdefault(row["rule"], []).append(row)
    for rule in manager.rules:
        timing = f"for {format_duration(rule.for_)}, repeat {format_duration(rule.repeat)}"
        out.append(f"  {rule.name:<28} {rule.subject} {rule.target:<24} {rule.severity:<8} {timing}")
        for row in states.get(rule.name, []):
            if row["state"] == "normal":
                continue
            labels = " ".join(f"{k}={clean(v)}" for k, v in sorted(row["labels"].items()))
            flags = "".join(
                (" [silenced]" if row["silenced"] else "", " [acked]" if row["acknowledged"] else "")
            )
            out.append(
                f"      {row['state']:<10} {labels} since {row['since']}{flags}: {clean(row['summary'])}"
            )
    if data["silences"]:
        out.append("Silences")
        for s in data["silences"]:
            out.append(
                f"  rule={s['rule'] or '*'} account={s['account'] or '*'} until {s['until']} {clean(s['comment'])}"
            )
    out.append(f"Recent notifications ({len(data['recent'])})")
    for item in data["recent"]:
        labels = " ".join(f"{k}={clean(v)}" for k, v in sorted(item["labels"].items()))
        status = ", ".join(f"{d['sink']}:{d['status']}" for d in item["deliveries"])
        out.append(f"  {item['at']} {item['kind'].upper():<8} {item['rule']} {labels} [{status}]")
    if data["failures"]:
        out.append(f"Delivery failures ({len(data['failures'])})")
        for f in data["failures"]:
            out.append(
                f"  {f['sink']}: {f['status']} after {f['attempts']} attempt(s): {clean(f['error'])} ({f['rule']} {f['kind']})"
            )
    print("\n".join(out))
    return EXIT_OK


def run_test(args: argparse.Namespace) -> int:
    return _run(args, _test)


def _test(args: argparse.Namespace) -> int:
    from sellerpulse.core.alerts.message import AlertMessage
    from sellerpulse.core.clock import SystemClock
    from sellerpulse.core.timeutil import format_instant

    _, manager = _setup(args, state=False)
    sink = manager.sinks.get(args.sink)
    if sink is None:
        manager.store.close()
        return fail(f"no sink named {args.sink!r} (configured: {', '.join(sorted(manager.sinks))})")
    now = SystemClock().now()
    sample = {
        "key": f"test-{now}", "rule": "sellerpulse-test", "kind": "firing", "severity": "info",
        "labels": {"account": "test"}, "value": None, "description": "",
        "summary": f"Test notification from `sellerpulse alerts test {args.sink}`",
        "details": None, "episode_start": format_instant(now), "at": format_instant(now), "repeat": 0,
    }  # fmt: skip
    try:
        sink.send(AlertMessage((sample,)))
    except Exception as exc:
        error = manager.redactor.line(str(exc))  # a program's stderr, a server's answer: as the dispatcher
        print(f"sellerpulse alerts: sink {args.sink!r} failed: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        sink.close()
        manager.store.close()
    print(f"sent a test alert through sink {args.sink!r}")
    return EXIT_OK


def run_silence(args: argparse.Namespace) -> int:
    return _run(args, _silence)


def _silence(args: argparse.Namespace) -> int:
    from sellerpulse.core.timeutil import format_instant, parse_instant

    _, manager = _setup(args)
    rule = None if args.rule == "*" else args.rule
    try:
        end = parse_instant(args.until) if args.until else None
        manager.silence(
            rule=rule, account=args.account, duration=args.duration, until=end, comment=args.comment
        )
        until = manager.silences()[-1].until
    finally:
        manager.store.close()
    print(f"silenced rule {args.rule} account {args.account or '*'} until {format_instant(until)}")
    return EXIT_OK


def run_ack(args: argparse.Namespace) -> int:
    return _run(args, _ack)


def _ack(args: argparse.Namespace) -> int:
    _, manager = _setup(args)
    try:
        if args.rule not in {r.name for r in manager.rules}:
            return fail(f"no alert rule named {args.rule!r}")
        count = manager.acknowledge(args.rule, args.account)
    finally:
        manager.store.close()
    print(f"acknowledged {count} firing instance(s) of {args.rule}")
    return EXIT_OK
