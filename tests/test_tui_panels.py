"""Panels follow each account's profile: grouped by what a metric measures (its rule), not by its id."""

from __future__ import annotations

from sellerpulse.core.profile import builtin_profile
from sellerpulse.tui.panels import panel_layout


def layout(rules: dict[str, str]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(p.metric_id, p.group, p.components) for p in panel_layout(rules)]


def test_amazon_panels_keep_their_groups_order_and_odr_components():
    rules = {mid: spec.rule for mid, spec in builtin_profile("amazon").metrics.items()}
    components = ("negative_feedback_rate", "a_to_z_rate", "chargeback_rate")
    assert layout(rules) == [
        ("odr", "defects", components),
        ("odr_recent", "defects", ()),
        ("odr_afn", "defects", ()),
        ("pfcr", "shipping", ()),
        ("lsr_10d", "shipping", ()),
        ("lsr_30d", "shipping", ()),
        ("vtr", "shipping", ()),
        ("otdr", "shipping", ()),
        ("crt", "service", ()),
        ("avg_response_hours", "service", ()),
        ("rdr", "service", ()),
        ("feedback_score_30d", "feedback", ()),
        ("feedback_score_90d", "feedback", ()),
        ("feedback_score_365d", "feedback", ()),
        ("feedback_score_lifetime", "feedback", ()),
        ("refund_rate", "other", ()),
        ("perfect_order_rate", "other", ()),
        ("policy_violations", "other", ()),
    ]


def test_another_marketplaces_metrics_land_in_the_group_of_what_they_measure():
    # ids no Amazon group knows, in the profile's own order
    walmart = {
        "refunds": "refund",
        "response": "contact_response",
        "cancellations": "seller_cancel",
        "delivery": "on_time_delivery",
        "tracking": "valid_tracking",
    }
    assert layout(walmart) == [
        ("cancellations", "shipping", ()),
        ("delivery", "shipping", ()),
        ("tracking", "shipping", ()),
        ("response", "service", ()),
        ("refunds", "other", ()),
    ]
    ebay = {"late": "late_shipment", "cases": "case_lost", "tdr": "transaction_defect"}
    assert layout(ebay) == [("cases", "defects", ()), ("tdr", "defects", ()), ("late", "shipping", ())]


def test_defect_parts_are_panels_of_their_own_without_a_defect_rate_and_unknown_rules_go_last():
    rules = {"mystery": "made_up", "claims": "claim", "late": "late_shipment"}
    assert layout(rules) == [("claims", "defects", ()), ("late", "shipping", ()), ("mystery", "other", ())]
