"""Accounts side by side in ``sellerpulse report`` and ``check``: each account of whichever marketplace,
judged by its own profile, with its seller level where the profile has a ladder.

A shop selling on Amazon, Walmart and eBay reads one line an account before the per-account tables; the
metrics differ by marketplace, so the line says only what compares across them: how many metrics are in
breach or warning, which, and the level.
"""

from __future__ import annotations

from typing import Any

from sellerpulse.core.snapshot import AccountSnapshot, Snapshot
from sellerpulse.core.textsafe import clean


def shows_side_by_side(snapshot: Snapshot) -> bool:
    """Worth a summary: accounts of more than one marketplace, or a seller level to show."""
    marketplaces = {acc.marketplace for acc in snapshot.accounts.values()}
    return len(marketplaces) > 1 or any(acc.level is not None for acc in snapshot.accounts.values())


def worst_status(acc: AccountSnapshot) -> str:
    statuses = {m.status for m in acc.metrics.values()}
    return next((s for s in ("breach", "warning", "ok") if s in statuses), "no_data")


def summary_lines(snapshot: Snapshot) -> list[str]:
    """The accounts table: account, marketplace, profile, worst status, the metrics behind it, level."""
    header = ("account", "marketplace", "profile", "status", "breach", "warning", "level")
    rows = []
    for name, acc in snapshot.accounts.items():
        by_status = {s: [m.id for m in acc.metrics.values() if m.status == s] for s in ("breach", "warning")}
        rows.append((
            clean(name),
            clean(acc.marketplace),
            clean(acc.profile),
            worst_status(acc),
            ", ".join(by_status["breach"]) or "-",
            ", ".join(by_status["warning"]) or "-",
            acc.level.describe() if acc.level is not None else "-",
        ))  # fmt: skip
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]
    ]


def level_line(acc: AccountSnapshot) -> str | None:
    """``level Above Standard; 3 more defects to Below Standard`` under an account's heading."""
    if acc.level is None:
        return None
    missed = f" (misses {', '.join(acc.level.missed)} of the level above)" if acc.level.missed else ""
    return f"level {acc.level.describe()}{missed}"


def levels_json(snapshot: Snapshot) -> dict[str, Any]:
    """``check --format json``'s accounts: marketplace, profile and level of each."""
    return {
        name: {
            "marketplace": acc.marketplace,
            "profile": acc.profile,
            "level": acc.level.to_json() if acc.level is not None else None,
        }
        for name, acc in snapshot.accounts.items()
    }
