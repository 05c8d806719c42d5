"""The action token of ``sellerpulse serve``: who holds it may ack and silence alerts (and, when serve
listens beyond loopback, read anything).

It is a random secret in a file readable by its owner only (0600) in the user's state directory, made
on the first serve and kept across restarts, so an attached view goes on working when serve restarts.
Anyone who can read the file is the operator; nobody else can. A file that others could read (its mode
loosened by hand or a copy) is replaced by a new secret: the old one may have been read. Tokens are
compared in constant time.
"""

from __future__ import annotations

import hmac
import os
import secrets
import stat
from pathlib import Path

from platformdirs import user_state_dir

TOKEN_FILE = "serve.token"


def token_path() -> Path:
    """``serve.token`` in the user state directory (``~/.local/state/sellerpulse`` on Linux)."""
    return Path(user_state_dir("sellerpulse")) / TOKEN_FILE


def load_or_create(path: Path) -> str:
    """The token kept in ``path``, made (0600) when there is none, it is empty or others could read it."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path}: the token file is not a regular file")
    if info is not None and not info.st_mode & 0o077 and info.st_uid == os.getuid():
        token = path.read_text(encoding="ascii", errors="replace").strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    _write(path, token)
    return token


def _write(path: Path, token: str) -> None:
    """Written beside ``path`` and renamed over it, created 0600 whatever the umask."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def matches(presented: str, token: str) -> bool:
    """Whether ``presented`` is ``token``, in time that does not depend on where they differ."""
    return hmac.compare_digest(presented.encode("utf-8", "replace"), token.encode("utf-8"))


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, ``""`` for another scheme, None for none."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""
