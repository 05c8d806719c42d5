"""The built-in plugin: registers the shipped sources, sinks and profiles through the public hooks.

Classes are named as ``"module:Class"`` and imported when the hook runs, so one broken built-in does
not take the others down: the ones that import are registered, then the failures are raised together
and the plugin manager reports them. To add a built-in source or sink, add one entry below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sellerpulse.core.hookspecs import hookimpl

# registered type name -> "module:Class"
BUILTIN_SOURCES: dict[str, str] = {
    "csv": "sellerpulse.plugins.csv_source:CsvSource",
    "mock": "sellerpulse.plugins.mock.source:MockSource",
    "http": "sellerpulse.plugins.http_source:HttpSource",
    "sp-api": "sellerpulse.plugins.spapi.source:SpApiSource",
}
BUILTIN_SINKS: dict[str, str] = {
    "terminal": "sellerpulse.plugins.sinks.terminal:TerminalSink",
    "log": "sellerpulse.plugins.sinks.jsonl:LogSink",
    "webhook": "sellerpulse.plugins.sinks.webhook:WebhookSink",
    "command": "sellerpulse.plugins.sinks.command:CommandSink",
    "email": "sellerpulse.plugins.sinks.mail:EmailSink",
}


def _register_all(entries: dict[str, str], register: Callable[[str, Any], None]) -> None:
    failures: list[str] = []
    for name, target in entries.items():
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # not part of this build (yet): nothing to register
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        try:
            register(name, getattr(module, attr))
        except AttributeError as exc:
            failures.append(f"{name}: {exc}")
    if failures:
        raise ImportError("; ".join(failures))


@hookimpl
def register_sources(register: Callable[[str, type[Any]], None]) -> None:
    _register_all(BUILTIN_SOURCES, register)


@hookimpl
def register_sinks(register: Callable[[str, type[Any]], None]) -> None:
    _register_all(BUILTIN_SINKS, register)


@hookimpl
def register_profiles(register: Callable[[str, Any], None]) -> None:
    from sellerpulse.core.profile import builtin_profile, builtin_profile_names

    for name in builtin_profile_names():
        register(name, builtin_profile(name))
