"""Amazon's Account Health records in the state file, so a restart shows them before the next report.

They live in the state file's ``state_meta`` table under one key, written with every checkpoint (a
handful of records, a few KB). A saved entry that cannot be read (another version, a hand edit) is
dropped with a warning: the next report a source reads brings them back.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .official_records import AccountHealth

META_KEY = "account_health"

log = logging.getLogger("sellerpulse.checkpoint")


def saved_account_health(runtime: Any) -> dict[str, list[dict[str, Any]]]:
    """The ``state_meta`` entry of ``runtime``'s latest records (an empty dict when it holds none)."""
    records = runtime.account_health()
    return {META_KEY: [record.to_json() for record in records]} if records else {}


def restore_account_health(runtime: Any, meta: Mapping[str, Any]) -> None:
    """Give ``runtime`` the records a checkpoint saved in ``meta``."""
    runtime.restore_account_health(saved_records(meta))


def saved_records(meta: Mapping[str, Any]) -> list[AccountHealth]:
    """The records a checkpoint saved in a state file's ``meta`` (``report --state`` shows them too)."""
    saved = meta.get(META_KEY)
    if saved is None:
        return []
    records = []
    for item in saved if isinstance(saved, list) else [saved]:
        try:
            records.append(AccountHealth.from_json(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning(
                "a saved Account Health record is unreadable and dropped: %s: %s", type(exc).__name__, exc
            )
    return records
