"""One rule says a metric's target (``core.snapshot.format_target``); the report, the dashboard and the
plan of action only choose how to say it, so their signs and figures cannot drift apart."""

from __future__ import annotations

from datetime import date

from sellerpulse.core.poa import plan_of_action
from sellerpulse.core.snapshot import AccountSnapshot, MetricValue, format_target
from sellerpulse.core.timeutil import parse_instant
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


def test_the_dashboard_and_the_plan_of_action_count_the_same_excess():
    """One rule (``core.snapshot.over_target``) says how far past its target a metric is."""
    # METRICS.md: 5 defects of 150 against < 1 %: ceil(1.5) - 1 = 1 allowed, so 4 too many
    odr = metric(value=5 / 150, numerator=5, status="breach", headroom=0, bad_noun="defect")
    # a rate of at most 2 % with an allowed count of 3: 6 of 100 is 4 past the rate, 3 past the count
    day = date(2026, 11, 20).toordinal()
    late = metric(id="lsr", value=0.06, numerator=6, denominator=100, target="0.02", direction="at_most",
                  status="breach", headroom=0, bad_noun="late shipment", allowed_count=3,
                  window_from=day - 29, window_to=day)  # fmt: skip
    assert fmt.headroom(odr) == "over by 4 defects"
    assert fmt.headroom(late) == "over by 3 late shipments"
    at = parse_instant("2026-11-20T12:00:00Z")
    for m, words in ((odr, "4 defects"), (late, "3 late shipments")):
        account = AccountSnapshot("s", "amazon", "UTC", m.window_to, {m.id: m}, {})
        plan = plan_of_action(account, m.id, [], None, at)
        assert f"- Over the target by {words} at today's volume" in plan
