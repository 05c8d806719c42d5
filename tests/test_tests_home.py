"""The suite never writes into the real home directory (tests/conftest.py): the default paths a command
falls back to lie in the session's throwaway folder, and commands a test starts inherit its variables."""

from __future__ import annotations

import os
from pathlib import Path

from sellerpulse.core.alerts.setup import default_state_path
from sellerpulse.core.config_locations import user_config_path
from sellerpulse.core.logs import default_log_path


def test_default_paths_are_outside_the_real_home() -> None:
    throwaway = Path(os.environ["XDG_STATE_HOME"]).parent
    assert throwaway.name.startswith("sellerpulse-tests-home-")
    for path in (default_log_path(), default_state_path(), user_config_path()):
        assert path.is_relative_to(throwaway), path
