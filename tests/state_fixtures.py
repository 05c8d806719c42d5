"""Event histories for the durable-state tests: canonical CSV lines of a few accounts over many days.

Orders with promises, shipments (some late, some without tracking), cancellations, deliveries, feedback
(some negative, some removed), buyer messages and replies, A-to-z claims; some events carry ids and
some do not, so both ways of being idempotent are exercised. Deterministic for a seed.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from pathlib import Path

from sellerpulse.core.events import FIELDS
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant

START = parse_instant("2026-01-05T00:00:00Z")
HEADER = ",".join(FIELDS) + "\n"


def _line(**fields: object) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        ["" if fields.get(n) is None else fields.get(n) for n in FIELDS]
    )
    return out.getvalue()


def history(
    days: int,
    orders_per_day: int = 3,
    seed: int = 1,
    accounts: tuple[str, ...] = ("acme", "bolt"),
    start: int = START,
) -> list[str]:
    """Event lines (with newlines, no header) in event-time order, ``days`` days from ``start``."""
    rng = random.Random(seed)
    lines: list[tuple[int, str]] = []
    for day in range(days):
        for n in range(orders_per_day):
            account = accounts[n % len(accounts)]
            oid = f"{account[:2].upper()}-{day:04d}-{n}"
            placed = start + day * US_PER_DAY + rng.randrange(20 * US_PER_HOUR)
            lines.extend(_order(rng, account, oid, placed))
    lines.sort(key=lambda item: item[0])
    return [text for _, text in lines]


def _order(rng: random.Random, account: str, oid: str, placed: int) -> list[tuple[int, str]]:
    """The events of one order's life, as ``(ts, line)``."""
    out: list[tuple[int, str]] = []
    ids = rng.random() < 0.7

    def add(ts: int, suffix: str, **fields: object) -> None:
        event_id = f"{oid}:{suffix}" if ids else ""
        line = _line(ts=format_instant(ts), account=account, order_id=oid, event_id=event_id, **fields)
        out.append((ts, line))

    add(placed, "p", kind="order_placed", ship_by=format_instant(placed + 2 * US_PER_DAY),
        deliver_by=format_instant(placed + 6 * US_PER_DAY), amount="19.90")  # fmt: skip
    if rng.random() < 0.06:
        add(placed + US_PER_HOUR, "c", kind="order_cancelled", by="seller")
        return out
    shipped = placed + rng.randrange(3 * US_PER_DAY)
    tracking = f"1Z{rng.randrange(10**9)}" if rng.random() < 0.9 else ""
    add(shipped, "s", kind="order_shipped", tracking=tracking)
    add(shipped + rng.randrange(2, 7) * US_PER_DAY, "d", kind="order_delivered")
    if rng.random() < 0.3:
        when = shipped + rng.randrange(3, 20) * US_PER_DAY
        add(when, "f", kind="feedback", rating=rng.choice((1, 2, 4, 5, 5)))
        if rng.random() < 0.2:
            add(when + 2 * US_PER_DAY, "fr", kind="feedback_removed")
    if rng.random() < 0.2:
        ref = f"M-{oid}"
        got = placed + rng.randrange(US_PER_DAY)
        add(got, "m", kind="message_received", ref=ref)
        if rng.random() < 0.8:
            add(got + rng.randrange(40) * US_PER_HOUR, "mr", kind="message_replied", ref=ref)
    if rng.random() < 0.03:
        add(shipped + 9 * US_PER_DAY, "z", kind="claim_opened", ref=f"Z-{oid}")
    return out


def garbage_lines(count: int, seed: int = 2) -> Iterator[str]:
    """Rows a CSV source must reject (unknown kinds, bad instants, missing fields)."""
    rng = random.Random(seed)
    for n in range(count):
        yield rng.choice((
            f"2026-02-30T00:00:00Z,order_placed,X-{n},acme,,,,,,,,,,,\n",
            f"not a time,order_shipped,X-{n},acme,,,,,,,,,,,\n",
            f"2026-03-01T00:00:00Z,order_teleported,X-{n},acme,,,,,,,,,,,\n",
            "2026-03-01T00:00:00Z,feedback,,acme,,,,,,,,9,,,\n",
        ))  # fmt: skip


def write_events(path: Path, lines: list[str], header: bool = True) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if header:
            handle.write(HEADER)
        handle.writelines(lines)


def append_events(path: Path, lines: list[str]) -> None:
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.writelines(lines)
