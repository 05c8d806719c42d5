"""Remedies of the walmart and ebay profiles: one for every metric, read by the plan of action, and the
causes the engine gives their bad outcomes."""

from __future__ import annotations

import pytest
from market_fixtures import AT, ev, orders
from sellerpulse.core.engine import Engine
from sellerpulse.core.poa import causes_of, plan_of_action
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.remedies import ENV_VAR, load_remedies
from sellerpulse.core.timeutil import parse_instant


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.mark.parametrize("name", ["walmart", "ebay"])
def test_every_metric_of_the_profile_has_a_remedy(name: str) -> None:
    remedies = load_remedies(name)
    assert set(remedies) == set(builtin_profile(name).metrics)
    for mid, remedy in remedies.items():
        assert len(remedy.actions) >= 3 and all(a.endswith(".") for a in remedy.actions), mid
        assert remedy.root_causes, mid


def test_an_ebay_plan_of_action_names_the_lost_cases_and_the_cancellations() -> None:
    engine = Engine(profile=builtin_profile("ebay"), seed=3)
    engine.ingest([
        *orders("p", 50, "2026-11-01T10:00:00Z"),
        ev("order_cancelled", "2026-11-01T11:00:00Z", "p0", by="seller"),
        ev("claim_opened", "2026-11-05T10:00:00Z", "p1", ref="C1"),
        ev("claim_closed", "2026-11-09T10:00:00Z", ref="C1", outcome="granted"),
    ])  # fmt: skip
    at = parse_instant(AT)
    items = engine.bad_outcomes("default", "tdr", at)
    assert [(i.order_id, causes_of(i.reason)) for i in items] == [
        ("p0", ["seller_cancel"]),
        ("p1", ["case_lost"]),
    ]
    snapshot = engine.snapshot(at).accounts["default"]
    plan = plan_of_action(snapshot, "tdr", items, load_remedies("ebay")["tdr"], at)
    assert "Cases closed for the buyer" in plan and "Cancelled by the seller" in plan
    assert "Bring transaction defects down" in plan
    assert "check the order list against eBay's own figures" in plan  # its own marketplace, not Amazon's


def test_a_walmart_refund_is_shown_with_its_reason() -> None:
    engine = Engine(profile=builtin_profile("walmart"), seed=3)
    engine.ingest([
        *orders("r", 5, "2026-11-01T10:00:00Z"),
        ev("refund", "2026-11-02T10:00:00Z", "r0", reason="damaged"),
        ev("refund", "2026-11-02T11:00:00Z", "r0", reason="buyer_remorse"),
    ])  # fmt: skip
    (item,) = engine.bad_outcomes("default", "refund_rate", parse_instant(AT))
    # only the reason the metric counts is named
    assert item.reason == "refunded (damaged)" and causes_of(item.reason) == ["refunded"]
