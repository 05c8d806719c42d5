"""Building the alert manager from a loaded config: rules, sinks, the state file.

One function shared by ``sellerpulse run`` (the runtime wires it after the engine) and
``sellerpulse alerts``, so both see the same rules and the same sinks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from ..clock import Clock
from ..profile import Profile
from ..remedies import remedies_for
from .conditions import ForecastCondition
from .manager import AlertManager
from .rules import Rule, default_rules, parse_rules
from .sink import Sink, build_sinks
from .store import Store

# queue items carried into the snapshots the rules judge: item conditions (older than, due within) look at
# these, sorted by deadline, so a long overdue backlog must not hide the orders due next
QUEUE_ITEMS = 200


def default_state_path() -> Path:
    """``state.sqlite3`` in the user data directory (``~/.local/share/sellerpulse`` on Linux)."""
    return Path(user_data_dir("sellerpulse", appauthor=False)) / "state.sqlite3"


def state_path(config: Any, explicit: str | Path | None = None) -> Path:
    """``--state PATH``, else ``[general] state`` (relative to the config file), else the default."""
    if explicit:
        return Path(explicit).expanduser()
    configured = getattr(config.general, "state", None)
    return config.resolve_path(configured) if configured else default_state_path()


def rules_from_config(config: Any, profiles: Mapping[str, Profile] | None = None) -> list[Rule]:
    """The ``[[alerts]]`` rules, or when there are none the defaults of the general profile and of the
    profiles the config's accounts name (accounts of several marketplaces)."""
    if config.alerts:
        return parse_rules(config.alerts)
    names = dict.fromkeys([config.general.profile, *(a.profile for a in config.accounts.values())])
    return default_rules(*(config.profile_named(name, profiles) for name in names))


def sinks_from_config(config: Any, sink_classes: Mapping[str, type]) -> dict[str, Sink]:
    return build_sinks(config.sinks, sink_classes)


def manager_from_config(
    config: Any,
    sink_classes: Mapping[str, type],
    store: Store,
    clock: Clock,
    profiles: Mapping[str, Profile] | None = None,
    group_wait: float = 1.0,
) -> AlertManager:
    """An :class:`AlertManager` for ``config`` (call ``start()`` to deliver, ``close()`` at the end).

    Its secrets are ``config.secrets``: call ``config.add_plugin_secrets`` first (``start_logging`` does)
    so literal values of options a plugin declares secret are masked too."""
    config_path = getattr(config, "path", None)
    return AlertManager(
        rules_from_config(config, profiles),
        store,
        sinks_from_config(config, sink_classes),
        clock,
        group_wait,
        remedies=lambda profile: remedies_for(profile, config_path),
        secrets=config.secrets,
    )


def history_days_needed(rules: list[Rule], profile: Profile) -> int:
    """Days of metric history the rules need in their snapshots: a forecast needs its metric's window."""
    days = [
        profile.metrics[rule.target].window_days
        for rule in rules
        if isinstance(rule.condition, ForecastCondition) and rule.target in profile.metrics
    ]
    return max(days, default=0)


def attach_to_runtime(
    runtime: Any,
    manager: AlertManager,
    history_days: int = 0,
    interval: float = 15.0,
    clock: Clock | None = None,
) -> Any:
    """An :class:`~.scheduler.AlertScheduler` fed by ``runtime``: snapshots under its lock, its sources'
    health, woken by its batches. Call ``start()`` on it (and on the manager), ``stop()`` at the end.
    ``clock`` replaces the runtime's (the demo judges alerts on simulated time)."""
    from .scheduler import AlertScheduler

    def take(at: int) -> Any:
        with runtime.lock:
            return runtime.engine.snapshot(at, items=QUEUE_ITEMS, history_days=history_days)

    scheduler = AlertScheduler(manager, take, runtime.health, clock or runtime.clock, interval=interval)
    runtime.on_batch.append(scheduler.batch_applied)
    return scheduler
