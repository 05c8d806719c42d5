"""Property tests: the engine's snapshot equals the brute-force reference on random event streams.

Streams have several accounts (UTC, Europe/Berlin and America/Los_Angeles, so days move with DST), orders
with every kind of follow-up, timestamps clustered at local midnights, window edges and the 24 h / 48 h /
``ship_by`` / ``deliver_by`` / ``at`` boundaries (to the microsecond), exact duplicate rows with and without
``event_id``, reused event ids, and orphans. The engine gets only events with ``ts <= at``, shuffled; the
reference (``tests/reference.py``) recomputes everything from the same list in the same order. Numerators,
denominators, status, headroom, windows and queue counts must be equal, values within 1e-12.

``SELLERPULSE_PROPERTY_EXAMPLES`` raises the number of examples for a longer local hunt (the default is
derandomized, so CI runs the same cases every time).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import RULES, local_day, reference_report
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.timeutil import parse_instant, to_us

PROFILE = builtin_profile("amazon")
US_S = 1_000_000
US_H = 3_600 * US_S
US_D = 24 * US_H
EXAMPLES = int(os.environ.get("SELLERPULSE_PROPERTY_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="SELLERPULSE_PROPERTY_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Instants of `at` around the DST changes of Berlin (10-25, 03-29) and Los Angeles (11-01, 03-08).
AT_ANCHORS = [
    parse_instant(text)
    for text in (
        "2026-10-25T22:30:00Z",
        "2026-11-02T07:30:00Z",
        "2026-03-30T00:15:00Z",
        "2026-03-09T08:00:00Z",
        "2026-11-20T15:30:00Z",
    )
]
ZONES = {"acme": "UTC", "bolt": "Europe/Berlin", "cove": "America/Los_Angeles"}
# Small steps around a boundary: exactly on it, a microsecond, a second, a minute, an hour either side.
DELTAS = [0, 1, -1, US_S, -US_S, 60 * US_S, -60 * US_S, US_H, -US_H]
# Days before the day of `at` where some window starts or ends (lags 0/7/14, windows 7..180 days).
EDGE_DAYS = [0, 1, 6, 7, 8, 9, 10, 11, 13, 14, 15, 20, 21, 22, 29, 30, 31, 59, 60, 61, 73, 74, 75, 89, 90]
# Follow-up delays around the 24 h (CRT) and 48 h (RDR, claims) thresholds and the 4 h due-soon horizon.
FOLLOW = [0, 1, 4 * US_H, 24 * US_H - 1, 24 * US_H, 24 * US_H + 1, 48 * US_H - 1, 48 * US_H, 48 * US_H + 1]
REPLY = [US_H, 24 * US_H - 1, 24 * US_H, 24 * US_H + 1]  # first replies around the 24 h of crt
RESPOND = [US_H, 48 * US_H - 1, 48 * US_H, 48 * US_H + 1]  # return responses around the 48 h of rdr
# How long before `at` something starts so that `at` falls on a threshold (24 h, 48 h) or a deadline
# lands exactly on `at + due_soon_hours` (20 h, 44 h; -4 h for a ship_by after `at`).
NEAR_AT = [
    0,
    4 * US_H,
    -4 * US_H,
    20 * US_H,
    24 * US_H,
    28 * US_H,
    44 * US_H,
    48 * US_H,
    52 * US_H,
    72 * US_H,
]


def midnight(day: int, zone: str) -> int:
    tz = UTC if zone == "UTC" else ZoneInfo(zone)
    return to_us(datetime.combine(date.fromordinal(day), time(0), tzinfo=tz))


@st.composite
def instants(draw, at: int, zone: str, back_days: int = 95) -> int:
    """An instant from ``back_days`` before ``at`` to 2 days after it, often on a boundary."""
    how = draw(st.sampled_from(["uniform", "midnight", "near_at", "near_at"]))
    if how == "uniform":
        return at - draw(st.integers(-2 * US_D, back_days * US_D))
    if how == "midnight":
        back = draw(st.sampled_from(EDGE_DAYS) | st.integers(-1, back_days))
        return midnight(local_day(at, zone) - back, zone) + draw(st.sampled_from(DELTAS))
    return at - draw(st.sampled_from(NEAR_AT)) + (draw(st.sampled_from(DELTAS)) if draw(st.booleans()) else 0)


def after(draw, base: int, spread_days: int = 20, edges: list[int] = FOLLOW) -> int:
    """A follow-up instant: mostly on a threshold (exactly, or a microsecond off), else in the next days."""
    if draw(st.integers(0, 2)):
        return base + draw(st.sampled_from(edges))
    return base + draw(st.integers(0, spread_days * US_D))


def distinct_after(draw, base: int, count: int) -> list[int]:
    """``count`` different instants after ``base`` (so "latest by ts" is never a tie)."""
    offsets = draw(st.lists(st.integers(0, 30 * US_D), min_size=count, max_size=count, unique=True))
    return [base + offset for offset in sorted(offsets)]


class Ids:
    """Order ids and refs, unique inside a stream."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


@st.composite
def order_events(draw, account: str, at: int, zone: str, ids: Ids) -> list[Event]:
    order_id = ids("O")
    placed_at = draw(instants(at, zone))
    channel = draw(st.sampled_from(["MFN", "MFN", "MFN", "AFN"]))
    ship_by = draw(
        st.none() | st.integers(0, 4 * US_D).map(lambda d: placed_at + d) | instants(at, zone, back_days=40)
    )
    deliver_by = draw(
        st.none()
        | st.integers(0, 10 * US_D).map(lambda d: (ship_by or placed_at) + d)
        | instants(at, zone, back_days=40)
    )

    def make(kind: str, ts: int, **fields: Any) -> Event:
        fields.setdefault("order_id", order_id)
        return Event(ts=ts, kind=kind, account=account, **fields)

    events: list[Event] = []
    if draw(st.integers(0, 9)) > 0:  # one order in ten is never placed: its events are orphans
        events.append(
            make("order_placed", placed_at, channel=channel, ship_by=ship_by, deliver_by=deliver_by)
        )

    shipments = []
    for _ in range(draw(st.integers(0, 2))):
        if ship_by is not None and draw(st.booleans()):
            ts = ship_by + draw(st.sampled_from(DELTAS))
        else:
            ts = after(draw, placed_at, 5)
        shipments.append(ts)
        # None: tracking unknown (getOrders), left to the other shipments for Valid Tracking
        events.append(make("order_shipped", ts, tracking=draw(st.sampled_from(["", "1Z1", "1Z2", None]))))
    if draw(st.integers(0, 3)) > 0:
        if deliver_by is not None and draw(st.booleans()):
            ts = deliver_by + draw(st.sampled_from(DELTAS))
        else:
            ts = after(draw, min(shipments, default=placed_at), 4)
        events.append(make("order_delivered", ts))
    if draw(st.integers(0, 3)) == 0:
        if shipments and draw(st.booleans()):
            ts = min(shipments) + draw(st.sampled_from([-1, 0, 1]))
        else:
            ts = after(draw, placed_at, 3)
        events.append(
            make("order_cancelled", ts, by=draw(st.sampled_from(["seller", "marketplace", "buyer"])))
        )
    if draw(st.integers(0, 4)) == 0:
        events.append(make("refund", after(draw, placed_at), amount="9.99"))
    feedback = distinct_after(draw, placed_at, draw(st.integers(0, 2)))
    for ts in feedback:
        events.append(make("feedback", ts, rating=draw(st.integers(1, 5))))
    if feedback and draw(st.integers(0, 2)) == 0:
        anchor = draw(st.sampled_from(feedback))
        events.append(make("feedback_removed", anchor + draw(st.sampled_from([-1, 0, 1, US_D]))))
    if draw(st.integers(0, 3)) == 0:
        ref = ids("AZ")
        opened = draw(instants(at, zone, back_days=40)) if draw(st.booleans()) else after(draw, placed_at, 40)
        events.append(make("claim_opened", opened, ref=ref))
        if draw(st.booleans()):
            events.append(make("claim_responded", after(draw, opened, 4), ref=ref, order_id=""))
        for ts in distinct_after(draw, opened, draw(st.integers(0, 2))):
            outcome = draw(st.sampled_from(["granted", "denied", "withdrawn"]))
            events.append(make("claim_closed", ts, ref=ref, outcome=outcome, order_id=""))
    if draw(st.integers(0, 4)) == 0:
        ref = ids("CB")
        opened = after(draw, placed_at, 40)
        events.append(make("chargeback_opened", opened, ref=ref))
        for ts in distinct_after(draw, opened, draw(st.integers(0, 2))):
            outcome = draw(st.sampled_from(["reversed", "upheld"]))
            events.append(make("chargeback_closed", ts, ref=ref, outcome=outcome, order_id=""))
    if draw(st.integers(0, 3)) == 0:
        ref = ids("R")
        requested = draw(instants(at, zone, back_days=70))
        events.append(make("return_requested", requested, ref=ref))
        if draw(st.booleans()):
            outcome = draw(st.sampled_from(["authorized", "refunded", "closed", "rejected"]))
            events.append(
                make(
                    "return_responded",
                    after(draw, requested, 4, RESPOND),
                    ref=ref,
                    outcome=outcome,
                    order_id="",
                )
            )
        for ts in distinct_after(draw, requested, draw(st.integers(0, 2))):
            events.append(make("return_feedback", ts, ref=ref, rating=draw(st.integers(1, 5)), order_id=""))
        if draw(st.integers(0, 3)) == 0:
            events.append(make("return_invalid_rejection", after(draw, requested), ref=ref, order_id=""))
    return events


@st.composite
def message_events(draw, account: str, at: int, zone: str, ids: Ids, order_ids: list[str]) -> list[Event]:
    ref = ids("M")
    received = draw(instants(at, zone, back_days=40))
    order_id = draw(st.sampled_from(["", "GHOST", *order_ids]))  # messages need no (existing) order
    events = [Event(ts=received, kind="message_received", account=account, ref=ref, order_id=order_id)]
    for _ in range(draw(st.integers(0, 2))):
        events.append(
            Event(ts=after(draw, received, 3, REPLY), kind="message_replied", account=account, ref=ref)
        )
    if draw(st.integers(0, 3)) == 0:
        events.append(Event(ts=after(draw, received, 3), kind="message_dismissed", account=account, ref=ref))
    if draw(st.integers(0, 3)) == 0:
        events.append(
            Event(ts=after(draw, received, 3), kind="cs_survey", account=account, ref=ref, outcome="yes")
        )
    return events


@st.composite
def violation_events(draw, account: str, at: int, zone: str, ids: Ids) -> list[Event]:
    ref = ids("V")
    day = local_day(at, zone) - draw(st.sampled_from([0, 10, 178, 179, 180, 181]) | st.integers(0, 185))
    ts = midnight(day, zone) + draw(st.sampled_from(DELTAS) | st.integers(0, US_D - 1))
    events = [Event(ts=ts, kind="violation", account=account, ref=ref, severity="high")]
    if draw(st.booleans()):
        events.append(Event(ts=after(draw, ts), kind="violation_resolved", account=account, ref=ref))
    return events


def ghost_events(account: str, at: int) -> list[Event]:
    """Follow-ups whose parent never arrives: they must change nothing."""
    ts = at - 2 * US_D
    return [
        Event(ts=ts, kind="claim_closed", account=account, ref="AZ-GHOST", outcome="granted"),
        Event(ts=ts, kind="claim_responded", account=account, ref="AZ-GHOST"),
        Event(ts=ts, kind="chargeback_closed", account=account, ref="CB-GHOST", outcome="upheld"),
        Event(ts=ts, kind="message_replied", account=account, ref="M-GHOST"),
        Event(ts=ts, kind="message_dismissed", account=account, ref="M-GHOST"),
        Event(ts=ts, kind="return_responded", account=account, ref="R-GHOST", outcome="rejected"),
        Event(ts=ts, kind="return_feedback", account=account, ref="R-GHOST", rating=1),
        Event(ts=ts, kind="return_invalid_rejection", account=account, ref="R-GHOST"),
        Event(ts=ts, kind="violation_resolved", account=account, ref="V-GHOST"),
        Event(ts=ts, kind="feedback", account=account, order_id="O-GHOST", rating=1),
        Event(ts=ts, kind="claim_opened", account=account, order_id="O-GHOST", ref="AZ-G2"),
        Event(ts=ts, kind="return_requested", account=account, order_id="O-GHOST", ref="R-G2"),
    ]


@st.composite
def streams(draw) -> dict[str, Any]:
    """Events of 1-3 accounts around a random ``at``, with ids, duplicates and reused ids, shuffled."""
    at = draw(st.sampled_from(AT_ANCHORS)) + draw(
        st.sampled_from([0, 1, -1, US_H, -US_H]) | st.integers(-2 * US_D, 2 * US_D)
    )
    default_zone = draw(st.sampled_from(["UTC", "Europe/Berlin", "America/Los_Angeles"]))
    names = draw(st.lists(st.sampled_from(sorted(ZONES)), min_size=1, max_size=3, unique=True))
    # Some accounts get their own zone, the others use the default one.
    account_timezones = {name: ZONES[name] for name in names if draw(st.booleans())}
    ids = Ids()
    events: list[Event] = []
    for name in names:
        zone = account_timezones.get(name, default_zone)
        orders: list[Event] = []
        for _ in range(draw(st.integers(0, 12))):
            orders += draw(order_events(name, at, zone, ids))
        events += orders
        order_ids = sorted({e.order_id for e in orders})
        for _ in range(draw(st.integers(0, 4))):
            events += draw(message_events(name, at, zone, ids, order_ids))
        for _ in range(draw(st.integers(0, 3))):
            events += draw(violation_events(name, at, zone, ids))
        if draw(st.booleans()):
            events += ghost_events(name, at)
    # event ids on about half the events
    events = [replace(e, event_id=f"e{i}") if draw(st.booleans()) else e for i, e in enumerate(events)]
    if events:
        indexes = st.integers(0, len(events) - 1)
        # exact duplicate rows (with or without event_id)
        events += [replace(events[i]) for i in draw(st.lists(indexes, max_size=8))]
        # a reused event id on a different event: the one seen first wins
        for i, j in draw(st.lists(st.tuples(indexes, indexes), max_size=2)):
            if events[i].event_id and i != j:
                events[j] = replace(events[j], event_id=events[i].event_id)
    return {
        "at": at,
        "timezone": default_zone,
        "account_timezones": account_timezones,
        "events": draw(st.permutations(events)),
    }


# ----------------------------------------------------------------------------------------- comparison

METRIC_FIELDS = ("numerator", "denominator", "status", "headroom", "window")
QUEUE_FIELDS = ("count", "overdue", "due_soon")


def differences(engine: dict[str, Any], reference: dict[str, Any]) -> list[str]:
    """Where the engine's accounts differ from the reference's (values within 1e-12, the rest exact)."""
    out: list[str] = []
    if sorted(engine) != sorted(reference):
        return [f"accounts: engine {sorted(engine)}, reference {sorted(reference)}"]
    for account, want in reference.items():
        got = engine[account]
        for metric, expected in want["metrics"].items():
            actual = got["metrics"].get(metric)
            if actual is None:
                out.append(f"{account}/{metric}: missing")
                continue
            for name in METRIC_FIELDS:
                if actual[name] != expected[name]:
                    out.append(
                        f"{account}/{metric}.{name}: engine {actual[name]!r}, reference {expected[name]!r}"
                    )
            a, b = actual["value"], expected["value"]
            if (a is None) != (b is None) or (a is not None and abs(a - b) > 1e-12):
                out.append(f"{account}/{metric}.value: engine {a!r}, reference {b!r}")
        for queue, expected in want["queues"].items():
            actual = got["queues"].get(queue)
            if actual is None:
                out.append(f"{account}/queue {queue}: missing")
                continue
            for name in QUEUE_FIELDS:
                if actual[name] != expected[name]:
                    out.append(
                        f"{account}/{queue}.{name}: engine {actual[name]!r}, reference {expected[name]!r}"
                    )
    return out


def compare(engine: Engine, fed: list[Event], case: dict[str, Any], at: int) -> None:
    got = engine.snapshot(at).to_json()["accounts"]
    want = reference_report(
        fed, at, case["timezone"], case["account_timezones"], PROFILE, accounts=engine.accounts
    )
    problems = differences(got, want)
    assert not problems, "\n".join(problems[:20])


# ----------------------------------------------------------------------------------------------- tests


@pytest.mark.slow
@SETTINGS
@given(streams())
def test_engine_equals_reference_at_a_random_instant(case: dict[str, Any]) -> None:
    at = case["at"]
    fed = [e for e in case["events"] if e.ts <= at]  # already shuffled
    engine = Engine(profile=PROFILE, timezone=case["timezone"], account_timezones=case["account_timezones"])
    engine.ingest(fed)
    # A snapshot is a pure function of the state and `at`: asking about a later instant first (nothing
    # new arrived; deadlines pass, pending items become late) must not change the answer for `at`.
    compare(engine, fed, case, at + 50 * US_H)
    compare(engine, fed, case, at)


@pytest.mark.slow
@SETTINGS
@given(
    streams(), st.lists(st.integers(0, 20 * US_D), min_size=1, max_size=4), st.randoms(use_true_random=False)
)
def test_engine_equals_reference_when_fed_in_chunks(case: dict[str, Any], steps: list[int], rnd) -> None:
    # Snapshots at increasing instants ending at `at`; each chunk holds the events up to that instant
    # (ordered by ts between chunks, shuffled inside one).
    instants_ = sorted({case["at"] - step for step in steps})
    by_ts = sorted((e for e in case["events"] if e.ts <= case["at"]), key=lambda e: e.ts)
    engine = Engine(profile=PROFILE, timezone=case["timezone"], account_timezones=case["account_timezones"])
    fed: list[Event] = []
    start = 0
    for at in instants_:
        end = start
        while end < len(by_ts) and by_ts[end].ts <= at:
            end += 1
        chunk = by_ts[start:end]
        rnd.shuffle(chunk)
        engine.ingest(chunk)
        fed += chunk
        start = end
        compare(engine, fed, case, at)


def test_the_comparison_can_fail() -> None:
    # A check that cannot fail proves nothing: a numerator, a float value and a queue count that differ.
    base = {
        "metrics": {
            "odr": {
                "value": 0.5,
                "numerator": 1,
                "denominator": 2,
                "status": "breach",
                "headroom": 0,
                "window": {"from": "2026-01-01", "to": "2026-03-01"},
            }
        },
        "queues": {"orders_to_ship": {"count": 1, "overdue": 0, "due_soon": 1}},
    }
    assert differences({"a": base}, {"a": base}) == []
    other = {
        "metrics": {"odr": {**base["metrics"]["odr"], "numerator": 2, "value": 0.5 + 1e-9}},
        "queues": {"orders_to_ship": {"count": 2, "overdue": 0, "due_soon": 1}},
    }
    assert differences({"a": other}, {"a": base}) == [
        "a/odr.numerator: engine 2, reference 1",
        f"a/odr.value: engine {0.5 + 1e-9!r}, reference 0.5",
        "a/orders_to_ship.count: engine 2, reference 1",
    ]
    assert differences({"b": base}, {"a": base}) == ["accounts: engine ['b'], reference ['a']"]


@pytest.mark.slow
@SETTINGS
@given(streams(), st.lists(st.integers(0, 3 * US_D), min_size=1, max_size=4))
def test_engine_equals_reference_with_late_arrivals(case: dict[str, Any], gaps: list[int]) -> None:
    # The shuffled stream in chunks: a chunk may hold events far older than the previous snapshot
    # (late arrivals, retractions). After each chunk a snapshot at or after everything fed so far.
    events = [e for e in case["events"] if e.ts <= case["at"]]
    size = -(-len(events) // len(gaps)) or 1
    engine = Engine(profile=PROFILE, timezone=case["timezone"], account_timezones=case["account_timezones"])
    fed: list[Event] = []
    at = min((e.ts for e in events), default=case["at"])
    for index, gap in enumerate(gaps):
        chunk = events[index * size : (index + 1) * size]
        engine.ingest(chunk)
        fed += chunk
        at = max([at, *(e.ts for e in chunk)]) + gap
        compare(engine, fed, case, at)


@st.composite
def profiles(draw):
    """The amazon profile with random windows, lags, targets, thresholds and queue deadlines.

    ``perfect_order_rate`` keeps its 90 days so the state the engine retains still covers every stream.
    """
    metrics: dict[str, dict[str, Any]] = {}
    for metric_id, spec in PROFILE.metrics.items():
        if metric_id == "perfect_order_rate" or spec.rule not in RULES or not draw(st.booleans()):
            continue
        values: dict[str, Any] = {}
        if spec.rule != "policy_violations":
            values["window_days"] = draw(st.integers(1, 60))
            values["lag_days"] = draw(st.integers(0, 20))
        if spec.target is not None and spec.rule != "policy_violations":
            target = draw(st.sampled_from(["0.05", "0.1", "0.25", "0.3", "0.5", "0.7", "0.9"]))
            values["target"] = target
            values["warn"] = draw(st.sampled_from([target, "0.2", "0.6"]))
        if spec.threshold_hours is not None:
            values["threshold_hours"] = draw(st.integers(1, 72))
        metrics[metric_id] = values
    queues = {
        queue_id: {"deadline_hours": draw(st.integers(1, 72))}
        for queue_id, spec in PROFILE.queues.items()
        if spec.deadline_hours is not None and draw(st.booleans())
    }
    overrides = {"metrics": metrics, "queues": queues, "due_soon_hours": draw(st.integers(1, 30))}
    return PROFILE.with_overrides(overrides)


@pytest.mark.slow
@settings(SETTINGS, max_examples=max(1, EXAMPLES // 2))
@given(streams(), profiles())
def test_engine_equals_reference_with_other_profile_values(case: dict[str, Any], profile) -> None:
    # Nothing is a constant in code: windows, lags, targets, warn levels, thresholds, deadlines and the
    # due-soon horizon all come from the profile.
    at = case["at"]
    fed = [e for e in case["events"] if e.ts <= at]
    engine = Engine(profile=profile, timezone=case["timezone"], account_timezones=case["account_timezones"])
    engine.ingest(fed)
    got = engine.snapshot(at).to_json()["accounts"]
    want = reference_report(
        fed, at, case["timezone"], case["account_timezones"], profile, accounts=engine.accounts
    )
    problems = differences(got, want)
    assert not problems, "\n".join(problems[:20])
