"""The mock marketplace's generator: reproducible, valid, believable, and its scenarios do what they promise.

Scenario rates are measured with the real engine over the 90-day backfill: each scenario's metric is
healthy three weeks before the simulated now and in breach at it, while the healthy store stays healthy.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from datetime import date

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, parse_event
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, DayClock, parse_instant
from sellerpulse.plugins.mock.accounts import AccountSpec, account_specs
from sellerpulse.plugins.mock.generator import Marketplace

NOW = parse_instant("2026-11-20T15:00:00Z")
EARLY = NOW - 21 * US_PER_DAY


@functools.cache
def history(seed: int = 7, days: int = 90, accounts: tuple[AccountSpec, ...] | None = None) -> list[Event]:
    """The healthy backfill up to NOW (cached: tests only read it)."""
    market = Marketplace(seed=seed, start=NOW, backfill_days=days, accounts=accounts)
    out = []
    for event in market.events():
        if event.ts > NOW:
            return out
        out.append(event)
    raise AssertionError("the stream is endless")


@functools.cache
def statuses(scenario: str) -> dict[str, dict[str, tuple[float | None, str]]]:
    """``{"early"|"now": {metric: (value, status)}}`` of the largest account, from the real engine."""
    market = Marketplace(seed=11, start=NOW, orders_per_day=150, accounts=account_specs(1), scenario=scenario)
    engine = Engine(account_timezones={spec.name: spec.timezone for spec in market.accounts})
    out: dict[str, dict[str, tuple[float | None, str]]] = {}
    batch: list[Event] = []
    for event in market.events():
        if "early" not in out and event.ts > EARLY:
            engine.ingest(batch)
            batch = []
            out["early"] = _metrics(engine, EARLY)
        if event.ts > NOW:
            break
        batch.append(event)
    engine.ingest(batch)
    out["now"] = _metrics(engine, NOW)
    return out


def _metrics(engine: Engine, at: int) -> dict[str, tuple[float | None, str]]:
    account = engine.snapshot(at).accounts["acme-us"]
    return {mid: (metric.value, metric.status) for mid, metric in account.metrics.items()}


def test_same_seed_same_events_and_another_seed_others():
    first = history(seed=3, days=10)
    again = list(itertools.islice(Marketplace(seed=3, start=NOW, backfill_days=10).events(), len(first) + 1))
    other = history(seed=4, days=10)
    assert again[:-1] == first and again[-1].ts > NOW
    assert first != other
    assert len(first) > 1000


def test_events_are_valid_in_time_order_with_unique_ids_and_known_parents():
    events = history(days=30)
    assert all(a.ts <= b.ts for a, b in itertools.pairwise(events))
    assert len({(e.account, e.event_id) for e in events}) == len(events)
    assert all(parse_event(e.to_json()) == e for e in events)  # each one survives the canonical JSON
    parents = ("_opened", "_received", "_requested", "violation")
    seen_orders: set[tuple[str, str]] = set()
    seen_refs: set[tuple[str, str]] = set()
    for event in events:  # every parent arrives before its children: no orphans
        if event.kind == "order_placed":
            seen_orders.add((event.account, event.order_id))
        elif event.order_id:
            assert (event.account, event.order_id) in seen_orders, event
        if event.kind.endswith(parents):
            seen_refs.add((event.account, event.ref))
        elif event.ref:
            assert (event.account, event.ref) in seen_refs, event
    kinds = Counter(e.kind for e in events)
    assert set(kinds) >= {
        "order_placed", "order_shipped", "order_delivered", "order_cancelled", "refund", "feedback",
        "claim_opened", "claim_responded", "claim_closed", "message_received", "message_replied",
        "message_dismissed", "return_requested", "return_responded", "return_feedback", "cs_survey",
    }  # fmt: skip
    assert {e.by for e in events if e.kind == "order_cancelled"} >= {"buyer", "seller"}


def test_accounts_differ_in_size_channel_mix_and_ids():
    events = history(days=30, accounts=account_specs(3))
    orders = [e for e in events if e.kind == "order_placed"]
    per_account = Counter(e.account for e in orders)
    assert set(per_account) == {"acme-us", "bolt-eu", "cedar-uk"}
    assert per_account["acme-us"] > 1.8 * per_account["bolt-eu"] > per_account["cedar-uk"]
    for spec in account_specs(3):
        mine = [e for e in orders if e.account == spec.name]
        mfn = sum(e.channel == "MFN" for e in mine) / len(mine)
        assert abs(mfn - spec.mfn_share) < 0.05, spec.name
        assert all(e.order_id.startswith(spec.prefix + "-") for e in mine)
    named = history(days=2, accounts=account_specs(names=["north", "nord"]))
    assert {e.account for e in named} == {"north", "nord"}
    assert len({e.order_id.split("-")[0] for e in named if e.kind == "order_placed"}) == 2


def test_daily_weekly_and_hourly_rhythm():
    spec = account_specs(1)[0]
    clock = DayClock(spec.timezone)
    orders = [e for e in history(accounts=(spec,)) if e.kind == "order_placed"]
    hours = Counter((e.ts - clock.start(clock.day(e.ts))) // US_PER_HOUR for e in orders)
    night = sum(hours[h] for h in (2, 3, 4, 5))
    evening = sum(hours[h] for h in (18, 19, 20, 21))
    assert evening > 8 * night
    weekdays = Counter(date.fromordinal(clock.day(e.ts)).weekday() for e in orders)
    assert weekdays[5] < weekdays[6]  # a quiet Saturday, a busy Sunday evening
    assert weekdays[5] < 0.95 * sum(weekdays[d] for d in range(5)) / 5


def test_promises_follow_business_days():
    spec = account_specs(1)[0]
    clock = DayClock(spec.timezone)
    for event in history(accounts=(spec,)):
        if event.kind != "order_placed" or event.channel != "MFN":
            continue
        assert event.ship_by is not None and event.deliver_by is not None
        ship_day = clock.day(event.ship_by)
        assert date.fromordinal(ship_day).weekday() < 5  # ships on a business day
        assert 1 <= ship_day - clock.day(event.ts) <= 4  # 1-2 business days, across a weekend at most
        assert event.deliver_by > event.ship_by + US_PER_DAY // 2


def test_shipping_is_later_after_weekends():
    spec = account_specs(1)[0]
    clock = DayClock(spec.timezone)
    events = history(accounts=(spec,))
    ship_by = {
        e.order_id: (e.ship_by, clock.day(e.ts)) for e in events if e.kind == "order_placed" and e.ship_by
    }
    late = Counter()
    total = Counter()
    for event in events:
        if event.kind == "order_shipped" and event.order_id in ship_by:
            promise, day = ship_by[event.order_id]
            weekend = date.fromordinal(day).weekday() >= 5
            total[weekend] += 1
            late[weekend] += event.ts > promise
    assert late[True] / total[True] > 1.5 * late[False] / total[False]


def test_healthy_store_is_healthy():
    now = statuses("healthy")["now"]
    for metric in ("odr", "odr_recent", "lsr_10d", "lsr_30d", "crt", "pfcr", "vtr", "otdr", "rdr"):
        assert now[metric][1] == "ok", (metric, now[metric])
    assert 0.001 < now["odr"][0] < 0.0075
    assert 0.003 < now["lsr_30d"][0] < 0.025
    assert 0.97 < now["vtr"][0] < 0.995
    assert 0.95 < now["crt"][0] < 0.995


@pytest.mark.parametrize(
    ("scenario", "metric"),
    [("late-shipping", "lsr_10d"), ("feedback-storm", "odr"), ("slow-replies", "crt")],
)
def test_scenario_walks_its_metric_into_breach(scenario, metric):
    early, now = statuses(scenario)["early"], statuses(scenario)["now"]
    assert early[metric][1] == "ok", early[metric]
    assert now[metric][1] == "breach", now[metric]
    for other in ("lsr_10d", "odr", "crt"):  # the others stay where a healthy store has them
        if other != metric and not (scenario == "feedback-storm" and other == "odr_recent"):
            assert now[other][1] in ("ok", "warning"), (other, now[other])
