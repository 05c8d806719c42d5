"""Building an engine from a loaded config: one place for "which profile and time zone does each
account get", shared by ``report``, ``check``, ``run`` and the alerts, so they can never disagree."""

from __future__ import annotations

from collections.abc import Mapping

from .config import Config
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
