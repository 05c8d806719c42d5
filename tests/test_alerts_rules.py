"""Rule parsing (errors name the rule and the key), durations, and each kind of condition."""

from __future__ import annotations

import pytest
from alert_fixtures import DAY_ORDINAL, HOUR, MINUTE, T0, lsr, queue, snapshot
from sellerpulse.core.alerts import AlertManager, RuleError, Store, default_rules, parse_rules
from sellerpulse.core.alerts.durations import DurationError, format_duration, parse_duration
from sellerpulse.core.alerts.forecast import forecast_breach
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.snapshot import MetricValue
from sellerpulse.core.sources import SourceHealth


@pytest.mark.parametrize(
    ("text", "us"),
    [
        ("10m", 10 * MINUTE),
        ("4h", 4 * HOUR),
        ("2d", 48 * HOUR),
        ("1h30m", 90 * MINUTE),
        ("0", 0),
        (90, 90_000_000),
    ],
)
def test_durations(text, us):
    assert parse_duration(text) == us


@pytest.mark.parametrize("bad", ["10 minutes", "h", "", "-5m", "5x", True])
def test_bad_durations(bad):
    with pytest.raises(DurationError):
        parse_duration(bad)


def test_format_duration_round_trips():
    assert format_duration(90 * MINUTE) == "1h30m"
    assert parse_duration(format_duration(2 * 24 * HOUR + 5 * MINUTE)) == 2 * 24 * HOUR + 5 * MINUTE


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"name": "x", "metric": "odr", "status": "breach", "fro": "10m"},
         "alert rule 'x' (#1): unknown key 'fro'; did you mean 'for'?"),
        ({"name": "x", "metric": "odr", "status": "braech"}, "key 'status': 'braech' is not one of warning, breach"),
        ({"name": "x", "metric": "odr", "status": "breach", "for": "10 mins"}, "alert rule 'x' (#1): key 'for':"),
        ({"name": "x", "metric": "odr"}, "needs exactly one of 'status', 'above'"),
        ({"name": "x", "metric": "odr", "above": "0.01", "recover": "0.02"}, "key 'recover': must be at or below"),
        ({"name": "x", "metric": "odr", "below": "abc"}, "key 'below': expected a decimal"),
        ({"name": "x", "queue": "orders_to_ship", "status": "breach"}, "key 'status' does not apply to a queue rule"),
        ({"name": "x", "metric": "odr", "queue": "q", "status": "breach"}, "exactly one of 'metric', 'queue'"),
        ({"metric": "odr", "status": "breach"}, "alert rule #1: key 'name'"),
        ({"name": "x", "metric": "odr", "status": "breach", "severity": "loud"}, "key 'severity'"),
        ({"name": "x", "metric": "odr", "status": "breach", "sinks": "chat", "min_population": -1},
         "key 'min_population': expected a whole number >= 0"),
        ({"name": "x", "source": "*", "failing": "yes"}, "write failing = true"),
        ({"name": "x", "metric": "odr", "headroom_at_most": 2, "recover": 1}, "recovers above 2"),
    ],
)  # fmt: skip
def test_rule_errors_name_the_rule_and_the_key(table, message):
    with pytest.raises(RuleError) as caught:
        parse_rules([table])
    assert message in str(caught.value)


def test_all_problems_are_reported_together_and_names_are_unique():
    with pytest.raises(RuleError) as caught:
        parse_rules([
            {"name": "a", "metric": "odr", "status": "breach"},
            {"name": "a", "metric": "odr", "status": "warning"},
            {"name": "b", "metric": "odr", "statu": "warning"},
        ])  # fmt: skip
    text = str(caught.value)
    assert "alert rule 'a' (#2): the name is used by an earlier rule" in text
    assert "alert rule 'b' (#3): unknown key 'statu'" in text


def test_default_rules_cover_metrics_queues_and_sources():
    rules = {rule.name: rule for rule in default_rules(builtin_profile("amazon"))}
    assert {
        "odr-breach",
        "odr-warning",
        "lsr_10d-breach",
        "vtr-warning",
        "odr-headroom",
        "odr-forecast",
    } <= set(rules)
    assert {
        "message-unanswered-20h",
        "claim-unanswered-36h",
        "return-unanswered-40h",
        "orders-ship-within-2h",
    } <= set(rules)
    assert {"queue-overdue", "source-failing", "source-silent", "source-rejects"} <= set(rules)
    assert "refund_rate-breach" not in rules  # informational metrics have no target, no rule
    assert rules["odr-breach"].min_population == 20
    assert rules["message-unanswered-20h"].condition.amount == 20 * HOUR


def manager_for(tmp_path, *tables):
    clock = FixedClock(T0)
    return AlertManager(parse_rules(tables), Store(tmp_path / "s.sqlite3"), {}, clock), clock


def test_headroom_rule_with_hysteresis(tmp_path):
    manager, clock = manager_for(
        tmp_path, {"name": "h", "metric": "lsr_10d", "headroom_at_most": 1, "recover": 3}
    )
    sent = []
    for numerator in (0, 2, 1, 2, 1, 0):  # 100 orders, 4 % target: headroom 3, 1, 2, 1, 2, 3
        sent += manager.evaluate(snapshot(clock.now(), {"lsr_10d": lsr(numerator, 100)}))
        clock.advance(MINUTE)
    assert [(s["kind"], s["value"]) for s in sent] == [("firing", "1"), ("resolved", "3")]
    assert sent[0]["summary"].startswith(
        "Late Shipment Rate, 10 days can take 1 more late shipment before breach"
    )


def test_queue_rules(tmp_path):
    manager, clock = manager_for(
        tmp_path,
        {"name": "msg-20h", "queue": "messages_awaiting_reply", "older_than": "20h", "repeat": "1d"},
        {"name": "ship-2h", "queue": "orders_to_ship", "due_within": "2h", "repeat": "1d"},
        {"name": "overdue", "queue": "*", "overdue": True, "repeat": "1d"},
        {"name": "many", "queue": "orders_to_ship", "count_above": 2, "repeat": "1d"},
    )
    at = clock.now()
    messages = queue(
        "messages_awaiting_reply",
        [("m1", at - 21 * HOUR, at + 3 * HOUR), ("m2", at - HOUR, at + 23 * HOUR)],
        at,
    )
    orders = queue(
        "orders_to_ship", [("o1", at - 30 * HOUR, at + 90 * MINUTE), ("o2", at - HOUR, at + 5 * HOUR)], at
    )
    sent = manager.evaluate(
        snapshot(at, queues={"messages_awaiting_reply": messages, "orders_to_ship": orders})
    )
    got = {(s["rule"], s["labels"].get("queue")): s for s in sent}
    assert set(got) == {("msg-20h", "messages_awaiting_reply"), ("ship-2h", "orders_to_ship")}
    assert (
        "1 open for 20h or more (first: O-m1, due in 3h)"
        in got[("msg-20h", "messages_awaiting_reply")]["summary"]
    )
    assert got[("ship-2h", "orders_to_ship")]["details"]["items"][0]["ref"] == "o1"

    clock.advance(4 * HOUR)  # o1 and m1 are now overdue
    at = clock.now()
    orders = queue("orders_to_ship", [("o1", at - 34 * HOUR, at - 150 * MINUTE), ("o2", at - 5 * HOUR, at + HOUR),
                                      ("o3", at, at + 30 * HOUR)], at)  # fmt: skip
    messages = queue("messages_awaiting_reply", [("m1", at - 25 * HOUR, at - HOUR)], at)
    sent = manager.evaluate(
        snapshot(at, queues={"messages_awaiting_reply": messages, "orders_to_ship": orders})
    )
    kinds = sorted((s["rule"], s["labels"]["queue"], s["kind"]) for s in sent)
    assert kinds == [
        ("many", "orders_to_ship", "firing"),
        ("overdue", "messages_awaiting_reply", "firing"),
        ("overdue", "orders_to_ship", "firing"),
    ]
    overdue = next(s for s in sent if s["rule"] == "overdue" and s["labels"]["queue"] == "orders_to_ship")
    assert "1 overdue (first: O-o1, overdue by 2h30m)" in overdue["summary"]


def test_source_rules(tmp_path):
    manager, clock = manager_for(
        tmp_path,
        {"name": "failing", "source": "*", "failing": True},
        {"name": "silent", "source": "orders", "silent_for": "2h"},
        {"name": "rejects", "source": "*", "rejected_rate_above": "0.05", "min_population": 100},
    )
    now = clock.now()
    health = {
        "orders": SourceHealth(state="ok", events=95, rejected=5, last_event_at=now - 3 * HOUR),
        "api": SourceHealth(
            state="failing", last_error="HTTP 503 from \x1b[31mupstream", events=10, rejected=9
        ),
    }
    sent = manager.evaluate(snapshot(now), health)
    got = sorted((s["rule"], s["labels"]["source"]) for s in sent)
    assert got == [("failing", "api"), ("silent", "orders")]  # 5 % is not above 5 %; api has too few rows
    failing = next(s for s in sent if s["rule"] == "failing")
    assert "HTTP 503" in failing["summary"]
    states = {(r["rule"], r["labels"]["source"]): r["state"] for r in manager.states()}
    assert states[("rejects", "api")] == "no_data"


def _metric_with_history(daily_bad, previous_bad, width=10, lag=1, per_day=100, target="0.055"):
    """A metric whose window holds ``daily_bad`` (oldest first, ``per_day`` orders a day) after a window
    of ``previous_bad`` a day; history = the windowed value as of each of the ``width`` days before today."""
    today = DAY_ORDINAL
    first = today - lag - width + 1
    bad = {day: previous_bad for day in range(first - 2 * width, first)}
    bad.update({first + i: b for i, b in enumerate(daily_bad)})

    def windowed(day):
        days = range(day - lag - width + 1, day - lag + 1)
        return sum(bad[d] for d in days) / (width * per_day)

    numerator = sum(daily_bad)
    return MetricValue(
        id="lsr", name="LSR", value=numerator / (width * per_day), numerator=numerator,
        denominator=width * per_day, target=target, warn="0.04", direction="below", status="warning",
        headroom=None, window_from=first, window_to=today - lag,
        history=tuple(windowed(day) for day in range(today - width, today)),
    )  # fmt: skip


def test_forecast_uses_which_days_leave_the_window():
    rising = _metric_with_history([1, 1, 1, 6, 6, 6, 6, 6, 6, 6], previous_bad=1)
    # brute force: 45 bad of 1000; each day one old day leaves (1) and one new day enters at 6:
    # day 1: 50 (5.0 %), day 2: 55 (5.5 %) >= 5.5 % target -> breach in 2 days
    result = forecast_breach(rising, 5, DAY_ORDINAL)
    assert result.day == 2
    assert result.daily_rate == pytest.approx(0.06)

    # 41 bad (4.1 %), but the burst of 9 a day is about to leave: no breach ahead
    leaving = _metric_with_history([9, 9, 9, 2, 2, 2, 2, 2, 2, 2], previous_bad=2, target="0.05")
    result = forecast_breach(leaving, 5, DAY_ORDINAL)
    assert result.day is None
    assert result.projected == pytest.approx((41 - 27 - 4 + 5 * 2) / 1000)


def test_forecast_needs_a_full_window_of_history():
    metric = _metric_with_history([1] * 10, previous_bad=1)
    short = MetricValue(
        **{**{f: getattr(metric, f) for f in MetricValue.__slots__}, "history": metric.history[-5:]}
    )
    assert forecast_breach(short, 5, DAY_ORDINAL) is None


def test_forecast_rule_fires_and_says_when(tmp_path):
    manager, clock = manager_for(tmp_path, {"name": "f", "metric": "lsr", "forecast_days": 3})
    sent = manager.evaluate(
        snapshot(clock.now(), {"lsr": _metric_with_history([1, 1, 1, 6, 6, 6, 6, 6, 6, 6], 1)})
    )
    assert [s["kind"] for s in sent] == ["firing"]
    assert "forecast to breach in 2 days" in sent[0]["summary"]
