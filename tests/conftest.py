"""Keep every test, and every command a test starts, out of the real home directory.

The defaults of the config search, the state file and the log file are the user's own directories
(platformdirs, which follow the XDG variables); a test that forgets ``--state`` or ``--log-file`` would
write into them. The session points the XDG variables at one throwaway folder before any test runs, and
subprocesses inherit it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

XDG_VARIABLES = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR")
_HOME = tempfile.TemporaryDirectory(prefix="sellerpulse-tests-home-")


def pytest_configure() -> None:
    root = Path(_HOME.name)
    for name in XDG_VARIABLES:
        folder = root / name.lower()
        folder.mkdir(mode=0o700, exist_ok=True)
        os.environ[name] = str(folder)
    os.environ.pop("SELLERPULSE_CONFIG", None)


def pytest_unconfigure() -> None:
    _HOME.cleanup()
