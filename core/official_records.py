"""Amazon's own account-health numbers, as typed records.

The Account Health report (``GET_V2_SELLER_PERFORMANCE_REPORT``) gives, per marketplace, Amazon's value
of each customer-service metric over a reporting date range of Amazon's choosing. These records hold
what the report said, already checked (see :mod:`core.official`), so the runtime can keep the latest per
account and marketplace, save it with the state, and the report and dashboard can put it beside ours.
Rates are fractions here whatever unit the report used; a rate whose unit could not be decided is
``None`` (shown as "not comparable") while the counts are kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .timeutil import format_instant, parse_instant

# Amazon's metrics that have a sellerpulse counterpart: key -> (engine rule, channel). The invoice
# defect rate has none (sellerpulse reads no invoices); it is shown as Amazon's only.
COUNTERPARTS: dict[str, tuple[str, str]] = {
    "odr_mfn": ("defect", "MFN"),
    "odr_afn": ("defect", "AFN"),
    "lsr": ("late_shipment", "MFN"),
    "pfcr": ("seller_cancel", "MFN"),
    "vtr": ("valid_tracking", "MFN"),
    "otdr": ("on_time_delivery", "MFN"),
}

# A metric's name as Amazon's Seller Central shows it.
NAMES: dict[str, str] = {
    "odr_mfn": "Order Defect Rate, seller-fulfilled",
    "odr_afn": "Order Defect Rate, fulfilled by Amazon",
    "lsr": "Late Shipment Rate",
    "pfcr": "Pre-fulfillment Cancel Rate",
    "vtr": "Valid Tracking Rate",
    "otdr": "On-Time Delivery Rate",
    "invoice_defect_rate": "Invoice Defect Rate",
}


@dataclass(frozen=True, slots=True)
class DateRange:
    """Amazon's reporting date range: instants in microseconds, both inclusive (``...T23:59Z`` ends a
    day)."""

    start: int
    end: int

    def to_json(self) -> dict[str, str]:
        return {"from": format_instant(self.start), "to": format_instant(self.end)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DateRange:
        return cls(parse_instant(data["from"]), parse_instant(data["to"]))


@dataclass(frozen=True, slots=True)
class OfficialMetric:
    """One metric as Amazon reported it.

    ``numerator``/``denominator`` follow sellerpulse's convention: for a metric that should stay below
    its target the numerator counts the bad orders (defects, late shipments, cancellations), for one
    that should stay above it the good ones (valid tracking, on time). ``components`` are the named
    parts of the numerator Amazon lists (claims, chargebacks, negative feedback). ``rate`` and
    ``target`` are fractions; ``rate`` is None when the report's unit could not be told (``unit_note``
    says why).
    """

    key: str
    rate: float | None
    numerator: int | None
    denominator: int | None
    dates: DateRange
    status: str = ""
    target: float | None = None
    target_condition: str = ""
    components: tuple[tuple[str, int], ...] = ()
    unit_note: str = ""

    @property
    def name(self) -> str:
        return NAMES[self.key]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "rate": self.rate,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "dates": self.dates.to_json(),
            "status": self.status,
            "target": self.target,
            "target_condition": self.target_condition,
            "components": [list(part) for part in self.components],
            "unit_note": self.unit_note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OfficialMetric:
        return cls(
            key=data["key"],
            rate=data["rate"],
            numerator=data["numerator"],
            denominator=data["denominator"],
            dates=DateRange.from_json(data["dates"]),
            status=data["status"],
            target=data["target"],
            target_condition=data["target_condition"],
            components=tuple((str(name), int(count)) for name, count in data["components"]),
            unit_note=data["unit_note"],
        )


@dataclass(frozen=True, slots=True)
class PolicyViolations:
    """One policy area's count of violations (listing policy, IP complaints, product safety, ...)."""

    key: str  # Amazon's field name, e.g. ``listingPolicyViolations``
    count: int
    dates: DateRange
    status: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "count": self.count, "dates": self.dates.to_json(), "status": self.status}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolicyViolations:
        return cls(data["key"], data["count"], DateRange.from_json(data["dates"]), data["status"])


@dataclass(frozen=True, slots=True)
class AccountHealth:
    """Amazon's account health of one account in one marketplace, as one report gave it."""

    account: str
    marketplace_id: str
    metrics: tuple[OfficialMetric, ...] = ()
    violations: tuple[PolicyViolations, ...] = ()
    account_status: str = ""  # NORMAL, AT_RISK, DEACTIVATED (accountStatuses)
    rating: str = ""  # the account health rating's status (GOOD, AT_RISK, WARNED, ...)
    rating_dates: DateRange | None = None
    warnings: tuple[tuple[str, str], ...] = ()  # (warning type, status)

    def metric(self, key: str) -> OfficialMetric | None:
        return next((m for m in self.metrics if m.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "marketplace_id": self.marketplace_id,
            "metrics": [m.to_json() for m in self.metrics],
            "violations": [v.to_json() for v in self.violations],
            "account_status": self.account_status,
            "rating": self.rating,
            "rating_dates": None if self.rating_dates is None else self.rating_dates.to_json(),
            "warnings": [list(w) for w in self.warnings],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AccountHealth:
        """The record :meth:`to_json` gave (the state file's copy); a KeyError/TypeError/ValueError when
        it is not one."""
        rating_dates = data["rating_dates"]
        return cls(
            account=data["account"],
            marketplace_id=data["marketplace_id"],
            metrics=tuple(OfficialMetric.from_json(m) for m in data["metrics"]),
            violations=tuple(PolicyViolations.from_json(v) for v in data["violations"]),
            account_status=data["account_status"],
            rating=data["rating"],
            rating_dates=None if rating_dates is None else DateRange.from_json(rating_dates),
            warnings=tuple((str(t), str(s)) for t, s in data["warnings"]),
        )
