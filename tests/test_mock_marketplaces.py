"""The mock marketplace's stores per marketplace (each judged by its own profile) and the scenarios that
trip Walmart's and eBay's rules: seller cancellations and buyer cases left to the marketplace."""

from __future__ import annotations

import functools
from collections import Counter

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.options import OptionError, validate_options
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.timeutil import US_PER_DAY, parse_instant
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace
from sellerpulse.plugins.mock.scenarios import RAMP_DAYS
from sellerpulse.plugins.mock.source import MockSource

NOW = parse_instant("2026-11-20T15:00:00Z")
DAYS = 45


@functools.cache
def history(scenario: str, marketplace: str = "walmart") -> tuple[Event, ...]:
    market = Marketplace(
        seed=5, start=NOW, orders_per_day=150, backfill_days=DAYS, scenario=scenario,
        accounts=account_specs(1, marketplace=marketplace),
    )  # fmt: skip
    out = []
    for event in market.events():
        if event.ts > NOW:
            return tuple(out)
        out.append(event)
    raise AssertionError("the stream is endless")


def test_each_marketplace_has_its_own_stores_judged_by_its_profile():
    for marketplace in ("amazon", "walmart", "ebay"):
        specs = account_specs(3, marketplace=marketplace)
        assert {spec.profile for spec in specs} == {marketplace}
    assert account_specs(2)[0].name == "acme-us"  # the default stays Amazon's
    mixed = account_specs(4, marketplace="mixed")
    assert [spec.profile for spec in mixed] == ["amazon", "walmart", "ebay", "amazon"]
    assert len({spec.name for spec in mixed}) == len({spec.prefix for spec in mixed}) == 4
    named = account_specs(names=["a-shop", "w-shop", "e-shop"], marketplace="mixed")
    assert [(s.name, s.profile) for s in named] == [
        ("a-shop", "amazon"),
        ("w-shop", "walmart"),
        ("e-shop", "ebay"),
    ]
    many = account_specs(8, marketplace="ebay")
    assert {spec.profile for spec in many} == {"ebay"} and many[-1].name == "store-8"
    with pytest.raises(ValueError, match="unknown marketplace 'etsy'"):
        account_specs(2, marketplace="etsy")


def test_the_source_says_which_profile_judges_each_account():
    def source(**options: object) -> MockSource:
        return MockSource("mock", validate_options(MockSource.options, options, "test"))

    assert source(accounts=3, marketplace="mixed").profiles == {
        "acme-us": "amazon",
        "grove-wm": "walmart",
        "juniper-eb": "ebay",
    }
    assert set(source(marketplace="ebay").profiles.values()) == {"ebay"}
    assert source().profiles == {"acme-us": "amazon", "bolt-eu": "amazon"}
    with pytest.raises(OptionError, match="not one of amazon, walmart, ebay, mixed"):
        source(marketplace="etsy")


def seller_cancel_share(events: tuple[Event, ...], since: int, until: int) -> float:
    """Share of the seller-fulfilled orders placed in [since, until) that the seller cancelled."""
    placed = {
        e.order_id
        for e in events
        if e.kind == "order_placed" and e.channel == "MFN" and since <= e.ts < until
    }
    cancelled = {e.order_id for e in events if e.kind == "order_cancelled" and e.by == "seller"} & placed
    return len(cancelled) / len(placed)


def test_seller_cancels_grows_the_sellers_cancellations_toward_now():
    week, month_ago = NOW - 7 * US_PER_DAY, NOW - 30 * US_PER_DAY
    healthy, pressed = history("healthy"), history("seller-cancels")
    assert seller_cancel_share(healthy, week, NOW) < 0.02
    assert seller_cancel_share(pressed, week, NOW) > 0.12  # Walmart's and eBay's limits are a few %
    # before the ramp the store is as healthy as the healthy one
    assert seller_cancel_share(pressed, month_ago, NOW - RAMP_DAYS * US_PER_DAY) < 0.02


def unresolved_cases(events: tuple[Event, ...], since: int) -> int:
    """Claims closed for the buyer since ``since`` that the seller never answered."""
    answered = {e.ref for e in events if e.kind == "claim_responded"}
    return sum(
        1
        for e in events
        if e.kind == "claim_closed" and e.outcome == "granted" and e.ts >= since and e.ref not in answered
    )


def test_unresolved_cases_leaves_buyer_cases_to_the_marketplace():
    fortnight = NOW - RAMP_DAYS * US_PER_DAY
    healthy, pressed = history("healthy", "ebay"), history("unresolved-cases", "ebay")
    assert unresolved_cases(healthy, fortnight) <= 1
    assert unresolved_cases(pressed, fortnight) >= 10
    closed = Counter(e.outcome for e in pressed if e.kind == "claim_closed" and e.ts >= fortnight)
    assert closed["granted"] > closed["denied"] + closed["withdrawn"]


def test_a_scenario_changes_nothing_long_before_its_ramp():
    early = NOW - (RAMP_DAYS + 20) * US_PER_DAY  # later events of orders placed before it may differ
    pairs = (("seller-cancels", "walmart"), ("unresolved-cases", "ebay"), ("late-deliveries", "walmart"))
    for scenario, marketplace in pairs:
        healthy = [e for e in history("healthy", marketplace) if e.ts < early]
        assert [e for e in history(scenario, marketplace) if e.ts < early] == healthy


@functools.cache
def judged(scenario: str, marketplace: str) -> dict[str, tuple[str, int | None]]:
    """``{metric: (status, numerator)}`` of the marketplace's largest store at NOW, judged by the real
    engine under the store's own profile."""
    (spec,) = account_specs(1, marketplace=marketplace)
    engine = Engine(
        account_timezones={spec.name: spec.timezone},
        account_profiles={spec.name: builtin_profile(spec.profile)},
    )
    engine.ingest(history(scenario, marketplace))
    account = engine.snapshot(NOW).accounts[spec.name]
    assert account.profile == marketplace
    return {mid: (metric.status, metric.numerator) for mid, metric in account.metrics.items()}


@pytest.mark.parametrize("marketplace", ["walmart", "ebay"])
def test_a_healthy_store_meets_its_own_marketplaces_standards(marketplace):
    statuses = judged("healthy", marketplace)
    assert {status for status, _ in statuses.values()} <= {"ok", "info"}, statuses


def test_seller_cancels_breaches_walmarts_cancellation_rate_and_ebays_defect_rate():
    assert judged("seller-cancels", "walmart")["cancel_rate"][0] == "breach"
    assert judged("seller-cancels", "ebay")["tdr"][0] == "breach"
    assert judged("seller-cancels", "ebay")["cases_closed"][0] == "ok"


def test_unresolved_cases_breach_ebays_cases_closed_without_seller_resolution():
    assert judged("unresolved-cases", "ebay")["cases_closed"][0] == "breach"
    assert judged("unresolved-cases", "walmart")["cancel_rate"][0] == "ok"


@pytest.mark.parametrize(
    ("scenario", "metric"),
    [
        ("late-deliveries", "otd"),
        ("slow-replies", "response_rate"),
        ("feedback-storm", "negative_feedback_rate"),
    ],
)
def test_the_other_scenarios_trip_walmarts_own_standards(scenario, metric):
    assert judged("healthy", "walmart")[metric][0] == "ok"
    assert judged(scenario, "walmart")[metric][0] == "breach"


def test_refunds_carry_reasons_and_walmart_counts_only_the_sellers():
    reasons = Counter(e.reason for e in history("healthy") if e.kind == "refund")
    assert reasons["damaged"] and reasons["changed_mind"] and reasons["not_received"] and not reasons[""]
    seller_responsible = set(builtin_profile("walmart").metrics["refund_rate"].reasons or ())
    counted = judged("healthy", "walmart")["refund_rate"][1]
    assert 0 < counted < sum(reasons.values())
    assert seller_responsible & set(reasons) and set(reasons) - seller_responsible
