"""Account Health benchmark: the cost of putting Amazon's numbers beside ours.

    python benchmarks/account_health.py                  # 2,000 orders a day for 90 days
    python benchmarks/account_health.py --orders-per-day 200 --rounds 5

Prints its figures; it asserts nothing. The dashboard compares every metric of the latest reports at
each refresh (under the engine's lock), so that must stay far below the refresh interval (2 s); the
list of our orders behind a differing figure scans the orders held and is asked for by ``report`` only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time

from sellerpulse.core.engine import Engine
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.official_compare import DIFFERS, compare, orders_behind
from sellerpulse.core.timeutil import US_PER_DAY, format_instant, parse_instant
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace

NOW = parse_instant("2026-11-20T12:00:00Z")


def report_over(first_days_ago: int, last_days_ago: int, population: str, part: str) -> dict:
    """A rate section over the days ``first_days_ago..last_days_ago`` before NOW (counts made up: the
    comparison's cost does not depend on them)."""
    return {
        "reportingDateRange": {
            "reportingDateFrom": format_instant(NOW - first_days_ago * US_PER_DAY)[:10] + "T00:00Z",
            "reportingDateTo": format_instant(NOW - last_days_ago * US_PER_DAY)[:10] + "T23:59Z",
        },
        population: 1000,
        part: 10,
        "rate": 0.01,
    }


def document() -> dict:
    odr = report_over(74, 14, "orderCount", "orderWithDefects")
    odr.update(
        {name: {"count": 3, "status": "NONE"} for name in ("claims", "chargebacks", "negativeFeedback")}
    )
    odr["orderWithDefects"] = {"count": 9, "status": "NONE"}
    odr["rate"] = 0.009
    item = {
        "marketplaceId": "ATVPDKIKX0DER",
        "orderDefectRate": {"mfn": odr, "afn": dict(odr)},
        "lateShipmentRate": report_over(30, 1, "orderCount", "lateShipmentCount"),
        "preFulfillmentCancellationRate": report_over(7, 1, "orderCount", "cancellationCount"),
        "validTrackingRate": report_over(30, 1, "shipmentCount", "validTrackingCount"),
        "onTimeDeliveryRate": report_over(37, 7, "shipmentCountWithValidTracking", "onTimeDeliveryCount"),
    }
    return {"accountStatuses": [], "performanceMetrics": [item]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders-per-day", type=float, default=2000.0, help="orders a day (default 2,000)")
    parser.add_argument("--days", type=int, default=90, help="days of history (default 90)")
    parser.add_argument("--rounds", type=int, default=20, help="timed comparisons (default 20)")
    args = parser.parse_args(argv)

    (spec,) = account_specs(names=["acme"])
    market = Marketplace(seed=7, start=NOW, orders_per_day=args.orders_per_day, accounts=[spec],
                         scenario="late-shipping", backfill_days=args.days)  # fmt: skip
    engine = Engine()
    started = time.perf_counter()
    engine.ingest(itertools.takewhile(lambda e: e.ts <= NOW, market.events()))  # the stream is endless
    built = time.perf_counter() - started
    orders = len(engine.account("acme").orders)
    parsed = parse_account_health(json.dumps(document()).encode(), "acme")
    assert not parsed.rejections, parsed.rejections

    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        found = compare(engine, parsed.records, NOW)
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    behind = [orders_behind(engine, c, NOW) for c in found if c.verdict == DIFFERS]
    listing = time.perf_counter() - started

    print(f"orders held: {orders:,} ({args.days} days, built in {built:.1f} s)")
    print(f"metrics compared a refresh: {len(found)}")
    print(f"compare (each dashboard refresh): median {statistics.median(times) * 1000:.2f} ms, "
          f"max {max(times) * 1000:.2f} ms")  # fmt: skip
    print(f"orders behind {len(behind)} differing figures (report only): {listing * 1000:.0f} ms, "
          f"{sum(len(b) for b in behind):,} orders listed")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
