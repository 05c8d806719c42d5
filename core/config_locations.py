"""Where the config file is looked for: ``--config``, ``$SELLERPULSE_CONFIG``, ``./sellerpulse.toml``, then
the user config directory; ``sellerpulse config path`` prints the same search order."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_config_dir

CONFIG_ENV = "SELLERPULSE_CONFIG"
CONFIG_NAME = "sellerpulse.toml"


def user_config_path() -> Path:
    """Where the user-level config file lives (it may not exist)."""
    return Path(user_config_dir("sellerpulse")) / CONFIG_NAME


@dataclass(frozen=True, slots=True)
class Candidate:
    """One place in the search order and what was found there."""

    label: str
    path: Path | None
    exists: bool


def search_order(
    explicit: str | None, env: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> list[Candidate]:
    """Every place a config is looked for, in order, with the path each one names (if any)."""
    here = Path(cwd) if cwd is not None else Path.cwd()
    from_env = env.get(CONFIG_ENV) or None
    places = [
        ("--config FILE", Path(explicit).expanduser() if explicit else None),
        (f"${CONFIG_ENV}", Path(from_env).expanduser() if from_env else None),
        (f"./{CONFIG_NAME} in the current directory", here / CONFIG_NAME),
        ("the user config directory", user_config_path()),
    ]
    return [Candidate(label, path, path is not None and path.is_file()) for label, path in places]


def find_config_path(
    explicit: str | None, env: Mapping[str, str] = os.environ, cwd: Path | None = None
) -> Path | None:
    """The config file to use: ``--config``, ``$SELLERPULSE_CONFIG``, ``./sellerpulse.toml``, user config dir.

    A file named by ``--config`` or the environment variable is returned even when it does not exist,
    so loading it reports the mistake instead of quietly falling back to another file.
    """
    for index, candidate in enumerate(search_order(explicit, env, cwd)):
        if candidate.path is not None and (index < 2 or candidate.exists):
            return candidate.path
    return None
