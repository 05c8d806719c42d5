"""The alert state machine through the manager: every transition with an injected clock, real SQLite."""

from __future__ import annotations

import pytest
from alert_fixtures import HOUR, MINUTE, T0, RecordingSink, lsr, multi, snapshot
from sellerpulse.core.alerts import AlertManager, Store, parse_rules
from sellerpulse.core.clock import FixedClock


def make(tmp_path, *tables, sinks=None, name="state.sqlite3"):
    clock = FixedClock(T0)
    store = Store(tmp_path / name)
    sinks = sinks if sinks is not None else {"rec": RecordingSink()}
    return AlertManager(parse_rules(tables), store, sinks, clock), clock


def kinds(queued):
    return [q["kind"] for q in queued]


def state_of(manager, rule, **labels):
    for row in manager.states():
        if row["rule"] == rule and all(row["labels"].get(k) == v for k, v in labels.items()):
            return row["state"]
    return None


BREACH = {
    "name": "lsr-breach",
    "metric": "lsr_10d",
    "status": "breach",
    "for": "10m",
    "keep_firing_for": "30m",
}


def test_normal_pending_firing_recovering_normal(tmp_path):
    manager, clock = make(tmp_path, BREACH)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)})) == []
    assert state_of(manager, "lsr-breach") == "normal"

    clock.advance(MINUTE)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)})) == []
    assert state_of(manager, "lsr-breach") == "pending"

    clock.advance(10 * MINUTE)  # exactly `for` after the condition started: fires
    queued = manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    assert kinds(queued) == ["firing"]
    assert queued[0]["labels"] == {"account": "acme", "metric": "lsr_10d"}
    assert "5.00 %" in queued[0]["summary"]
    assert state_of(manager, "lsr-breach") == "firing"

    clock.advance(MINUTE)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)})) == []
    assert state_of(manager, "lsr-breach") == "recovering"

    clock.advance(29 * MINUTE)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)})) == []
    assert state_of(manager, "lsr-breach") == "recovering"

    clock.advance(MINUTE)
    queued = manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)}))
    assert kinds(queued) == ["resolved"]
    assert state_of(manager, "lsr-breach") == "normal"
    # firing and resolved of one episode share the episode start in their identity
    log = manager.recent(10)
    assert [n["kind"] for n in log] == ["resolved", "firing"]
    assert log[0]["episode_start"] == log[1]["episode_start"]
    assert log[0]["key"] != log[1]["key"]


def test_pending_that_clears_never_notifies(tmp_path):
    manager, clock = make(tmp_path, BREACH)
    manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    clock.advance(9 * MINUTE)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(3, 100)})) == []
    assert state_of(manager, "lsr-breach") == "normal"
    clock.advance(MINUTE)  # the old pending start must not count any more
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)})) == []
    assert state_of(manager, "lsr-breach") == "pending"
    assert manager.recent(10) == []


def test_recovering_back_to_firing_is_the_same_episode(tmp_path):
    manager, clock = make(tmp_path, {**BREACH, "for": "0"})
    assert kinds(manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))) == ["firing"]
    clock.advance(5 * MINUTE)
    manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)}))
    assert state_of(manager, "lsr-breach") == "recovering"
    clock.advance(5 * MINUTE)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(6, 100)})) == []
    assert state_of(manager, "lsr-breach") == "firing"


def test_zero_for_and_keep_firing_for(tmp_path):
    manager, clock = make(tmp_path, {"name": "now", "metric": "lsr_10d", "status": "breach"})
    assert kinds(manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(4, 100)}))) == ["firing"]
    clock.advance(MINUTE)
    assert kinds(manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(3, 100)}))) == ["resolved"]


def test_value_flapping_around_threshold_fires_once_thanks_to_hysteresis(tmp_path):
    rule = {"name": "lsr-high", "metric": "lsr_10d", "above": "0.04", "recover": "0.03", "repeat": "0"}
    manager, clock = make(tmp_path, rule)
    sent = []
    for i in range(40):
        value = 41 if i % 2 == 0 else 39  # 4.1 % / 3.9 % around the 4 % threshold
        sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(value, 1000)}))
        clock.advance(MINUTE)
    assert kinds(sent) == ["firing"]
    sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(29, 1000)}))
    assert kinds(sent) == ["firing", "resolved"]


def test_status_flapping_fires_once_thanks_to_keep_firing_for(tmp_path):
    rule = {
        "name": "lsr-warn",
        "metric": "lsr_10d",
        "status": "warning",
        "keep_firing_for": "15m",
        "repeat": "0",
    }
    manager, clock = make(tmp_path, rule)
    sent = []
    for i in range(30):
        sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(30 if i % 2 == 0 else 29, 1000)}))
        clock.advance(5 * MINUTE)
    assert kinds(sent) == ["firing"]
    for _ in range(4):  # stays healthy for 20 minutes: resolves once, after keep_firing_for
        sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(10, 1000)}))
        clock.advance(5 * MINUTE)
    assert kinds(sent) == ["firing", "resolved"]


def test_repeat_interval_and_acknowledgement(tmp_path):
    manager, clock = make(tmp_path, {"name": "r", "metric": "lsr_10d", "status": "breach", "repeat": "1h"})
    snap = lambda: snapshot(clock.now(), {"lsr_10d": lsr(5, 100)})  # noqa: E731
    assert kinds(manager.evaluate(snap())) == ["firing"]
    clock.advance(59 * MINUTE)
    assert manager.evaluate(snap()) == []
    clock.advance(MINUTE)
    queued = manager.evaluate(snap())
    assert kinds(queued) == ["repeat"] and queued[0]["repeat"] == 1
    clock.advance(HOUR)
    queued = manager.evaluate(snap())
    assert kinds(queued) == ["repeat"] and queued[0]["repeat"] == 2
    assert manager.acknowledge("r") == 1
    clock.advance(3 * HOUR)
    assert manager.evaluate(snap()) == []
    assert manager.states()[0]["acknowledged"] is True
    # the acknowledgement ends with the episode: the next one repeats again
    clock.advance(MINUTE)
    assert kinds(manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)}))) == ["resolved"]
    clock.advance(MINUTE)
    assert kinds(manager.evaluate(snap())) == ["firing"]
    clock.advance(HOUR)
    assert kinds(manager.evaluate(snap())) == ["repeat"]


@pytest.mark.parametrize(
    ("policy", "expected_state", "expected"),
    [
        ("ok", "no_data", ["firing", "resolved"]),
        ("keep", "no_data", ["firing"]),
        ("alert", "firing", ["firing"]),
    ],
)
def test_no_data_policies(tmp_path, policy, expected_state, expected):
    rule = {"name": "nd", "metric": "lsr_10d", "status": "breach", "no_data": policy, "min_population": 50}
    manager, clock = make(tmp_path, rule)
    sent = manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    clock.advance(MINUTE)
    sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(0, 0)}))  # nothing to judge
    clock.advance(MINUTE)
    sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(2, 10)}))  # below min_population
    assert kinds(sent) == expected
    assert state_of(manager, "nd") == expected_state


def test_no_data_keep_resumes_the_held_episode(tmp_path):
    manager, clock = make(
        tmp_path, {"name": "nd", "metric": "lsr_10d", "status": "breach", "no_data": "keep"}
    )
    sent = manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    clock.advance(MINUTE)
    sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(0, 0)}))
    clock.advance(MINUTE)
    sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    assert state_of(manager, "nd") == "firing"
    clock.advance(MINUTE)
    sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)}))
    assert kinds(sent) == ["firing", "resolved"]


def test_no_data_from_the_start_shows_no_data(tmp_path):
    manager, clock = make(tmp_path, {"name": "nd", "metric": "lsr_10d", "status": "breach"})
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(None, 0)})) == []
    assert state_of(manager, "nd") == "no_data"


@pytest.mark.parametrize(("policy", "expected"), [("keep", ["firing"]), ("ok", ["firing", "resolved"])])
def test_error_state_and_policy(tmp_path, policy, expected):
    manager, clock = make(tmp_path, {"name": "e", "metric": "lsr_10d", "status": "breach", "error": policy})
    sent = manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    clock.advance(MINUTE)
    sent += manager.evaluate(snapshot(clock.now(), {}))  # the metric is missing: an error, not "healthy"
    assert kinds(sent) == expected
    row = manager.states()[0]
    assert row["state"] == "error"
    assert "has no metric 'lsr_10d'" in row["error"]


def test_error_alert_policy_fires_on_errors(tmp_path):
    manager, clock = make(tmp_path, {"name": "e", "metric": "lsr_10d", "status": "breach", "error": "alert"})
    assert kinds(manager.evaluate(snapshot(clock.now(), {}))) == ["firing"]


def test_for_survives_a_restart_and_nothing_is_sent_twice(tmp_path):
    manager, clock = make(tmp_path, BREACH)
    manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    manager.store.close()

    clock2 = FixedClock(T0 + 10 * MINUTE)
    manager2 = AlertManager(
        parse_rules([BREACH]), Store(tmp_path / "state.sqlite3"), {"rec": RecordingSink()}, clock2
    )
    queued = manager2.evaluate(snapshot(clock2.now(), {"lsr_10d": lsr(5, 100)}))
    assert kinds(queued) == ["firing"]  # pending since before the restart: `for` was not reset
    manager2.store.close()

    clock3 = FixedClock(T0 + 11 * MINUTE)
    manager3 = AlertManager(
        parse_rules([BREACH]), Store(tmp_path / "state.sqlite3"), {"rec": RecordingSink()}, clock3
    )
    assert manager3.evaluate(snapshot(clock3.now(), {"lsr_10d": lsr(5, 100)})) == []
    assert state_of(manager3, "lsr-breach") == "firing"
    clock3.advance(HOUR)
    assert manager3.evaluate(snapshot(clock3.now(), {"lsr_10d": lsr(0, 100)})) == []
    assert state_of(manager3, "lsr-breach") == "recovering"
    manager3.store.close()

    clock4 = FixedClock(clock3.now() + 30 * MINUTE)
    manager4 = AlertManager(
        parse_rules([BREACH]), Store(tmp_path / "state.sqlite3"), {"rec": RecordingSink()}, clock4
    )
    queued = manager4.evaluate(snapshot(clock4.now(), {"lsr_10d": lsr(0, 100)}))
    assert kinds(queued) == ["resolved"]  # keep_firing_for started before the restart, now over
    assert manager4.evaluate(snapshot(clock4.now(), {"lsr_10d": lsr(0, 100)})) == []
    assert manager4.store.delivery_counts() == {"pending": 2}


def test_silence_by_rule_defers_firing_until_it_ends(tmp_path):
    manager, clock = make(tmp_path, {"name": "s", "metric": "lsr_10d", "status": "breach"})
    manager.silence(rule="s", duration="1h")
    snap = lambda: snapshot(clock.now(), {"lsr_10d": lsr(5, 100)})  # noqa: E731
    assert manager.evaluate(snap()) == []
    assert manager.states()[0]["silenced"] is True
    assert state_of(manager, "s") == "firing"  # transitions go on under a silence
    clock.advance(HOUR)
    assert kinds(manager.evaluate(snap())) == ["firing"]  # the silence ended: announced now


def test_silence_by_account_only_mutes_that_account(tmp_path):
    manager, clock = make(tmp_path, {"name": "s", "metric": "lsr_10d", "status": "breach"})
    manager.silence(account="acme", duration="2h")
    queued = manager.evaluate(
        multi(clock.now(), {"acme": {"lsr_10d": lsr(5, 100)}, "bolt": {"lsr_10d": lsr(5, 100)}})
    )
    assert [q["labels"]["account"] for q in queued] == ["bolt"]


def test_silenced_episode_that_ends_is_never_announced(tmp_path):
    manager, clock = make(tmp_path, {"name": "s", "metric": "lsr_10d", "status": "breach"})
    manager.silence(rule="s", duration="1h")
    manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    clock.advance(MINUTE)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)})) == []
    clock.advance(2 * HOUR)
    assert manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(1, 100)})) == []


def test_silence_needs_a_known_rule_and_a_future_end(tmp_path):
    manager, _ = make(tmp_path, BREACH)
    with pytest.raises(ValueError, match="no alert rule named 'nope'"):
        manager.silence(rule="nope", duration="1h")
    with pytest.raises(ValueError, match="needs a rule or an account"):
        manager.silence(duration="1h")


def test_instances_are_per_account_and_deduplicated(tmp_path):
    manager, clock = make(
        tmp_path, {"name": "d", "metric": "lsr_10d", "status": "breach", "accounts": ["acme"]}
    )
    snap = multi(clock.now(), {"acme": {"lsr_10d": lsr(5, 100)}, "bolt": {"lsr_10d": lsr(5, 100)}})
    assert [q["labels"]["account"] for q in manager.evaluate(snap)] == ["acme"]
    assert manager.evaluate(snap) == []  # same instant, same state: nothing new
    assert len(manager.recent(10)) == 1


def test_unknown_sink_in_a_rule_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="alert rule 'x': key 'sinks': no sink named 'chat'"):
        make(tmp_path, {"name": "x", "metric": "lsr_10d", "status": "breach", "sinks": ["chat"]})


def test_notifications_go_only_to_the_rules_sinks(tmp_path):
    sinks = {"a": RecordingSink("a"), "b": RecordingSink("b")}
    manager, clock = make(
        tmp_path, {"name": "x", "metric": "lsr_10d", "status": "breach", "sinks": ["b"]}, sinks=sinks
    )
    manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(5, 100)}))
    assert [d["sink"] for d in manager.recent(1)[0]["deliveries"]] == ["b"]


def test_a_newer_schema_is_refused_not_damaged(tmp_path):
    import sqlite3

    from sellerpulse.core.alerts.store import StoreError

    Store(tmp_path / "s.sqlite3").close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as db:
        db.execute("UPDATE alert_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99, newer than this sellerpulse understands"):
        Store(tmp_path / "s.sqlite3")
