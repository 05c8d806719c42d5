"""The Walmart and eBay profiles carry their marketplaces' values, and the profile language's new keys
(periods, allowed_count, reasons, the ladder) are checked and overridable from the config."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sellerpulse.core.config import ConfigError, load_config
from sellerpulse.core.profile import ProfileError, builtin_profile, profile_from_mapping


def test_walmart_profile_carries_the_us_standards() -> None:
    p = builtin_profile("walmart")
    assert p.marketplace == "Walmart"
    got = {mid: (m.rule, m.window_days, m.direction, m.target) for mid, m in p.metrics.items()}
    assert got == {
        "cancel_rate": ("seller_cancel", 30, "at_most", Decimal("0.02")),
        "otd": ("on_time_delivery", 30, "above", Decimal("0.90")),
        "vtr": ("valid_tracking", 30, "above", Decimal("0.99")),
        "refund_rate": ("refund", 30, "at_most", Decimal("0.06")),
        "response_rate": ("contact_response", 30, "above", Decimal("0.95")),
        "negative_feedback_rate": ("negative_feedback", 60, "at_most", Decimal("0.02")),
    }
    assert p.metrics["response_rate"].threshold_hours == 48
    assert "damaged" in (p.metrics["refund_rate"].reasons or ())
    assert p.ladder == ()


def test_ebay_profile_carries_the_period_and_the_ladder() -> None:
    p = builtin_profile("ebay")
    period = p.metrics["tdr"].period
    assert period is not None and (period.short_days, period.long_days, period.min_orders) == (90, 365, 400)
    assert p.metrics["tdr"].window_days == 365  # the longest, for how long orders are kept
    assert [level.name for level in p.ladder] == ["Top Rated", "Above Standard", "Below Standard"]
    top = {t.metric: (t.target, t.allowed_count) for t in p.ladder[0].thresholds}
    assert top == {
        "tdr": (Decimal("0.005"), 3),
        "cases_closed": (Decimal("0.003"), 2),
        "late_shipment_rate": (Decimal("0.03"), 5),
    }
    # the metric's own target is the minimum standard: Above Standard's
    above = {t.metric: (t.target, t.allowed_count) for t in p.ladder[1].thresholds}
    assert above["tdr"] == (p.metrics["tdr"].target, p.metrics["tdr"].allowed_count)
    assert p.ladder[-1].thresholds == ()


def test_overrides_reach_periods_metrics_and_levels() -> None:
    p = builtin_profile("ebay").with_overrides({
        "periods": {"evaluation": {"min_orders": 300, "long_days": 180}},
        "ladder": {"top_rated": {"metrics": {"tdr": {"allowed_count": 2}}}},
        "metrics": {"late_shipment_rate": {"direction": "at_most", "target": "0.07", "allowed_count": 7}},
    })  # fmt: skip
    assert p.metrics["tdr"].period is not None and p.metrics["tdr"].period.min_orders == 300
    assert p.metrics["cases_closed"].window_days == 180  # every metric of the period follows it
    assert p.metrics["late_shipment_rate"].period is not None  # an override keeps the period
    assert {t.metric: t.allowed_count for t in p.ladder[0].thresholds}["tdr"] == 2
    assert p.ladder[0].thresholds[0].target == Decimal("0.005")  # untouched values stay
    assert p.metrics["late_shipment_rate"].target == Decimal("0.07")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"periods": {"evaluation": {"long_days": 30}}}, "long_days must be at least short_days"),
        ({"metrics": {"tdr": {"period": "quarter"}}}, "unknown period 'quarter'"),
        ({"metrics": {"tdr": {"window_days": 30}}}, "takes its window from it"),
        ({"metrics": {"tdr": {"allowed_count": -1}}}, "allowed_count must be a whole number >= 0"),
        ({"metrics": {"late_shipment_rate": {"allowed_count": 3}}}, "allowed_count needs a target"),
        ({"metrics": {"tdr": {"reasons": ["damaged"]}}}, "reasons filter only the rules refund"),
        ({"ladder": {"gold": {"name": "Gold"}}}, "unknown ladder level 'gold'"),
        ({"ladder": {"top_rated": {"metrics": {"odr": {"target": "0.01"}}}}}, "unknown metric 'odr'"),
        ({"ladder": {"top_rated": {"metrics": {"tdr": {"target": None}}}}}, "a threshold needs a target"),
        (
            {"ladder": {"below_standard": {"metrics": {"tdr": {"target": "0.1"}}}}},
            "the last level is the floor",
        ),
    ],
)
def test_bad_overrides_say_what_and_where(overrides: dict, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        builtin_profile("ebay").with_overrides(overrides)


def test_refund_reasons_must_be_words_and_match_whatever_their_case() -> None:
    p = builtin_profile("walmart").with_overrides(
        {"metrics": {"refund_rate": {"reasons": ["Damaged", "damaged"]}}}
    )
    assert p.metrics["refund_rate"].reasons == ("damaged",)
    for bad in ([], "damaged", [" damaged"], [3]):
        with pytest.raises(ProfileError, match="reasons must be a non-empty list"):
            builtin_profile("walmart").with_overrides({"metrics": {"refund_rate": {"reasons": bad}}})


def test_a_ladder_needs_two_levels() -> None:
    with pytest.raises(ProfileError, match="at least two levels"):
        profile_from_mapping({"name": "x", "ladder": {"only": {"name": "Only"}}})


def test_config_names_an_accounts_profile_and_overrides_it(tmp_path: Path) -> None:
    path = tmp_path / "sellerpulse.toml"
    path.write_text(
        '[accounts.shop-us]\nprofile = "walmart"\n[accounts.shop-eb]\nprofile = "ebay"\n'
        "[profiles.ebay.periods.evaluation]\nmin_orders = 250\n"
        '[profiles.ebay.ladder.above_standard.metrics.tdr]\ntarget = "0.025"\n'
        '[profiles.walmart.metrics.otd]\ntarget = "0.95"\n'
    )
    config = load_config(path)
    walmart, ebay = config.profile_for("shop-us"), config.profile_for("shop-eb")
    assert walmart.metrics["otd"].target == Decimal("0.95")
    assert ebay.metrics["tdr"].period is not None and ebay.metrics["tdr"].period.min_orders == 250
    assert ebay.ladder[1].thresholds[0].target == Decimal("0.025")
    assert config.profile_for("other").name == "amazon"
    path.write_text("[profiles.ebay.periods.evaluation]\nmin_order = 250\n")
    with pytest.raises(ConfigError, match="unknown key 'min_order'"):
        load_config(path)


def test_docs_define_every_metric_and_rule_of_every_profile() -> None:
    from sellerpulse.core.profile import RULES, builtin_profile_names

    doc = (Path(__file__).parent.parent / "docs" / "metrics.md").read_text(encoding="utf-8")
    for name in builtin_profile_names():
        profile = builtin_profile(name)
        assert f"(`{name}`)" in doc, name
        for mid in profile.metrics:
            assert f"`{mid}`" in doc or f"`{mid.rsplit('_', 1)[0]}_" in doc, (name, mid)
    for rule in RULES:
        assert f"| `{rule}` |" in doc, rule
