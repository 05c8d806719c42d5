"""``sellerpulse config path|defaults|init|show``: where the config is, what it may say, what it says.

``init`` writes a starter file whose data is produced by tomli-w (so it is valid TOML by construction)
with comment lines interleaved, and never replaces an existing file without ``--force``. ``show``
prints the effective configuration with every secret masked.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import tomli_w
from sellerpulse.core.config import DEFAULTS, ConfigError, GeneralSettings, config_to_display
from sellerpulse.core.config_locations import CONFIG_ENV, find_config_path, search_order, user_config_path
from sellerpulse.core.logs import default_log_path
from sellerpulse.core.profile import PeriodSpec, Profile, builtin_profile, builtin_profile_names
from sellerpulse.core.textsafe import clean_toml
from sellerpulse.tui.commands.common import add_config_argument, fail, load_config_from_args, write_private
from sellerpulse.tui.commands.toml_render import render


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "config",
        help="where the config file is, its defaults, a starter file, the effective config",
        description="Inspect and create the sellerpulse configuration file.",
    )
    parser.set_defaults(handler=lambda args: _usage(parser))
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION")

    path = actions.add_parser("path", help="which config file is used and why (or where one would go)")
    add_config_argument(path)
    path.set_defaults(handler=run_path)

    defaults = actions.add_parser("defaults", help="every setting with its default, as commented TOML")
    defaults.set_defaults(handler=run_defaults)

    init = actions.add_parser("init", help="write a commented starter config")
    init.add_argument(
        "--path", metavar="FILE", default=None, help="where to write (default: the user config file)"
    )
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(handler=run_init)

    show = actions.add_parser("show", help="the effective configuration, secrets masked")
    add_config_argument(show)
    show.set_defaults(handler=run_show)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


# -- path -----------------------------------------------------------------------------------------------


def run_path(args: argparse.Namespace) -> int:
    """First line: the file (for scripts); then why it was chosen and the whole search order."""
    candidates = search_order(args.config)
    chosen = find_config_path(args.config)
    out = sys.stdout
    if chosen is None:
        print("no config file found", file=out)
    else:
        print(chosen, file=out)
        reason = next(c.label for c in candidates if c.path == chosen)
        state = "" if chosen.is_file() else " (but it does not exist)"
        print(f"  chosen: {reason}{state}", file=out)
    print("  search order:", file=out)
    for number, candidate in enumerate(candidates, start=1):
        if candidate.path is None:
            status = "not set" if candidate.label.startswith("$") else "not given"
            print(f"    {number}. {candidate.label}: {status}", file=out)
        else:
            status = "found" if candidate.exists else "missing"
            print(f"    {number}. {candidate.label}: {candidate.path} ({status})", file=out)
    if chosen is None:
        print(f"  `sellerpulse config init` writes a starter file to {_init_target(None)}", file=out)
        return 1
    return 0 if chosen.is_file() else 1


# -- defaults -------------------------------------------------------------------------------------------


def run_defaults(args: argparse.Namespace) -> int:
    sys.stdout.write(defaults_text())
    return 0


def defaults_text() -> str:
    """Every setting with its default and its one-line doc; settings without a fixed default are commented."""
    out = [
        "# sellerpulse: every setting with its default value (`sellerpulse config defaults`).",
        "# Options of source and sink plugins: `sellerpulse plugins --describe TYPE`.",
        "",
        *_general_lines(),
        "",
        "# [accounts.ID]  (accounts also appear as events name them)",
    ]
    for key in ("name", "timezone", "profile"):
        out.append(f"# {key}: {DEFAULTS[f'accounts.ID.{key}'].doc}")
    out += ["", f"# [profiles.NAME]: {DEFAULTS['profiles.NAME'].doc}; the built-in values:"]
    profile = builtin_profile(GeneralSettings().profile)
    out += _commented(render({"profiles": {profile.name: _profile_data(profile)}}))
    for name in builtin_profile_names():  # the other marketplaces' profiles, for accounts that name them
        if name != profile.name:
            out += ["", *_commented(render({"profiles": {name: _profile_data(builtin_profile(name))}}))]
    out += [
        "",
        "# [[sources]]",
        f"# type: {DEFAULTS['sources.type'].doc}",
        f"# name: {DEFAULTS['sources.name'].doc}",
        "",
        "# [[sinks]]",
        f"# type: {DEFAULTS['sinks.type'].doc}",
        f"# name: {DEFAULTS['sinks.name'].doc}",
        "",
        f"# [[alerts]]: {DEFAULTS['alerts'].doc}",
        "",
        f"# [keymap]: {DEFAULTS['keymap.BINDING'].doc}",
        "",
    ]
    return "\n".join(out)


def _general_lines() -> list[str]:
    """``[general]`` with each default preceded by its doc; computed defaults as commented examples."""
    lines = ["[general]"]
    examples = {"general.log_file": str(default_log_path()), "general.state": "sellerpulse-state.sqlite"}
    for key, setting in DEFAULTS.items():
        if not key.startswith("general."):
            continue
        name = key.removeprefix("general.")
        lines.append(f"# {setting.doc}")
        if setting.default is None:
            lines += _commented(tomli_w.dumps({name: examples[key]}))
        else:
            lines.append(tomli_w.dumps({name: setting.default}).rstrip("\n"))
    return lines


def _profile_data(profile: Profile) -> dict[str, Any]:
    """A profile's values in the shape of a ``[profiles.NAME]`` table (decimals as strings)."""

    def plain(spec: Any) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for item in fields(spec):
            value = getattr(spec, item.name)
            if item.name in ("id", "metric", "thresholds") or value is None:
                continue
            if isinstance(value, PeriodSpec):  # a metric judged over a period: its window is the period's
                values[item.name] = value.id
                values.pop("window_days", None)
            elif isinstance(value, tuple):
                values[item.name] = list(value)
            else:
                values[item.name] = value if isinstance(value, str | int) else str(value)
        return values

    data: dict[str, Any] = {
        "marketplace": profile.marketplace,
        "due_soon_hours": profile.due_soon_hours,
        "horizon_days": profile.horizon_days,
        "metrics": {mid: plain(spec) for mid, spec in profile.metrics.items()},
        "queues": {qid: plain(spec) for qid, spec in profile.queues.items()},
    }
    if profile.periods:
        data["periods"] = {pid: plain(period) for pid, period in profile.periods.items()}
    if profile.ladder:
        data["ladder"] = {
            level.id: {"name": level.name}
            | ({"metrics": {t.metric: plain(t) for t in level.thresholds}} if level.thresholds else {})
            for level in profile.ladder
        }
    return data


def _commented(text: str) -> list[str]:
    return [f"# {line}" if line else "#" for line in text.rstrip("\n").splitlines()]


# -- init -----------------------------------------------------------------------------------------------

_EXAMPLES: list[tuple[str, dict[str, Any]]] = [
    (
        "Accounts appear as events name them; a table gives one a display name, time zone or profile.",
        {"accounts": {"acme-us": {"name": "ACME US", "timezone": "America/New_York", "profile": "amazon"}}},
    ),
    (
        "Override any value of a profile (`sellerpulse config defaults` lists them all).",
        {"profiles": {"amazon": {"metrics": {"odr": {"lag_days": 14, "target": "0.01", "warn": "0.0075"}}}}},
    ),
    (
        "Sources: one [[sources]] table each; `type` is the plugin (`sellerpulse plugins` lists them).\n"
        "A CSV file of canonical events, followed as it grows:",
        {"sources": [{"type": "csv", "name": "orders", "path": "exports/events.csv", "follow": True}]},
    ),
    (
        "An HTTP API polled every `interval` seconds; ${NAME} reads an environment variable (a secret).",
        {
            "sources": [
                {
                    "type": "http",
                    "name": "sp-api-orders",
                    "url": "https://example.invalid/orders/v0/orders",
                    "format": "sp-api-orders",
                    "interval": 120,
                    "headers": {"x-amz-access-token": "${SP_API_TOKEN}"},
                }
            ]
        },
    ),
    (
        "Alert sinks and rules; without [[alerts]] the profile's default rules apply.",
        {
            "sinks": [{"type": "webhook", "name": "team-chat", "url": "${TEAM_WEBHOOK_URL}"}],
            "alerts": [
                {
                    "name": "odr-breach",
                    "metric": "odr",
                    "status": "breach",
                    "for": "10m",
                    "repeat": "4h",
                    "sinks": ["team-chat"],
                }
            ],
        },
    ),
    ("Keys: binding id = keys, comma separated.", {"keymap": {"pause": "p,space"}}),
]


def starter_text() -> str:
    """The starter config: ``[general]`` active with its defaults, every other section as a commented example."""
    out = [
        "# sellerpulse configuration, written by `sellerpulse config init`.",
        "# Every setting and its default: `sellerpulse config defaults`; the effective values:",
        "# `sellerpulse config show`. Unknown keys are errors, so a typo never goes unnoticed.",
        "# Values may reference environment variables as ${NAME}; those values are kept secret.",
        "",
        *_general_lines(),
    ]
    for comment, data in _EXAMPLES:
        out.append("")
        out += [f"# {line}" for line in comment.splitlines()]
        out += _commented(render(data))
    out.append("")
    return "\n".join(out)


def _init_target(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(CONFIG_ENV)
    return Path(from_env).expanduser() if from_env else user_config_path()


def run_init(args: argparse.Namespace) -> int:
    target = _init_target(args.path)
    try:
        write_private(target, starter_text(), replace=args.force)
    except FileExistsError:
        return fail(
            f"{target} already exists: edit it (its [[sources]] section says what `run` reads; "
            "`sellerpulse plugins` lists the source types), or use --force to replace it with the starter"
        )
    except OSError as error:
        return fail(f"cannot write {target}: {error.strerror}")
    print(f"wrote {target}")
    return 0


# -- show -----------------------------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    try:
        config = load_config_from_args(args)
    except ConfigError as error:
        return fail(error)
    if config.sources or config.sinks or config.alerts:
        from sellerpulse.core.plugins import load_plugins

        plugins = load_plugins()
        config.add_plugin_secrets(plugins)
        try:
            _build_plugin_tables(config, plugins)
        except _plugin_table_errors() as error:
            return fail(error)
    display = config_to_display(config)
    origin = config.path if config.path is not None else "no file (defaults)"
    sys.stdout.write(f"# effective configuration from {origin}; secrets masked\n")
    sys.stdout.write(clean_toml(render(display)))  # config values may hold escapes or bidi controls
    return 0


def _build_plugin_tables(config: Any, plugins: Any) -> None:
    """Build (never start) the sources, sinks and alert rules exactly as ``run`` does, so ``show`` rejects
    what ``run`` would reject instead of printing it as if it were valid."""
    from sellerpulse.core.alerts.setup import rules_from_config, sinks_from_config
    from sellerpulse.core.runtime import sources_from_config

    sources_from_config(config, plugins)
    sinks_from_config(config, plugins.sinks())
    rules_from_config(config, plugins.profiles())


def _plugin_table_errors() -> tuple[type[Exception], ...]:
    from sellerpulse.core.alerts.rules import RuleError
    from sellerpulse.core.alerts.sink import SinkConfigError
    from sellerpulse.core.runtime import SourceConfigError

    return (SourceConfigError, SinkConfigError, RuleError, ConfigError, ValueError)
