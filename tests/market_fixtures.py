"""Builders for the Walmart and eBay cases: events through the real parser, one engine, one snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, parse_event
from sellerpulse.core.profile import Profile
from sellerpulse.core.snapshot import AccountSnapshot
from sellerpulse.core.timeutil import parse_instant

AT = "2026-11-20T15:30:00Z"


def ev(kind: str, ts: str, order_id: str = "", ref: str = "", **fields: Any) -> Event:
    """One canonical event, validated by the real parser."""
    row = {"kind": kind, "ts": ts, "order_id": order_id, "ref": ref}
    row.update({k: str(v) for k, v in fields.items()})
    return parse_event(row)


def orders(prefix: str, count: int, ts: str, **fields: Any) -> list[Event]:
    """``count`` MFN orders placed at ``ts``: ``prefix0`` .. ``prefix{count-1}``."""
    return [ev("order_placed", ts, f"{prefix}{n}", channel="MFN", **fields) for n in range(count)]


def account(profile: Profile, events: Iterable[Event], at: str = AT) -> AccountSnapshot:
    """The snapshot of the one account the events name, as of ``at``."""
    engine = Engine(profile=profile, seed=7)
    engine.ingest(events)
    return engine.snapshot(parse_instant(at)).accounts["default"]
