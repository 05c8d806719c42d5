"""``sellerpulse plugins``: the installed plugins, their hooks, what they register, and their options.

Everything shown comes from the plugin manager and from the classes' own declarations, so the listing,
``--describe NAME`` and config validation can never disagree. Plugin problems (a plugin that failed to
import, a hook that raised) are listed as warnings; the command still succeeds.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import EXIT_OK, EXIT_USAGE


def register(subparsers: argparse._SubParsersAction) -> None:
    help_text = "list installed plugins, their hooks and what they register"
    parser = subparsers.add_parser("plugins", help=help_text, description=help_text)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--describe", metavar="NAME", help="a source or sink type (or a plugin) and its options"
    )
    parser.set_defaults(handler=run_plugins)


def run_plugins(args: argparse.Namespace) -> int:
    from sellerpulse.core.plugins import load_plugins

    plugins = load_plugins()
    if args.describe:
        try:
            details = plugins.describe_type(args.describe)
        except KeyError as exc:
            print(f"sellerpulse plugins: {exc.args[0]}", file=sys.stderr)
            return EXIT_USAGE
        if args.json:
            _dump({**details, "warnings": plugins.warnings})
        else:
            sys.stdout.write(_describe_text(details) + _warnings_text(plugins.warnings))
        return EXIT_OK
    infos = plugins.describe()
    if args.json:
        _dump(
            {
                "plugins": [info.to_json() for info in infos],
                "sources": sorted(plugins.sources()),
                "sinks": sorted(plugins.sinks()),
                "profiles": sorted(plugins.profiles()),
                "warnings": plugins.warnings,
            }
        )
        return EXIT_OK
    lines = [f"{len(infos)} plugin{'s' if len(infos) != 1 else ''}"]
    for info in infos:
        origin = "built-in" if info.builtin else "installed"
        lines.append(f"  {info.name} {info.version or '(no version)'} ({origin}, {info.module})")
        lines.append(f"    hooks: {', '.join(info.hooks) or 'none'}")
        for kind, names in info.registers.items():
            lines.append(f"    {kind}: {', '.join(names)}")
    lines.append("")
    lines.append("sellerpulse plugins --describe NAME shows a source or sink type and its options.")
    sys.stdout.write("\n".join(lines) + "\n" + _warnings_text(plugins.warnings))
    return EXIT_OK


def _describe_text(details: dict[str, Any]) -> str:
    if details["kind"] == "plugin":
        out = [
            f"plugin {details['name']} {details.get('version') or ''}".rstrip(),
            f"  module: {details['module']}",
        ]
        out.append(f"  hooks: {', '.join(details['hooks']) or 'none'}")
        for kind, names in details["registers"].items():
            out.append(f"  {kind}: {', '.join(names)}")
        text = "\n".join(out) + "\n"
        for types in details.get("types", {}).values():
            for item in types:
                text += "\n" + _type_text({**item, "plugin": details["name"]})
        return text
    return _type_text(details)


def _type_text(details: dict[str, Any]) -> str:
    out = [f"{details['type']} ({details.get('class', '?')}, plugin {details.get('plugin', '?')})"]
    if details.get("help"):
        out.append(f"  {details['help']}")
    options = details.get("options") or []
    if not options:
        out.append("  no options")
    else:
        out.append("  options:")
        for option in options:
            flags = []
            if option.get("required"):
                flags.append("required")
            elif option.get("default") not in (None, ""):
                flags.append(f"default {json.dumps(option['default'])}")
            if option.get("secret"):
                flags.append("secret")
            if option.get("choices"):
                flags.append("one of " + ", ".join(option["choices"]))
            suffix = f" [{'; '.join(flags)}]" if flags else ""
            out.append(f"    {option['name']} ({option['type']}){suffix}")
            if option.get("help"):
                out.append(f"        {option['help']}")
    return "\n".join(out) + "\n"


def _warnings_text(warnings: list[str]) -> str:
    """Plugin problems, listed with the output (they are also logged when they happen)."""
    if not warnings:
        return ""
    return "\nwarnings:\n" + "".join(f"  {warning}\n" for warning in warnings)


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, indent=1, default=str)
    sys.stdout.write("\n")
