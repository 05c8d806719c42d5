"""Fuzzing the Account Health report reader with hypothesis: any bytes, and any JSON in place of any one
section of a good report. No exception escapes; what is kept is sane (rates are fractions, a count never
exceeds its population); the sections not touched come out as from the untouched report."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from official_fixtures import marketplace, report
from sellerpulse.core.official import parse_account_health

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# NaN and infinities make the whole document unreadable JSON (a rejection tested in test_official_parser)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
SECTIONS = sorted(marketplace())
CLEAN = parse_account_health(report(marketplace()), "acme").records[0]


def sane(parsed) -> None:
    for record in parsed.records:
        for metric in record.metrics:
            assert metric.rate is None or 0 <= metric.rate <= 1, metric
            if metric.numerator is not None and metric.denominator is not None:
                assert 0 <= metric.numerator <= metric.denominator, metric
            assert metric.dates.start <= metric.dates.end
        for violation in record.violations:
            assert violation.count >= 0
    for rejection in parsed.rejections:
        assert rejection.position.startswith("$") and rejection.reason
        rejection.reason.encode("utf-8")  # printable to a UTF-8 terminal or log: no lone surrogate


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_are_read_or_rejected(data):
    sane(parse_account_health(data, "acme"))


@FUZZ
@given(st.sampled_from(SECTIONS), json_values)
def test_any_section_replaced_costs_only_that_section(section, value):
    item = marketplace()
    item[section] = value
    parsed = parse_account_health(json.dumps({"performanceMetrics": [item]}).encode(), "acme")
    sane(parsed)
    if section == "marketplaceId":
        return  # the whole entry hangs on it
    (record,) = parsed.records
    replaced = {"orderDefectRate": ("odr_mfn", "odr_afn")}.get(section, ())
    untouched = [m for m in CLEAN.metrics if m.key not in replaced and _section_of(m.key) != section]
    assert [m for m in record.metrics if m in untouched] == untouched


def _section_of(key: str) -> str:
    return {
        "lsr": "lateShipmentRate",
        "pfcr": "preFulfillmentCancellationRate",
        "vtr": "validTrackingRate",
        "otdr": "onTimeDeliveryRate",
        "invoice_defect_rate": "invoiceDefectRate",
    }.get(key, "orderDefectRate")
