"""How secrets stay secret: which keys hold credentials, and masking them in text, URLs and data.

A secret is a configured value (a ``${NAME}`` substitution, or an option a plugin declares secret), a URL's
password, or the value of a secret-looking key or query parameter (``token``, ``api_key``, ...), so a
secret nobody configured is hidden too. The config, the log, the alerts and the HTTP source all mask
through these functions, so they agree on what is hidden.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit

from .tomllines import key_lines

MASK = "***"
_SECRET_WORDS = frozenset({
    "token", "password", "passwd", "secret", "key", "apikey", "webhook", "authorization", "auth",
    "credential", "credentials", "signature", "sig",
})  # fmt: skip


def is_secret_key(key: str) -> bool:
    """True for key names that hold credentials: ``token``, ``api_key``, ``x-amz-access-token``..."""
    words = re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key).lower())
    return any(word in _SECRET_WORDS for word in words)


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of every secret replaced by ``***`` (longest secrets first)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def url_secrets(text: str) -> list[str]:
    """The password of ``scheme://user:password@host`` and the values of secret-looking query parameters."""
    if "://" not in text:
        return []
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return []
    found = [password] if password else []
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if v and is_secret_key(k)]
    return found


def mask_url(text: str) -> str:
    """Hide the password of ``scheme://user:password@host`` and secret-looking query parameters."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if colon else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(is_secret_key(k) for k, _ in pairs):
            query = urlencode([(k, MASK if is_secret_key(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+")
_QUERY_PAIR = re.compile(r"([?&;])([^\s=&;#?\"'<>`]+)=([^\s&;#\"'<>`]+)")


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Free text that may quote URLs (a server's error reply, a program's stderr) with every secret masked:
    the configured ``secrets`` (also percent-encoded, as a URL carries them), the password of every URL in
    it (:func:`mask_url`) and every secret-looking query parameter, with or without a scheme
    (``GET /orders?api_key=...``), so a secret nobody configured is hidden too."""
    forms = {
        form for secret in secrets if secret for form in (secret, quote(secret, safe=""), quote_plus(secret))
    }
    text = _URL_IN_TEXT.sub(lambda match: mask_url(match.group()), mask(text, forms))
    return _QUERY_PAIR.sub(
        lambda m: f"{m.group(1)}{m.group(2)}={MASK}" if is_secret_key(m.group(2)) else m.group(), text
    )


def masked_data(value: Any, secrets: set[str], key: str | None = None) -> Any:
    """Config-shaped data (tables, arrays, strings) with every secret masked: the values of secret-looking
    keys whole, configured secrets and URL passwords inside any other text."""
    if isinstance(value, dict):
        return {k: masked_data(v, secrets, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked_data(v, secrets, key) for v in value]
    if isinstance(value, str):
        if key is not None and is_secret_key(key) and value:
            return MASK
        return mask_url(mask(value, secrets))
    return value


def permission_warnings(path: Path, text: str) -> list[str]:
    """A config that holds or references secrets should not be readable by other users."""
    if os.name != "posix":
        return []
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if not mode & (stat.S_IRGRP | stat.S_IROTH):
        return []
    if not _mentions_secrets(text):
        return []
    return [
        f"{path} references secrets and is readable by other users (mode {stat.S_IMODE(mode):o}); "
        f"run: chmod 600 {path}"
    ]


def _mentions_secrets(text: str) -> bool:
    if "${" in text:
        return True
    return any(is_secret_key(key) for path in key_lines(text) for key in path if isinstance(key, str))
