"""A breach inhibits its own warning (Alertmanager's inhibit rules): one notification per breach."""

from __future__ import annotations

from alert_fixtures import MINUTE, T0, lsr, multi, snapshot
from sellerpulse.core.alerts import AlertManager, Store, parse_rules
from sellerpulse.core.clock import FixedClock

WARNING = {"name": "lsr_10d-warning", "metric": "lsr_10d", "status": "warning", "severity": "warning"}
BREACH = {"name": "lsr_10d-breach", "metric": "lsr_10d", "status": "breach", "severity": "critical"}


def manager_for(tmp_path, *tables):
    clock = FixedClock(T0)
    return AlertManager(parse_rules(tables), Store(tmp_path / "s.sqlite3"), {}, clock), clock


def sent_for(manager, clock, numerators, account="acme"):
    sent = []
    for numerator in numerators:
        sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(numerator, 100)}, account=account))
        clock.advance(MINUTE)
    return [(s["rule"], s["kind"]) for s in sent]


def test_a_breach_notifies_once_not_also_as_a_warning(tmp_path):
    manager, clock = manager_for(tmp_path, WARNING, BREACH)  # the warning rule listed first
    assert sent_for(manager, clock, [5, 5, 5]) == [("lsr_10d-breach", "firing")]
    states = {s["rule"]: (s["state"], s["inhibited"]) for s in manager.states()}
    # still shown as firing, and why it said nothing
    assert states == {"lsr_10d-warning": ("firing", True), "lsr_10d-breach": ("firing", False)}


def test_the_warning_notifies_once_the_breach_is_over_and_it_still_holds(tmp_path):
    manager, clock = manager_for(tmp_path, WARNING, BREACH)
    # 5 % breaches (target 4 %), 3 % is only a warning (warn 3 %), 1 % is fine
    assert sent_for(manager, clock, [5, 3, 1]) == [
        ("lsr_10d-breach", "firing"),
        ("lsr_10d-breach", "resolved"),
        ("lsr_10d-warning", "firing"),
        ("lsr_10d-warning", "resolved"),
    ]


def test_a_warning_without_a_breach_notifies(tmp_path):
    manager, clock = manager_for(tmp_path, WARNING, BREACH)
    assert sent_for(manager, clock, [3]) == [("lsr_10d-warning", "firing")]


def test_a_breach_inhibits_only_the_warning_of_its_own_account(tmp_path):
    manager, clock = manager_for(tmp_path, WARNING, BREACH)
    both = multi(clock.now(), {"acme": {"lsr_10d": lsr(5, 100)}, "beta": {"lsr_10d": lsr(3, 100)}})
    sent = [(s["rule"], s["labels"]["account"]) for s in manager.evaluate(both)]
    assert sorted(sent) == [("lsr_10d-breach", "acme"), ("lsr_10d-warning", "beta")]


def test_a_breach_of_another_metric_inhibits_nothing(tmp_path):
    other = {**BREACH, "name": "odr-breach", "metric": "odr"}
    manager, clock = manager_for(tmp_path, WARNING, other)
    sent = sent_for(manager, clock, [5])
    assert ("lsr_10d-warning", "firing") in sent
