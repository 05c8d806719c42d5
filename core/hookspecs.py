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
    """Register source classes: ``register("csv", CsvSource)``. The name is the config's ``type``."""


@hookspec
def register_sinks(register: Callable[[str, type[Any]], None]) -> None:
    """Register alert sink classes: ``register("webhook", WebhookSink)``."""


@hookspec
def register_profiles(register: Callable[[str, Any], None]) -> None:
    """Register marketplace profiles: ``register("walmart", profile_or_mapping)``."""
