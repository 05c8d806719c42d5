"""One rule says a metric's target (``core.snapshot.format_target``); the report, the dashboard and the
plan of action only choose how to say it, so their signs and figures cannot drift apart."""

from __future__ import annotations

from sellerpulse.core.snapshot import MetricValue, format_target
from sellerpulse.tui import format as fmt
from sellerpulse.tui.commands.report_table import target_text


def metric(**kw) -> MetricValue:
    base = dict(id="odr", name="Order Defect Rate", value=0.0, numerator=0, denominator=150, target="0.01",
                warn=None, direction="below", status="ok", headroom=1, window_from=739500, window_to=739559)  # fmt: skip
    base.update(kw)
    return MetricValue(**base)


ODR = metric()  # METRICS.md: ODR below 1 %
VTR = metric(id="vtr", direction="above", target="0.95")  # valid tracking at least 95 %
LATE = metric(id="late_delivery", direction="below", target="0.035")  # a rate with a fraction of a percent
VIOLATIONS = metric(id="policy_violations", direction="at_most", target="0", unit="count")
FEEDBACK = metric(id="feedback_score_30d", target=None, direction=None)


def test_the_dashboard_says_the_target_with_signs_and_two_decimals():
    assert fmt.target(ODR) == "< 1.00 %"
    assert fmt.target(VTR) == "≥ 95.00 %"
    assert fmt.target(LATE) == "< 3.50 %"
    assert fmt.target(VIOLATIONS) == "≤ 0"
    assert fmt.target(VTR, ascii_only=True) == ">= 95.00 %"
    assert fmt.target(VIOLATIONS, ascii_only=True) == "<= 0"
    assert fmt.target(FEEDBACK) == "no target"


def test_the_report_says_it_in_ascii_without_trailing_zeros():
    assert [target_text(m) for m in (ODR, VTR, LATE, VIOLATIONS)] == ["< 1 %", ">= 95 %", "< 3.5 %", "<= 0"]
    assert target_text(FEEDBACK) == ""


def test_the_plan_of_action_says_it_in_words():
    assert format_target(ODR, words=True) == "below 1.00 %"
    assert format_target(VTR, words=True) == "at least 95.00 %"
    assert format_target(VIOLATIONS, words=True) == "at most 0"
    assert format_target(FEEDBACK, words=True) == ""


def test_a_target_is_read_exactly_not_through_a_float():
    # 0.07 * 100 as a float is 7.000000000000001; the profile's decimal text is exact
    assert format_target(metric(target="0.07"), exact=False) == "< 7 %"
    assert format_target(metric(target="0.0725")) == "< 7.25 %"
