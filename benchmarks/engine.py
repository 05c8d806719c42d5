"""Engine benchmark: ingest speed against the bare CSV floor, memory per order, snapshot latency, and
memory and memory mappings per account when many accounts hold a few orders each.

    python benchmarks/engine.py              # full size: 1,000,000 orders over 90 days (~3.5 M events)
    python benchmarks/engine.py --orders 20000
    python benchmarks/engine.py --orders 20000 --accounts 100000

Prints its figures; it asserts nothing (budgets are judged by people, CI runs it small so it cannot rot).
Budgets (issue 2): ingest >= 40 % of the bare ``csv`` read, snapshot < 5 ms at 1 M orders, <= 200 bytes
per order held; a few KB per account and memory mappings that do not grow with the accounts (issue 11).
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sellerpulse.core.bulk import BulkLoader
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import FIELDS, Event, Rejection
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant

START = parse_instant("2026-08-01T00:00:00Z")
DAYS = 90


def generate(path: Path, orders: int, seed: int = 1) -> int:
    """A 90-day history of ``orders`` orders in canonical CSV, in event-time order per order."""
    rng = random.Random(seed)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)

        def write(values: tuple[object, ...]) -> None:  # every field of the header, the later ones empty
            writer.writerow(values + ("",) * (len(FIELDS) - len(values)))

        span = DAYS * US_PER_DAY
        for n in range(orders):
            oid = f"ORD-{n:08d}"
            placed = START + span * n // orders
            afn = rng.random() < 0.3
            ship_by = placed + rng.randint(20, 60) * US_PER_HOUR
            deliver_by = ship_by + rng.randint(48, 120) * US_PER_HOUR
            event_id = f"e{n}"
            write((format_instant(placed), "order_placed", oid, "acme", f"{event_id}p", "",
                             "AFN" if afn else "MFN", format_instant(ship_by), format_instant(deliver_by),
                             "25.00", "", "", "", "", ""))  # fmt: skip
            rows += 1
            if rng.random() < 0.01:
                write((format_instant(placed + 3 * US_PER_HOUR), "order_cancelled", oid, "acme",
                                 f"{event_id}c", "", "", "", "", "", "", "", "seller", "", ""))  # fmt: skip
                rows += 1
                continue
            shipped = ship_by + rng.randint(-40, 4) * US_PER_HOUR
            tracking = "" if rng.random() < 0.02 else f"1Z{n:012d}"
            write((format_instant(shipped), "order_shipped", oid, "acme", f"{event_id}s", "", "", "",
                             "", "", tracking, "", "", "", ""))  # fmt: skip
            delivered = deliver_by + rng.randint(-60, 6) * US_PER_HOUR
            write((format_instant(delivered), "order_delivered", oid, "acme", f"{event_id}d", "", "",
                             "", "", "", "", "", "", "", ""))  # fmt: skip
            rows += 2
            if rng.random() < 0.5:
                rating = rng.choice((1, 2, 4, 5, 5, 5, 5, 5, 5, 5))
                write((format_instant(delivered + rng.randint(1, 200) * US_PER_HOUR), "feedback", oid,
                                 "acme", f"{event_id}f", "", "", "", "", "", "", rating, "", "", ""))  # fmt: skip
                rows += 1
    return rows


def bare_csv(path: Path) -> float:
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        for _ in csv.reader(handle):
            pass
    return time.perf_counter() - start


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def ingest(path: Path) -> tuple[Engine, float, int]:
    """The path ``sellerpulse report`` uses: read_event_file -> Engine.ingest."""
    engine = Engine()
    start = time.perf_counter()
    rejected = 0

    def events():
        nonlocal rejected
        for item in read_event_file(path):
            if isinstance(item, Event):
                yield item
            elif isinstance(item, Rejection):
                rejected += 1

    engine.ingest(events())
    return engine, time.perf_counter() - start, rejected


def bulk_ingest(path: Path) -> tuple[Engine, float, BulkLoader]:
    """The path ``sellerpulse report --events`` takes since issue 14: read_event_file -> BulkLoader."""
    engine = Engine()
    loader = BulkLoader(engine)
    start = time.perf_counter()
    loader.ingest(item for item in read_event_file(path) if isinstance(item, Event))
    return engine, time.perf_counter() - start, loader


def read_only(path: Path) -> float:
    """read_event_file alone: the floor of any path that takes validated events."""
    start = time.perf_counter()
    for _ in read_event_file(path):
        pass
    return time.perf_counter() - start


def account_events(accounts: int, per_account: int = 3) -> Iterator[Event]:
    """``per_account`` orders placed, shipped and delivered in each of ``accounts`` accounts."""
    for a in range(accounts):
        account = f"acct-{a:06d}"
        for o in range(per_account):
            oid = f"O-{a}-{o}"
            placed = START + (a * per_account + o) * 1000
            yield Event(placed, "order_placed", account, oid, f"{oid}p", ship_by=placed + 48 * US_PER_HOUR,
                        deliver_by=placed + 120 * US_PER_HOUR)  # fmt: skip
            yield Event(placed + US_PER_HOUR, "order_shipped", account, oid, f"{oid}s", tracking="1Z")
            yield Event(placed + US_PER_DAY, "order_delivered", account, oid, f"{oid}d")


def mappings() -> int:
    """The process's memory mappings (the kernel allows ``vm.max_map_count``, 65,530 by default)."""
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def many_accounts(accounts: int, at: int) -> None:
    gc.collect()
    before, maps_before = rss_bytes(), mappings()
    engine = Engine(max_accounts=accounts)
    start = time.perf_counter()
    engine.ingest(account_events(accounts))
    seconds = time.perf_counter() - start
    gc.collect()
    held = len(engine.accounts)
    print(f"accounts={accounts:,} (3 orders, 9 events each)")
    print(f"  ingest             {9 * held / seconds:12,.0f} events/s ({seconds:.2f} s)")
    print(f"  memory             {(rss_bytes() - before) / held:12,.0f} bytes per account (RSS delta)")
    print(f"  memory mappings    {mappings() - maps_before:12,} more ({maps_before:,} before)")
    start = time.perf_counter()
    engine.snapshot(at)
    print(f"  snapshot           {(time.perf_counter() - start) * 1000:12.0f} ms (every account)")


def snapshot_ms(engine: Engine, at: int, repeat: int = 30) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        engine.snapshot(at)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--small-orders", type=int, default=10_000, help="the small engine for snapshot time")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument("--accounts", type=int, help="accounts of a few orders each; default: orders / 100")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)

    at = START + DAYS * US_PER_DAY + 12 * US_PER_HOUR
    for orders in sorted({args.small_orders, args.orders}):
        path = args.data / f"engine-{orders}.csv"
        if not path.exists():
            t0 = time.perf_counter()
            rows = generate(path, orders)
            print(f"generated {path} ({rows:,} events) in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        with path.open() as handle:
            rows = sum(1 for _ in handle) - 1
        floor = bare_csv(path)
        gc.collect()
        before = rss_bytes()
        engine, seconds, rejected = ingest(path)
        gc.collect()
        held = engine.snapshot(at).accounts["acme"].orders_held
        per_order = (rss_bytes() - before) / max(held, 1)
        print(f"orders={orders:,} events={rows:,} rejected={rejected}")
        print(f"  bare csv read      {rows / floor:12,.0f} rows/s  ({floor:.2f} s)")
        print(
            f"  engine ingest      {rows / seconds:12,.0f} events/s ({seconds:.2f} s) = {floor / seconds:.0%} of bare csv"
        )
        print(
            f"  memory             {per_order:12,.0f} bytes per order held ({held:,} orders held, RSS delta)"
        )
        print(f"  snapshot           {snapshot_ms(engine, at):12.2f} ms (median of 30)")
        print(f"  snapshot+history30 {_history_ms(engine, at):12.2f} ms (median of 5)")
        want = engine.snapshot(at).to_json()
        del engine
        gc.collect()
        reading = read_only(path)
        print(
            f"  read_event_file    {rows / reading:12,.0f} events/s ({reading:.2f} s) = {floor / reading:.0%} of bare csv"
        )
        before = rss_bytes()
        engine, seconds, loader = bulk_ingest(path)
        gc.collect()
        per_order = (rss_bytes() - before) / max(held, 1)
        same = "equal" if engine.snapshot(at).to_json() == want else "DIFFERENT"
        print(
            f"  bulk ingest        {rows / seconds:12,.0f} events/s ({seconds:.2f} s) = {floor / seconds:.0%} of bare csv"
            f" ({loader.folded:,} folded, {loader.applied:,} one by one; snapshot {same} to the engine's)"
        )
        print(f"  memory (bulk)      {per_order:12,.0f} bytes per order held (RSS delta)")
        del engine, loader
        gc.collect()
    many_accounts(args.accounts or max(args.orders // 100, 1), at)


def _history_ms(engine: Engine, at: int) -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        engine.snapshot(at, history_days=30)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    main()
