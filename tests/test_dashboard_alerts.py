"""The dashboard's alert feed is fed by the real alert manager: rules judged on the runtime's engine,
states shown in the feed, quiet rules left out."""

from __future__ import annotations

import csv
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sellerpulse.core.clock import FixedClock
from sellerpulse.core.config import load_config
from sellerpulse.core.engine import Engine
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.runtime import Runtime, build_sources
from sellerpulse.core.timeutil import to_us
from sellerpulse.tui.commands.dashboard import Alerting
from sellerpulse.tui.data import RuntimeData

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def late_shipments(path: Path) -> Path:
    """100 MFN orders of the last 5 days, 10 of them shipped a day after their ship-by: LSR 10 %."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "kind", "order_id", "account", "ship_by", "tracking"])
        for n in range(100):
            placed = NOW - timedelta(days=5 - n % 5, hours=1)
            ship_by = placed + timedelta(hours=20)
            shipped = ship_by + (timedelta(days=1) if n < 10 else -timedelta(hours=2))
            iso = lambda dt: dt.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
            writer.writerow([iso(placed), "order_placed", f"O{n}", "shop", iso(ship_by), ""])
            writer.writerow([iso(shipped), "order_shipped", f"O{n}", "shop", "", f"1Z{n}"])
    return path


def test_breaching_late_shipments_reach_the_feed(tmp_path: Path) -> None:
    plugins = load_plugins()
    config = load_config(None)
    [source] = build_sources([{"type": "csv", "path": str(late_shipments(tmp_path / "e.csv"))}], plugins)
    clock = FixedClock(to_us(NOW))
    runtime = Runtime(Engine(), [source], clock=clock)
    alerts = Alerting.open(config, plugins, tmp_path / "state.sqlite3", runtime)
    data = RuntimeData(runtime, clock=clock, alerts=alerts.manager.states)
    runtime.start_in_thread(follow=False)
    alerts.start(None)
    try:
        deadline = time.monotonic() + 20
        lines = []
        while time.monotonic() < deadline:
            lines = data.alerts()
            if any(line.rule == "lsr_10d-breach" for line in lines):
                break
            time.sleep(0.1)
        by_rule = {line.rule: line for line in lines}
        assert "lsr_10d-breach" in by_rule, [line.rule for line in lines]
        assert by_rule["lsr_10d-breach"].state in ("pending", "firing")
        assert by_rule["lsr_10d-breach"].account == "shop"
        assert "10.00 %" in by_rule["lsr_10d-breach"].message
        # rules with nothing to say (ODR has no data, VTR is fine) stay out of the feed
        assert all(line.state not in ("normal", "ok") for line in lines)
    finally:
        runtime.stop(timeout=5)
        alerts.close()
