"""Reading Amazon's Account Health report: a good one, a partial one, and hostile ones (a bad section
costs that section, with its path and reason)."""

from __future__ import annotations

import json

import pytest
from official_fixtures import CA, US, counted, dates, marketplace, rate_section, report
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.official_records import AccountHealth
from sellerpulse.core.timeutil import parse_instant


def parse(document, account="acme-us"):
    return parse_account_health(document, account, source="ah.json")


def only(parsed) -> AccountHealth:
    assert len(parsed.records) == 1, parsed
    return parsed.records[0]


def test_every_section_of_a_good_report_is_read():
    parsed = parse(json.dumps(report(marketplace(US))).encode())
    assert parsed.rejections == []
    record = only(parsed)
    assert (record.account, record.marketplace_id, record.account_status) == ("acme-us", US, "NORMAL")
    odr = record.metric("odr_mfn")
    assert (odr.numerator, odr.denominator, odr.rate, odr.target) == (3, 200, 0.015, 0.01)
    assert odr.components == (("claims", 1), ("chargebacks", 0), ("negativeFeedback", 2))
    assert odr.dates.start == parse_instant("2026-07-15T00:00:00Z")
    assert odr.dates.end == parse_instant("2026-09-12T23:59:00Z")
    assert record.metric("odr_afn").denominator == 50
    lsr = record.metric("lsr")
    assert (lsr.numerator, lsr.denominator, lsr.rate, lsr.target_condition) == (3, 120, 0.025, "LESS_THAN")
    assert (record.metric("pfcr").numerator, record.metric("pfcr").denominator) == (1, 40)
    vtr = record.metric("vtr")  # numerator counts the good ones, as sellerpulse's does for "above"
    assert (vtr.numerator, vtr.denominator, vtr.rate, vtr.target) == (108, 110, 0.9818, 0.95)
    assert (record.metric("otdr").numerator, record.metric("otdr").denominator) == (97, 100)
    invoice = record.metric("invoice_defect_rate")
    assert (invoice.numerator, invoice.rate) == (0, 0.0)
    assert invoice.components == (("missingInvoice", 0), ("lateInvoice", 0))
    assert record.rating == "GOOD"
    assert record.rating_dates.start == parse_instant("2026-03-31T00:00:00Z")
    assert [(v.key, v.count, v.status) for v in record.violations] == [
        ("listingPolicyViolations", 1, "BAD"),
        ("receivedIntellectualPropertyComplaints", 0, "GOOD"),
    ]
    assert record.warnings == (("lateShipment", "GOOD"),)


def test_both_spellings_amazon_uses_are_read():
    item = marketplace(
        CA,
        preFulfillmentCancellationRate=None,
        prefulfillmentCancelRate=rate_section(("orderCount", 8), ("cancellationCount", 2), "2026-09-20", "2026-09-26", 0.025),
        accountHealthRating={"accountHealthRatingStatus": "AT_RISK"},
        warningStates=None,
        warningState=[{"warningType": "spammingSellerMessaging", "status": "BAD"}],
    )  # fmt: skip
    record = only(parse(report(item, statuses={CA: "AT_RISK"})))
    assert (record.metric("pfcr").numerator, record.metric("pfcr").denominator) == (2, 8)
    assert (record.rating, record.rating_dates, record.account_status) == ("AT_RISK", None, "AT_RISK")
    assert record.warnings == (("spammingSellerMessaging", "BAD"),)


def test_a_rate_written_as_a_percentage_is_told_by_its_counts():
    lsr = rate_section(("orderCount", 200), ("lateShipmentCount", 3), "2026-08-28", "2026-09-26", 4)
    lsr["rate"] = 1.5  # 3/200 = 1.5 %
    metric = only(parse(report(marketplace(lateShipmentRate=lsr)))).metric("lsr")
    assert (metric.rate, metric.target, metric.unit_note) == (0.015, 0.04, "")


def test_a_rate_rounded_by_amazon_still_agrees_with_its_counts():
    lsr = rate_section(("orderCount", 3), ("lateShipmentCount", 1), "2026-08-28", "2026-09-26", 0.04)
    lsr["rate"] = 0.333  # 1/3 to the three digits given
    assert only(parse(report(marketplace(lateShipmentRate=lsr)))).metric("lsr").rate == 0.333


def test_a_rate_that_could_be_either_unit_is_not_comparable():
    no_counts = {"reportingDateRange": dates("2026-08-28", "2026-09-26"), "rate": 0.5, "targetValue": 0.04}
    contradicted = rate_section(
        ("orderCount", 100), ("cancellationCount", 1), "2026-09-20", "2026-09-26", 0.025
    )
    contradicted["rate"] = 0.2  # neither 1/100 nor 1 %
    record = only(
        parse(report(marketplace(lateShipmentRate=no_counts, preFulfillmentCancellationRate=contradicted)))
    )
    lsr, pfcr = record.metric("lsr"), record.metric("pfcr")
    assert (lsr.rate, lsr.numerator) == (None, None)
    assert "fraction or a percentage" in lsr.unit_note
    assert (pfcr.rate, pfcr.numerator, pfcr.denominator) == (None, 1, 100)
    assert "agrees with neither 1/100" in pfcr.unit_note


def test_a_partial_report_gives_what_it_has_without_complaint():
    bare = {
        "marketplaceId": US,
        "lateShipmentRate": marketplace()["lateShipmentRate"],
        "validTrackingRate": None,
    }
    parsed = parse({"performanceMetrics": [bare]})
    assert parsed.rejections == []
    record = only(parsed)
    assert [m.key for m in record.metrics] == ["lsr"]
    assert (record.rating, record.violations, record.account_status) == ("", (), "")


def test_bad_sections_are_rejected_with_their_path_and_the_rest_is_kept():
    item = marketplace(US)
    item["orderDefectRate"]["afn"]["orderWithDefects"] = counted(-1)
    item["lateShipmentRate"]["reportingDateRange"] = dates("2026-09-26", "2026-08-28")
    item["validTrackingRate"]["validTrackingCount"] = 111  # more than the 110 shipments
    item["onTimeDeliveryRate"]["rate"] = "97 %"
    item["invoiceDefectRate"]["reportingDateRange"]["reportingDateFrom"] = "2026-13-01T00:00Z"
    item["listingPolicyViolations"]["defectsCount"] = 1.5
    item["warningStates"] = [{"status": "BAD"}]
    parsed = parse(report(item, marketplace(CA, marketplaceId=CA * 20)))
    reasons = {r.position: r.reason for r in parsed.rejections}
    p = "$.performanceMetrics[0]"
    assert reasons == {
        f"{p}.orderDefectRate.afn.orderWithDefects.count": "orderWithDefects is not a count: -1",
        f"{p}.lateShipmentRate.reportingDateRange": "ends (2026-08-28T23:59Z) before it starts (2026-09-26T00:00Z)",
        f"{p}.validTrackingRate": "validTrackingCount 111 is more than shipmentCount 110",
        f"{p}.onTimeDeliveryRate.rate": 'rate is not a rate: "97 %"',
        f"{p}.invoiceDefectRate.reportingDateRange.reportingDateFrom": "not an ISO-8601 instant: '2026-13-01T00:00Z'",
        f"{p}.listingPolicyViolations.defectsCount": "defectsCount is not a count: 1.5",
        f"{p}.warningStates[0]": "no warningType",
        "$.performanceMetrics[1].marketplaceId": "marketplaceId of 280 characters (at most 100)",
        "$.accountStatuses[1].marketplaceId": "marketplaceId of 280 characters (at most 100)",
    }
    assert all(r.source == "ah.json" for r in parsed.rejections)
    record = only(parsed)
    assert [m.key for m in record.metrics] == ["odr_mfn", "pfcr"]
    assert [v.key for v in record.violations] == ["receivedIntellectualPropertyComplaints"]
    assert record.rating == "GOOD" and record.warnings == ()


def test_a_marketplace_given_twice_keeps_the_first():
    first, second = marketplace(US), marketplace(US, accountHealthRating={"ahrStatus": "AT_RISK"})
    parsed = parse(report(first, second))
    assert only(parsed).rating == "GOOD"
    assert [(r.position, r.reason) for r in parsed.rejections] == [
        ("$.performanceMetrics[1]", f"marketplace {US} appears twice; the first is kept")
    ]


def test_bytes_that_are_not_utf8_cost_only_their_section():
    text = json.dumps(report(marketplace(US, warningStates=[{"warningType": "late\u00e9", "status": "BAD"}])))
    data = text.replace("late\\u00e9", "late\udce9").encode("utf-8", "surrogateescape")
    assert b"late\xe9" in data
    parsed = parse(data)
    assert [(r.position, r.reason) for r in parsed.rejections] == [
        ("$.performanceMetrics[0].warningStates[0].warningType", "warningType is not utf-8 text")
    ]
    assert len(only(parsed).metrics) == 7


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b'{"performanceMetrics": [', "malformed JSON: Expecting value at line 1"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply to read"),
        (b'{"performanceMetrics": [], "x": ' + b"9" * 5000 + b"}", "unreadable JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits"),
        (b'{"performanceMetrics": NaN}', "unreadable JSON: NaN is not a number"),
        (b"[]", "expected an object, got a list"),
        (b"{}", "missing"),
        (b'{"performanceMetrics": {}}', "expected a list, got an object"),
    ],
 ids=["malformed", "deep", "long-integer", "nan", "list", "empty", "not-a-list"],
)  # fmt: skip
def test_a_document_that_is_no_report_is_one_rejection(document, reason):
    parsed = parse(document)
    assert parsed.records == []
    assert [r.reason for r in parsed.rejections] == [reason]


def test_a_record_survives_its_json_form():
    record = only(parse(report(marketplace(US))))
    assert AccountHealth.from_json(json.loads(json.dumps(record.to_json()))) == record
