"""Default alert rules per profile: accounts of several marketplaces on one config each get the rules of
their own profile's metrics, judged on a real engine, and no rule asks an account for a metric its
marketplace does not have."""

from __future__ import annotations

import pytest
from mixed_fixtures import AMAZON, EBAY, WALMART, mixed_engine
from mixed_fixtures import AT as MIXED_AT
from sellerpulse.core.alerts import RuleError, default_rules, parse_rules
from sellerpulse.core.alerts.setup import rules_from_config
from sellerpulse.core.config import load_config
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.profile import builtin_profile, profile_from_mapping
from sellerpulse.core.timeutil import US_PER_HOUR, parse_instant

AT = parse_instant("2026-11-20T12:00:00Z")
# a marketplace of our own making: one rate, seller cancellations below 2 % over 7 days
SHOPMART = profile_from_mapping({
    "name": "shopmart",
    "metrics": {
        "cancellations": {
            "name": "Cancellation rate", "rule": "seller_cancel", "window_days": 7, "direction": "below",
            "target": "0.02", "warn": "0.015", "bad_noun": "cancellation",
        }
    },
    "queues": {"orders_to_ship": {"name": "Orders to ship"}},
})  # fmt: skip


def orders(account: str, count: int, cancelled: int) -> list[Event]:
    """``count`` seller-fulfilled orders placed a day before ``AT``, the first ``cancelled`` cancelled by
    the seller and the rest shipped on time."""
    placed = AT - 24 * US_PER_HOUR
    events = []
    for n in range(count):
        order_id = f"{account}-{n}"
        events.append(Event(ts=placed, kind="order_placed", account=account, order_id=order_id, channel="MFN",
                            ship_by=placed + 20 * US_PER_HOUR, deliver_by=placed + 96 * US_PER_HOUR))  # fmt: skip
        after = placed + US_PER_HOUR
        if n < cancelled:
            events.append(
                Event(ts=after, kind="order_cancelled", account=account, order_id=order_id, by="seller")
            )
        else:
            events.append(
                Event(ts=after, kind="order_shipped", account=account, order_id=order_id, tracking="1Z1")
            )
    return events


def test_one_profile_keeps_its_rules_unscoped_and_named_as_before():
    amazon = builtin_profile("amazon")
    alone = {rule.name: rule for rule in default_rules(amazon)}
    assert alone["odr-breach"].profiles is None and alone["odr-breach"].accounts is None
    assert default_rules(amazon, amazon) == default_rules(amazon)  # the same profile twice is one


def test_each_metric_rule_names_the_profiles_that_have_the_metric_with_a_target():
    amazon, walmart = builtin_profile("amazon"), builtin_profile("walmart")
    rules = {rule.name: rule for rule in default_rules(amazon, SHOPMART, walmart)}
    assert rules["odr-breach"].profiles == ("amazon",)
    assert rules["cancellations-breach"].profiles == ("shopmart",)
    assert rules["cancellations-warning"].condition.level == "warning"
    assert rules["vtr-breach"].profiles == ("amazon", "walmart")  # one id, one rule, each its own target
    # Amazon's refund rate has no target, Walmart's has: the rule exists, for Walmart's accounts
    assert rules["refund_rate-breach"].profiles == ("walmart",)
    assert rules["orders-ship-within-2h"].profiles == ("amazon", "shopmart", "walmart")
    assert rules["claim-unanswered-36h"].profiles == ("amazon",)  # Walmart and shopmart have no claims queue
    for shared in ("queue-overdue", "source-failing", "source-silent", "source-rejects"):
        assert rules[shared].profiles is None


def test_a_mixed_engine_is_judged_account_by_account_by_its_own_rules():
    engine = Engine(account_profiles={"wm-shop": SHOPMART})
    engine.ingest(orders("acme", 30, 0) + orders("wm-shop", 30, 3))  # 10 % cancelled: a breach
    snapshot = engine.snapshot(AT)
    seen = {}
    for rule in default_rules(builtin_profile("amazon"), SHOPMART):
        for observation in rule.observe(snapshot, {}, AT, lambda labels: False):
            assert observation.error is None, observation  # no account asked for a metric it lacks
            seen[(rule.name, observation.labels.get("account"))] = observation.active
    assert seen[("cancellations-breach", "wm-shop")] is True
    assert seen[("pfcr-breach", "acme")] is False
    assert ("cancellations-breach", "acme") not in seen
    assert not any(account == "wm-shop" for name, account in seen if name.startswith(("odr", "pfcr", "lsr")))
    assert not any(account == "wm-shop" for name, account in seen if name.startswith(("claim", "message")))


def test_a_config_whose_accounts_name_other_profiles_gets_their_defaults(tmp_path):
    path = tmp_path / "sellerpulse.toml"
    path.write_text('[accounts.acme]\n[accounts.wm-shop]\nprofile = "shopmart"\n')
    rules = {rule.name for rule in rules_from_config(load_config(path), {"shopmart": SHOPMART})}
    assert {"odr-breach", "cancellations-breach"} <= rules


def test_a_rule_can_name_the_profiles_it_judges():
    (rule,) = parse_rules(
        [{"name": "c", "metric": "cancellations", "status": "breach", "profiles": ["shopmart"]}]
    )
    assert rule.profiles == ("shopmart",)
    with pytest.raises(RuleError, match="alert rule 'c' \\(#1\\): key 'profiles': expected a list of names"):
        parse_rules([{"name": "c", "metric": "cancellations", "status": "breach", "profiles": []}])


def test_the_mixed_demo_stores_raise_their_own_marketplaces_breaches_and_no_errors():
    snapshot = mixed_engine("unresolved-cases").snapshot(MIXED_AT)
    profiles = [builtin_profile(name) for name in ("amazon", "walmart", "ebay")]
    active = set()
    for rule in default_rules(*profiles):
        for observation in rule.observe(snapshot, {}, MIXED_AT, lambda labels: False):
            assert observation.error is None, observation
            if observation.active:
                active.add((rule.name, observation.labels.get("account")))
    assert ("cases_closed-breach", EBAY) in active  # eBay's cases closed for the buyer
    assert ("odr_recent-breach", AMAZON) in active  # the same cases are A-to-z claims on Amazon
    assert not any(account == WALMART for _, account in active)  # Walmart's store has no cases: healthy
