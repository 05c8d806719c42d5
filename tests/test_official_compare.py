"""Amazon's numbers beside ours, hand-worked on the small event file of ``official_fixtures.EVENTS_CSV``:
ours is measured over Amazon's reporting range, not our window, and a difference is explained."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from official_fixtures import EVENTS_CSV, US, counted, dates, odr, report, violations
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.official_compare import Comparison, compare, orders_behind
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.timeutil import parse_instant

AT = parse_instant("2026-09-20T00:00:00Z")


def amazon_report() -> dict:
    """What Amazon says of acme (numbers chosen against the events, worked out in the tests)."""
    otdr = {
        "reportingDateRange": dates("2026-08-01", "2026-08-30"),
        "shipmentCountWithValidTracking": 10,
        "onTimeDeliveryCount": 9,
        "rate": 0.9,
    }
    invoice = {
        "reportingDateRange": dates("2026-09-04", "2026-09-10"),
        "orderCount": 4,
        "invoiceDefect": counted(0),
    }
    item = {
        "marketplaceId": US,
        "orderDefectRate": {
            "mfn": odr(6, 1, 0, 2, "2026-09-01", "2026-09-10"),  # 3 defects of 6 orders
            "afn": odr(1, 0, 0, 0, "2026-09-01", "2026-09-10"),
        },
        "preFulfillmentCancellationRate": {
            "reportingDateRange": dates("2026-09-04", "2026-09-10"),
            "orderCount": 3,
            "cancellationCount": 1,
            "rate": 0.3333,
        },
        "lateShipmentRate": {"reportingDateRange": dates("2026-09-01", "2026-09-10"), "rate": 0},
        "onTimeDeliveryRate": otdr,
        "invoiceDefectRate": invoice,
        "listingPolicyViolations": violations(0),
    }
    return report(item)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_CSV)
    engine = Engine()
    engine.ingest(item for item in read_event_file(path) if isinstance(item, Event))
    return engine


def comparisons(engine: Engine) -> dict:
    parsed = parse_account_health(amazon_report(), "acme")
    assert parsed.rejections == []
    return {c.theirs.key: c for c in compare(engine, parsed.records, AT)}


def test_the_odr_over_amazons_range_differs_and_the_counts_say_where(engine):
    # In 2026-09-01..09-10 we hold MFN orders A2, A3, A4, A7, A5 (A1 is the day before, A6 the day after):
    # 5 orders, 2 defects (A2's claim, A4's 1-star feedback; A1's feedback is outside) = 0.4.
    # Amazon counts 6 orders and 3 defects (1 claim, 2 negative feedback) = 0.5.
    found = comparisons(engine)["odr_mfn"]
    assert found.metric_id == "odr"
    assert (found.ours.numerator, found.ours.denominator, found.ours.value) == (2, 5, 0.4)
    assert found.verdict == "differs"
    assert found.difference == pytest.approx(-0.1)
    assert found.explanation == (
        "orders: Amazon 6, ours 5 (1 fewer here)",
        "defects: Amazon 3, ours 2 (1 fewer here)",
        "A-to-z claims: Amazon 1, ours 1 (the same)",
        "chargebacks: Amazon 0, ours 0 (the same)",
        "negative feedback: Amazon 2, ours 1 (1 fewer here)",
    )


def test_equal_counts_are_the_same_figure_with_nothing_to_explain(engine):
    found = comparisons(engine)
    # PFCR 2026-09-04..09-10: A4, A7 (cancelled by the seller), A5 = 1 of 3; Amazon says the same
    pfcr = found["pfcr"]
    assert (pfcr.metric_id, pfcr.ours.numerator, pfcr.ours.denominator) == ("pfcr", 1, 3)
    assert (pfcr.verdict, pfcr.explanation) == ("same", ())
    assert pfcr.difference == pytest.approx(1 / 3 - 0.3333)
    afn = found["odr_afn"]  # B1 alone, no defect
    assert (afn.metric_id, afn.ours.numerator, afn.ours.denominator, afn.verdict) == ("odr_afn", 0, 1, "same")


def test_a_range_our_events_do_not_reach_is_said_so(engine):
    otdr = comparisons(engine)["otdr"]
    assert otdr.metric_id == "otdr"
    assert (otdr.ours.denominator, otdr.ours.value, otdr.difference, otdr.verdict) == (
        0,
        None,
        None,
        "differs",
    )
    assert otdr.explanation[:3] == (
        "shipments: Amazon 10, ours 0 (10 fewer here)",
        "late deliveries: Amazon 1, ours 0 (1 fewer here)",
        "we hold no shipments in Amazon's range 2026-08-01T00:00:00Z..2026-08-30T23:59:00Z",
    )


def test_a_rate_without_counts_is_compared_and_our_orders_behind_it_are_listed(engine):
    found = comparisons(engine)
    lsr = found["lsr"]
    # ship-by dates in 2026-09-01..09-10: A1 (09-02), A2 (09-03), A3 (09-05), A4 (09-07) not shipped by
    # 2026-09-20 (late); A7 was cancelled before shipping (not counted). The 10-day range picks lsr_10d.
    assert (lsr.metric_id, lsr.ours.numerator, lsr.ours.denominator) == ("lsr_10d", 4, 4)
    assert (lsr.verdict, lsr.difference) == ("differs", 1.0)
    # our earliest ship-by is A1's 2026-09-02; the latest, A6's 09-13, is past the range's end
    assert lsr.explanation == (
        "our orders of this metric begin on 2026-09-02, Amazon's range on 2026-09-01: any before that are "
        "not in our events",
    )
    behind = orders_behind(engine, lsr, AT)
    assert [(b.order_id, b.reason) for b in behind] == [
        (oid, "not shipped; ship-by date passed") for oid in ("A1", "A2", "A3", "A4")
    ]
    assert [b.order_id for b in orders_behind(engine, found["odr_mfn"], AT)] == ["A2", "A4"]


def test_a_metric_we_do_not_compute_is_amazons_only(engine):
    invoice = comparisons(engine)["invoice_defect_rate"]
    assert (invoice.metric_id, invoice.ours, invoice.verdict, invoice.explanation) == (
        None,
        None,
        "amazon only",
        (),
    )


def test_our_days_in_another_time_zone_are_named(tmp_path: Path):
    path = tmp_path / "events.csv"
    path.write_text(EVENTS_CSV)
    engine = Engine(account_timezones={"acme": "America/New_York"})
    engine.ingest(item for item in read_event_file(path) if isinstance(item, Event))
    odr = comparisons(engine)["odr_mfn"]
    # New York days: A1 (2026-08-31T23:00Z) is 08-31 19:00 there, still before the range; A6
    # (2026-09-11T01:00Z) is 09-10 21:00 there, inside it: 6 orders, 2 defects
    assert (odr.ours.numerator, odr.ours.denominator) == (2, 6)
    assert odr.explanation[-1] == (
        "days in America/New_York here, UTC at Amazon: orders near midnight at either end may differ"
    )


def test_an_account_we_do_not_hold_gets_ours_as_unknown(engine):
    parsed = parse_account_health(amazon_report(), "someone-else")
    odr = next(c for c in compare(engine, parsed.records, AT) if c.theirs.key == "odr_mfn")
    assert (odr.ours, odr.verdict) == (None, "differs")
    assert odr.explanation == (
        "we hold no events of account someone-else in Amazon's range 2026-09-01T00:00:00Z..2026-09-10T23:59:00Z",
    )


def test_the_range_measure_over_a_metrics_own_window_is_its_snapshot_value(engine):
    snapshot = engine.snapshot(AT).accounts["acme"]
    for metric in snapshot.metrics.values():
        ranged = engine.range_value("acme", metric.id, metric.window_from, metric.window_to, AT)
        assert (ranged.value, ranged.numerator, ranged.denominator) == (
            metric.value,
            metric.numerator,
            metric.denominator,
        ), metric.id
    assert engine.range_value("acme", "no-such-metric", 0, 1, AT) is None


def test_a_comparison_survives_its_json_form(engine):
    found = list(comparisons(engine).values())
    assert [Comparison.from_json(json.loads(json.dumps(c.to_json()))) for c in found] == found
