"""The dispatcher: grouping a burst into one message, retries with back-off, giving up, restarts."""

from __future__ import annotations

import time

from alert_fixtures import MINUTE, T0, RecordingSink, lsr, multi, snapshot
from sellerpulse.core.alerts import AlertManager, Store, parse_rules
from sellerpulse.core.clock import FixedClock

# two rules that fire together (a threshold, not the metric's warning status: a breach inhibits that one,
# see test_alerts_inhibit.py); these tests are about delivery
RULES = [
    {"name": "breach", "metric": "lsr_10d", "status": "breach"},
    {"name": "warning", "metric": "lsr_10d", "above": "0.02"},
]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.01)
    return predicate()


def make(tmp_path, sink, group_wait=0.0):
    clock = FixedClock(T0)
    manager = AlertManager(
        parse_rules(RULES), Store(tmp_path / "s.sqlite3"), {"rec": sink}, clock, group_wait
    )
    return manager, clock


def test_a_burst_within_group_wait_is_one_message(tmp_path):
    sink = RecordingSink()
    manager, clock = make(tmp_path, sink, group_wait=0.4)
    manager.start()
    try:
        manager.evaluate(multi(clock.now(), {"a": {"lsr_10d": lsr(5, 100)}, "b": {"lsr_10d": lsr(5, 100)}}))
        clock.advance(MINUTE)
        manager.evaluate(multi(clock.now(), {"a": {"lsr_10d": lsr(5, 100)}, "b": {"lsr_10d": lsr(5, 100)},
                                             "c": {"lsr_10d": lsr(35, 1000)}}))  # fmt: skip
        assert wait_for(lambda: manager.store.delivery_counts() == {"sent": 5})
    finally:
        manager.close()
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert [(a["rule"], a["labels"]["account"]) for a in message.alerts] == [
        ("breach", "a"),
        ("breach", "b"),
        ("warning", "a"),
        ("warning", "b"),
        ("warning", "c"),
    ]  # fmt: skip  (in the order queued: rule by rule, then account by account)
    assert message.title() == "sellerpulse: 5 alerts (5 firing)"


def test_transient_failures_are_retried_then_sent_once(tmp_path):
    sink = RecordingSink(fail=2)
    manager, clock = make(tmp_path, sink)
    manager.start()
    try:
        manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(35, 1000)}))
        assert wait_for(lambda: manager.store.delivery_counts() == {"sent": 1})
    finally:
        manager.close()
    assert sink.calls == 3 and len(sink.alerts) == 1
    assert manager.recent(1)[0]["deliveries"][0]["attempts"] == 3


def test_retries_run_out_and_the_failure_is_visible(tmp_path):
    sink = RecordingSink(fail=10)  # retries = 3
    manager, clock = make(tmp_path, sink)
    manager.start()
    try:
        manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(35, 1000)}))
        assert wait_for(lambda: manager.store.delivery_counts() == {"failed": 1})
    finally:
        manager.close()
    assert sink.calls == 3
    failure = manager.failures()[0]
    assert (failure["status"], failure["attempts"], failure["error"]) == ("failed", 3, "refused #3")


def test_a_permanent_failure_is_not_retried(tmp_path):
    sink = RecordingSink(fail=1, permanent=True)
    manager, clock = make(tmp_path, sink)
    manager.start()
    try:
        manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(35, 1000)}))
        assert wait_for(lambda: manager.store.delivery_counts() == {"failed": 1})
        time.sleep(0.1)
    finally:
        manager.close()
    assert sink.calls == 1


def test_what_a_stopped_process_left_in_the_outbox_goes_out_after_a_restart(tmp_path):
    manager, clock = make(tmp_path, RecordingSink())
    manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))  # queued, never started
    manager.store.close()
    sink = RecordingSink()
    manager2, _ = make(tmp_path, sink)
    manager2.start()
    try:
        assert wait_for(lambda: manager2.store.delivery_counts() == {"sent": 2})
    finally:
        manager2.close()
    assert sorted(a["rule"] for a in sink.alerts) == ["breach", "warning"]


def test_the_ui_reads_while_the_dispatcher_writes(tmp_path):
    sink = RecordingSink()
    manager, clock = make(tmp_path, sink)
    manager.start()
    try:
        for i in range(20):
            manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5 if i % 2 == 0 else 1, 100)}))
            assert isinstance(manager.recent(5), list) and isinstance(manager.states(), list)
            clock.advance(MINUTE)
        assert wait_for(lambda: set(manager.store.delivery_counts()) == {"sent"})
    finally:
        manager.close()
    kinds = [a["kind"] for a in sink.alerts if a["rule"] == "breach"]
    assert kinds == ["firing", "resolved"] * 10


def test_a_broken_feed_subscriber_does_not_fail_the_delivery(tmp_path):
    from sellerpulse.plugins.sinks.terminal import TerminalSink

    terminal = TerminalSink("terminal", {"bell": False, "keep": 10})
    seen = []
    terminal.subscribe(lambda alerts: 1 / 0)
    terminal.subscribe(seen.extend)
    manager, clock = make(tmp_path, RecordingSink())
    manager = AlertManager(manager.rules, manager.store, {"terminal": terminal}, clock, group_wait=0)
    manager.start()
    try:
        manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
        assert wait_for(lambda: manager.store.delivery_counts() == {"sent": 2})
    finally:
        manager.close()
    assert [a["rule"] for a in terminal.entries()] == ["warning", "breach"]  # newest first
    assert len(seen) == 2
