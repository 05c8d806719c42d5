"""Building an engine from a loaded config: one place for "which profile and time zone does each
account get", shared by ``report``, ``check``, ``run`` and the alerts, so they can never disagree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .config import AccountSettings, Config
from .engine import Engine
from .profile import Profile


def engine_from_config(
    config: Config,
    registry: Mapping[str, Profile] | None = None,
    *,
    timezone: str | None = None,
    profile: str | None = None,
) -> Engine:
    """An empty engine set up as the config says.

    ``timezone`` and ``profile`` (from the command line) replace the ``[general]`` defaults, which
    apply to every account that does not name its own.
    """
    general = config.general
    default_profile = config.profile_named(profile or general.profile, registry)
    # An account table without its own value inherits [general]'s, so an inherited value follows the
    # command line's replacement.
    zones, profiles = {}, {}
    for name, account in config.accounts.items():
        zone = account.timezone
        zones[name] = timezone if timezone and zone == general.timezone else zone
        chosen = profile if profile and account.profile == general.profile else account.profile
        profiles[name] = config.profile_named(chosen, registry)
    return Engine(
        profile=default_profile,
        timezone=timezone or general.timezone,
        account_timezones=zones,
        account_profiles=profiles,
        max_accounts=general.max_accounts,
    )


def adopt_source_accounts(config: Config, sources: Iterable[Any]) -> None:
    """Give ``config`` the accounts its sources say they hold and it does not name.

    A source that simulates its stores (the mock marketplace) knows each one's time zone and profile
    (``timezones``, ``profiles``: name -> value); added as ``[accounts.ID]`` tables, the engine and the
    default alert rules judge a Walmart store by Walmart's profile in its own days. An account the config
    names keeps the config's values.
    """
    for source in sources:
        zones: Mapping[str, str] = getattr(source, "timezones", None) or {}
        profiles: Mapping[str, str] = getattr(source, "profiles", None) or {}
        for name in {**zones, **profiles}:
            if name not in config.accounts:
                zone = zones.get(name, config.general.timezone)
                config.accounts[name] = AccountSettings(
                    name, zone, profiles.get(name, config.general.profile)
                )
