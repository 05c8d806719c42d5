"""Evaluation timing: once after a burst of batches settles, and on a timer; never per event."""

from __future__ import annotations

import threading
import time

from alert_fixtures import T0, RecordingSink, lsr, snapshot
from sellerpulse.core.alerts import AlertManager, Store, default_rules, parse_rules
from sellerpulse.core.alerts.scheduler import AlertScheduler
from sellerpulse.core.alerts.setup import history_days_needed
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.profile import builtin_profile


def make(tmp_path, interval, settle):
    clock = FixedClock(T0)
    rules = parse_rules([{"name": "b", "metric": "lsr_10d", "status": "breach"}])
    manager = AlertManager(rules, Store(tmp_path / "s.sqlite3"), {"rec": RecordingSink()}, clock)
    taken = []
    lock = threading.Lock()

    def take(at):
        with lock:
            taken.append(at)
        return snapshot(at, {"lsr_10d": lsr(5, 100)})

    return AlertScheduler(manager, take, dict, clock, interval=interval, settle=settle), taken


def test_a_burst_of_batches_is_evaluated_once_after_it_settles(tmp_path):
    scheduler, taken = make(tmp_path, interval=30.0, settle=0.15)
    scheduler.start()
    try:
        for _ in range(200):  # a backfill: many batches in quick succession
            scheduler.batch_applied("orders", None)
            time.sleep(0.001)
        assert taken == []  # still importing: nothing judged mid-burst
        deadline = time.monotonic() + 3
        while not taken and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)
    finally:
        scheduler.stop()
    assert len(taken) == 1
    assert [n["kind"] for n in scheduler.manager.recent(5)] == ["firing"]


def test_the_timer_evaluates_without_batches(tmp_path):
    scheduler, taken = make(tmp_path, interval=0.05, settle=0.01)
    scheduler.start()
    time.sleep(0.4)
    scheduler.stop()
    assert len(taken) >= 3


def test_a_steady_stream_of_batches_is_still_judged_every_interval(tmp_path):
    scheduler, taken = make(tmp_path, interval=0.2, settle=0.1)
    scheduler.start()
    try:
        started = time.monotonic()
        while time.monotonic() - started < 0.9:
            scheduler.batch_applied()
            time.sleep(0.02)
    finally:
        scheduler.stop()
    assert 2 <= len(taken) <= 6


def test_forecast_rules_ask_for_their_window_of_history():
    profile = builtin_profile("amazon")
    assert history_days_needed(default_rules(profile), profile) == 60  # odr-forecast
    assert (
        history_days_needed(parse_rules([{"name": "x", "metric": "odr", "status": "breach"}]), profile) == 0
    )


def test_attached_to_a_real_runtime_a_batch_import_is_judged(tmp_path):
    from sellerpulse.core.alerts.setup import attach_to_runtime
    from sellerpulse.core.engine import Engine
    from sellerpulse.core.events import parse_event
    from sellerpulse.core.runtime import Runtime
    from sellerpulse.core.sources import Batch, Source
    from sellerpulse.core.timeutil import US_PER_HOUR, format_instant

    class Orders(Source):
        type_name = "orders"

        async def batches(self, follow):
            for i in range(3):  # three batches: 30 seller-fulfilled orders, 6 of them not shipped in time
                events = []
                for n in range(10):
                    placed = T0 - 30 * US_PER_HOUR
                    order = f"O-{i}-{n}"
                    events.append(parse_event({
                        "ts": format_instant(placed), "kind": "order_placed", "order_id": order, "account": "acme",
                        "channel": "MFN", "ship_by": format_instant(placed + 20 * US_PER_HOUR),
                    }))  # fmt: skip
                    if n >= 2:
                        events.append(parse_event({"ts": format_instant(placed + US_PER_HOUR), "kind": "order_shipped",
                                                   "order_id": order, "account": "acme"}))  # fmt: skip
                yield Batch(events=events)

    clock = FixedClock(T0)
    runtime = Runtime(Engine(), [Orders("orders", {})], clock)
    rules = parse_rules([{"name": "lsr", "metric": "lsr_10d", "status": "breach", "min_population": 20}])
    sink = RecordingSink()
    manager = AlertManager(rules, Store(tmp_path / "s.sqlite3"), {"rec": sink}, clock, group_wait=0)
    scheduler = attach_to_runtime(runtime, manager, interval=30.0)
    scheduler.settle = 0.1
    manager.start()
    scheduler.start()
    try:
        runtime.run_once()
        assert sink.delivered.wait(3)
    finally:
        scheduler.stop()
        manager.close()
    assert scheduler.evaluations == 1
    alert = sink.alerts[0]
    assert (alert["rule"], alert["kind"], alert["value"]) == ("lsr", "firing", "20.00 %")
