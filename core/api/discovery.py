"""The serve file: how a view finds the ``sellerpulse serve`` running for a config.

``serve`` writes ``NAME.serve.json`` in the user state directory when it listens (its URL, pid, config,
state file and token file) and removes it when it stops. NAME comes from the config's path, so each
config has its own. A serve killed with ``kill -9`` cannot remove its file: a reader treats a file whose
pid is no longer running as stale and removes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from platformdirs import user_state_dir


def serve_file(config_path: Path | None, folder: Path | None = None) -> Path:
    """The serve file of the config at ``config_path`` (None: running on the defaults)."""
    where = folder or Path(user_state_dir("sellerpulse"))
    if config_path is None:
        return where / "defaults.serve.json"
    resolved = str(Path(config_path).resolve())
    digest = hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    return where / f"{Path(config_path).stem}-{digest}.serve.json"


def write(path: Path, info: dict[str, Any]) -> None:
    """Write the serve file (0600; it names where the token is, not the token)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({**info, "pid": os.getpid()}, handle, indent=1)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def running(path: Path) -> dict[str, Any] | None:
    """What the serve file says, if its serve is still running; a stale or unreadable file is removed."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        info = None
    if isinstance(info, dict) and isinstance(info.get("pid"), int) and _alive(info["pid"]):
        return info
    with contextlib.suppress(OSError):
        path.unlink()
    return None


def remove(path: Path) -> None:
    """Remove the serve file if it is this process's (a newer serve's file is left alone)."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(info, dict) and info.get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # running, as another user
        return True
    return True
