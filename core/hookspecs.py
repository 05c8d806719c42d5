"""Hook specifications of the sellerpulse plugin system (pluggy project ``sellerpulse``).

Hooks are synchronous and only *register classes* (pluggy has no async hooks): the classes do the
async work. Each hook receives a ``register`` callback, so one plugin can register several things and
the host controls naming and conflict reporting.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "sellerpulse"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_sources(register: Callable[[str, type[Any]], None]) -> None:
    """Register source classes: ``register("csv", CsvSource)``.

    The name is what a ``[[sources]]`` table gives as ``type``. The class subclasses
    :class:`sellerpulse.core.sources.Source` (the source contract: ``batches``, ``position`` /
    ``restore``, health) and declares its options as :class:`sellerpulse.core.options.Option` values,
    from which config validation and ``sellerpulse plugins --describe NAME`` are derived. Register
    classes only: the runtime creates the instances, one per table. A name already taken (built-in
    plugins are registered first) is a warning and the later registration is ignored.
    """


@hookspec
def register_sinks(register: Callable[[str, type[Any]], None]) -> None:
    """Register alert sink classes: ``register("webhook", WebhookSink)``.

    The name is what a ``[[sinks]]`` table gives as ``type``; like sources, sinks declare their
    options as ``Option`` values (see ``sellerpulse.core.alerts`` for the sink contract).
    """


@hookspec
def register_profiles(register: Callable[[str, Any], None]) -> None:
    """Register marketplace profiles: ``register("walmart", profile_or_mapping)``.

    A :class:`sellerpulse.core.profile.Profile`, or a mapping shaped like the built-in TOML profiles
    (``core/profiles/amazon.toml``); accounts choose one with ``profile = "walmart"``.
    """
