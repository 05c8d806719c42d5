"""Account Health report documents (``GET_V2_SELLER_PERFORMANCE_REPORT``) for tests, written here in the
shape of Amazon's JSON schema (accountHealthReport-2020-11-18) with our own numbers."""

from __future__ import annotations

from typing import Any

US = "ATVPDKIKX0DER"
CA = "A2EUQ1WTGCTBG2"


def dates(start: str, end: str) -> dict[str, str]:
    """A reporting date range as Amazon writes it: minutes, no seconds, ``Z``."""
    return {"reportingDateFrom": f"{start}T00:00Z", "reportingDateTo": f"{end}T23:59Z"}


def counted(count: int, status: str = "NONE") -> dict[str, Any]:
    return {"count": count, "status": status}


def odr(
    orders: int, claims: int, chargebacks: int, negative: int, start: str, end: str, **extra: Any
) -> dict:
    defects = claims + chargebacks + negative
    return {
        "reportingDateRange": dates(start, end),
        "orderCount": orders,
        "orderWithDefects": counted(defects, "GOOD"),
        "claims": counted(claims),
        "chargebacks": counted(chargebacks),
        "negativeFeedback": counted(negative),
        "status": "GOOD",
        "rate": round(defects / orders, 4) if orders else 0,
        "targetValue": 0.01,
        "targetCondition": "LESS_THAN",
        **extra,
    }


def rate_section(population: tuple[str, int], part: tuple[str, int], start: str, end: str, target: float,
                 condition: str = "LESS_THAN", **extra: Any) -> dict:  # fmt: skip
    return {
        "reportingDateRange": dates(start, end),
        population[0]: population[1],
        part[0]: part[1],
        "status": "GOOD",
        "rate": round(_count(part[1]) / population[1], 4) if population[1] else 0,
        "targetValue": target,
        "targetCondition": condition,
        **extra,
    }


def _count(value: int | dict[str, Any]) -> int:
    return value["count"] if isinstance(value, dict) else value


def violations(count: int, start: str = "2026-04-01", end: str = "2026-09-27") -> dict:
    return {
        "reportingDateRange": dates(start, end),
        "defectsCount": count,
        "status": "BAD" if count else "GOOD",
        "targetValue": 0,
        "targetCondition": "EQUALS",
    }


def marketplace(marketplace_id: str = US, **sections: Any) -> dict[str, Any]:
    """A marketplace's entry: every section given (``None`` leaves one out)."""
    item: dict[str, Any] = {
        "marketplaceId": marketplace_id,
        "orderDefectRate": {
            "mfn": odr(200, 1, 0, 2, "2026-07-15", "2026-09-12", fulfillmentType="mfn"),
            "afn": odr(50, 0, 0, 0, "2026-07-15", "2026-09-12", fulfillmentType="afn"),
        },
        "lateShipmentRate": rate_section(("orderCount", 120), ("lateShipmentCount", 3), "2026-08-28", "2026-09-26", 0.04),
        "preFulfillmentCancellationRate": rate_section(
            ("orderCount", 40), ("cancellationCount", 1), "2026-09-20", "2026-09-26", 0.025
        ),
        "validTrackingRate": rate_section(
            ("shipmentCount", 110), ("validTrackingCount", 108), "2026-08-28", "2026-09-26", 0.95, "GREATER_THAN"
        ),
        "onTimeDeliveryRate": rate_section(
            ("shipmentCountWithValidTracking", 100), ("onTimeDeliveryCount", 97), "2026-08-21", "2026-09-19",
            0.9, "GREATER_THAN",
        ),
        "invoiceDefectRate": {
            **rate_section(("orderCount", 30), ("invoiceDefect", counted(0, "GOOD")), "2026-09-20", "2026-09-26", 0.05),
            "missingInvoice": counted(0),
            "lateInvoice": counted(0),
        },
        "accountHealthRating": {"ahrStatus": "GOOD", "reportingDateRange": dates("2026-03-31", "2026-09-26")},
        "listingPolicyViolations": violations(1),
        "receivedIntellectualPropertyComplaints": violations(0),
        "warningStates": [{"warningType": "lateShipment", "status": "GOOD"}],
    }  # fmt: skip
    for name, value in sections.items():
        if value is None:
            item.pop(name, None)
        else:
            item[name] = value
    return item


def report(*items: dict[str, Any], statuses: dict[str, str] | None = None) -> dict[str, Any]:
    """A whole report; ``statuses`` the account status per marketplace (NORMAL for each item's)."""
    statuses = statuses or {item["marketplaceId"]: "NORMAL" for item in items if "marketplaceId" in item}
    return {
        "accountStatuses": [{"marketplaceId": m, "status": s} for m, s in statuses.items()],
        "performanceMetrics": list(items),
    }


# A small event file of account "acme" (UTC) to hand-work the comparison: MFN orders A1 (2026-08-31,
# before the range, negative feedback), A2 (09-01, A-to-z claim), A3 (09-03), A4 (09-05, negative feedback),
# A7 (09-06, cancelled by the seller), A5 (09-10 22:00), A6 (09-11, after the range); B1 is AFN.
EVENTS_CSV = """\
ts,kind,order_id,account,event_id,ref,channel,ship_by,deliver_by,amount,tracking,rating,by,outcome,severity
2026-08-31T23:00:00Z,order_placed,A1,acme,,,MFN,2026-09-02T23:00:00Z,2026-09-07T23:00:00Z,10.00,,,,,
2026-09-01T10:00:00Z,order_placed,A2,acme,,,MFN,2026-09-03T10:00:00Z,2026-09-08T10:00:00Z,10.00,,,,,
2026-09-03T10:00:00Z,order_placed,A3,acme,,,MFN,2026-09-05T10:00:00Z,2026-09-10T10:00:00Z,10.00,,,,,
2026-09-04T12:00:00Z,order_placed,B1,acme,,,AFN,,,10.00,,,,,
2026-09-05T10:00:00Z,order_placed,A4,acme,,,MFN,2026-09-07T10:00:00Z,2026-09-12T10:00:00Z,10.00,,,,,
2026-09-06T09:00:00Z,order_placed,A7,acme,,,MFN,2026-09-08T09:00:00Z,2026-09-13T09:00:00Z,10.00,,,,,
2026-09-06T10:00:00Z,order_cancelled,A7,acme,,,,,,,,,seller,,
2026-09-10T22:00:00Z,order_placed,A5,acme,,,MFN,2026-09-12T22:00:00Z,2026-09-17T22:00:00Z,10.00,,,,,
2026-09-11T01:00:00Z,order_placed,A6,acme,,,MFN,2026-09-13T01:00:00Z,2026-09-18T01:00:00Z,10.00,,,,,
2026-09-12T08:00:00Z,feedback,A1,acme,,,,,,,,1,,,
2026-09-14T08:00:00Z,claim_opened,A2,acme,,Z2,,,,,,,,,
2026-09-15T08:00:00Z,feedback,A4,acme,,,,,,,,1,,,
"""
