"""Alert benchmark: the cost of one evaluation (default Amazon rules) and of a burst of deliveries.

    python benchmarks/alerts.py                 # 50 accounts
    python benchmarks/alerts.py --accounts 5

Prints its figures; it asserts nothing. An evaluation runs on a timer and after a batch import, never per
event, so what matters is that it stays far below the refresh interval (2 s) at a realistic account count.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sellerpulse.core.alerts import AlertManager, Store, default_rules
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import Sink
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.timeutil import US_PER_HOUR, parse_instant
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace

NOW = parse_instant("2026-11-20T12:00:00Z")


class CountingSink(Sink):
    type_name = "count"

    def __init__(self) -> None:
        super().__init__("count", {})
        self.alerts = 0
        self.messages = 0

    def send(self, message: AlertMessage) -> None:
        self.messages += 1
        self.alerts += len(message.alerts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50, help="how many seller accounts (default 50)")
    parser.add_argument("--rounds", type=int, default=20, help="timed evaluations (default 20)")
    args = parser.parse_args(argv)

    specs = account_specs(names=[f"acct-{i:03d}" for i in range(args.accounts)])
    market = Marketplace(seed=3, start=NOW, orders_per_day=60, accounts=specs, scenario="late-shipping",
                         backfill_days=20)  # fmt: skip
    engine = Engine()
    engine.ingest(itertools.takewhile(lambda e: e.ts <= NOW, market.events()))  # the stream is endless
    with tempfile.TemporaryDirectory() as folder:
        sink = CountingSink()
        clock = FixedClock(NOW)
        rules = default_rules(builtin_profile("amazon"))
        manager = AlertManager(
            rules, Store(Path(folder) / "state.sqlite3"), {"count": sink}, clock, group_wait=0.2
        )
        manager.start()
        times, snaps = [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            snap = engine.snapshot(clock.now(), history_days=60)
            snaps.append(time.perf_counter() - started)
            started = time.perf_counter()
            manager.evaluate(snap)
            times.append(time.perf_counter() - started)
            clock.advance(US_PER_HOUR // 4)
        deadline = time.monotonic() + 30
        while manager.store.delivery_counts().get("pending") and time.monotonic() < deadline:
            time.sleep(0.05)
        manager.close()
        instances = len(manager.states())
    print(f"accounts: {args.accounts}, rules: {len(rules)}, instances: {instances}")
    print(f"snapshot with 60 days of history: median {statistics.median(snaps) * 1000:.1f} ms")
    print(f"evaluation: median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms")
    print(f"notifications delivered: {sink.alerts} in {sink.messages} message(s) (grouped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
