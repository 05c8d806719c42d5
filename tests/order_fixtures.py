"""Canonical event files of MFN orders, for the command-line tests of ``report`` and ``check``."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLUMNS = ("ts", "kind", "order_id", "account", "event_id", "ref", "channel", "ship_by", "deliver_by", "tracking",
           "rating", "by")  # fmt: skip


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_orders(
    path: Path,
    orders: int = 200,
    untracked: int = 0,
    late: int = 0,
    account: str = "shop",
    claim_opened: datetime | None = None,
) -> Path:
    """``orders`` MFN orders placed 2026-11-12..19 at 10:00, each shipped the next morning (before its
    10:00 ship-by) with tracking, except ``untracked`` shipped without tracking and ``late`` shipped
    two hours after ship-by; with ``claim_opened``, an A-to-z claim ``AZ-1`` on the first order, opened
    then and never answered."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        for n in range(orders):
            placed = datetime(2026, 11, 12, 10, tzinfo=UTC) + timedelta(days=n % 8)
            ship_by = placed + timedelta(days=1)
            shipped = ship_by + (timedelta(hours=2) if n < late else timedelta(hours=-2))
            oid = f"O-{n:04d}"
            writer.writerow({"ts": iso(placed), "kind": "order_placed", "order_id": oid, "account": account,
                             "channel": "MFN", "ship_by": iso(ship_by),
                             "deliver_by": iso(placed + timedelta(days=5))})  # fmt: skip
            writer.writerow({"ts": iso(shipped), "kind": "order_shipped", "order_id": oid, "account": account,
                             "tracking": "" if n >= orders - untracked else f"1Z{n:08d}"})  # fmt: skip
        if claim_opened is not None:
            writer.writerow({"ts": iso(claim_opened), "kind": "claim_opened", "order_id": "O-0000",
                             "account": account, "ref": "AZ-1"})  # fmt: skip
    return path
