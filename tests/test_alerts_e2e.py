"""End to end: the mock marketplace's ``late-shipping`` scenario through the real engine drives the Late
Shipment Rate into warning and then breach; the notifications reach a JSON Lines sink in order, once each.
"""

from __future__ import annotations

import json
import time

import pytest
from sellerpulse.core.alerts import AlertManager, Store, build_sinks, parse_rules
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, parse_instant
from sellerpulse.plugins.mock.generator import Marketplace

NOW = parse_instant("2026-11-20T12:00:00Z")
EVERY = 3 * US_PER_HOUR  # the evaluation timer, in simulated time
RULES = [
    {"name": "lsr-warning", "metric": "lsr_10d", "status": "warning", "recover": "0.025", "for": "10m",
     "keep_firing_for": "30m", "repeat": "7d", "min_population": 50, "severity": "warning"},
    {"name": "lsr-breach", "metric": "lsr_10d", "status": "breach", "recover": "0.035", "for": "10m",
     "keep_firing_for": "30m", "repeat": "7d", "min_population": 50, "severity": "critical"},
    {"name": "lsr-forecast", "metric": "lsr_10d", "forecast_days": 3, "for": "1h", "keep_firing_for": "6h",
     "repeat": "30d", "min_population": 50},
]  # fmt: skip


@pytest.mark.slow
def test_late_shipping_scenario_warns_then_breaches_once_each(tmp_path):
    path = tmp_path / "alerts.jsonl"
    sinks = build_sinks(
        [{"type": "log", "name": "file", "path": str(path)}], load_plugins(entry_points=False).sinks()
    )
    clock = FixedClock(0)
    manager = AlertManager(parse_rules(RULES), Store(tmp_path / "state.sqlite3"), sinks, clock, group_wait=0)
    manager.start()
    market = Marketplace(seed=7, start=NOW, orders_per_day=100, scenario="late-shipping", backfill_days=30)
    engine = Engine()
    evaluate_from = market.origin + 12 * US_PER_DAY  # once the 10-day window is full
    next_eval = evaluate_from
    batch = []
    queued = []
    for event in market.events():
        if event.ts > NOW:
            break
        while event.ts > next_eval:  # a batch import, then one evaluation: never per event
            engine.ingest(batch)
            batch = []
            clock.at = next_eval
            queued += manager.evaluate(engine.snapshot(next_eval, history_days=10))
            next_eval += EVERY
        batch.append(event)
    deadline = time.monotonic() + 10
    while manager.store.delivery_counts().get("pending") and time.monotonic() < deadline:
        time.sleep(0.02)
    manager.close()

    delivered = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [d["key"] for d in delivered] == [q["key"] for q in queued]  # in order, each once
    by_account: dict[str, list[tuple[str, str]]] = {}
    for alert in delivered:
        by_account.setdefault(alert["labels"]["account"], []).append((alert["rule"], alert["kind"]))
    # the scenario pushes every account's LSR up to breach; nobody recovers before "now". A warning that
    # would fire together with its breach is inhibited by it (one notification per breach)
    warned_first = 0
    for account, seen in by_account.items():
        levels = [rule for rule, kind in seen if rule != "lsr-forecast"]
        assert levels in (["lsr-warning", "lsr-breach"], ["lsr-breach"]), (account, seen)
        assert all(kind == "firing" for _, kind in seen), (account, seen)
        warned_first += levels[0] == "lsr-warning"
    assert warned_first >= 1, by_account
    assert set(by_account) == set(engine.accounts)
    # the 3-day forecast saw acme-us's breach coming, days (not weeks) before it happened
    fired = {a["rule"]: parse_instant(a["at"]) for a in delivered if a["labels"]["account"] == "acme-us"}
    assert fired["lsr-breach"] - 4 * US_PER_DAY <= fired["lsr-forecast"] < fired["lsr-breach"], fired
