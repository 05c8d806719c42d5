"""Reading Amazon's Account Health report (``GET_V2_SELLER_PERFORMANCE_REPORT``, JSON).

The report is Amazon's word on the seller's metrics, so it is read as hostile input like any other: a
section that cannot be read (a count that is not a whole number, a date range that ends before it
starts, a rate whose counts contradict it) is a :class:`~core.events.Rejection` naming its JSON path
and reason, and every other section is kept. Sections the report leaves out are simply not reported.

Amazon's own model disagrees with its examples in places, so both spellings are read:
``preFulfillmentCancellationRate``/``prefulfillmentCancelRate``, ``accountHealthRatingStatus``/
``ahrStatus``, ``warningStates``/``warningState``, ``documentRequests``/``documentRequest``. ``rate`` is
described as a percentage but the examples are fractions: the unit is decided from the report's own
counts (the rate agrees with ``numerator/denominator`` as a fraction or as a percentage, to the digits
given), else from its size (above 1 it is a percentage); a rate below 1 without counts to confirm it
is kept as "not comparable" rather than risking a difference of a factor of 100.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .events import Rejection
from .official_records import AccountHealth, DateRange, OfficialMetric, PolicyViolations
from .readers import BOM, is_text, open_regular
from .timeutil import TimeError, parse_instant

MAX_TEXT = 100  # characters of a marketplace id, status or warning type; longer is not Amazon's
# bytes of a report file read: a seller's report is a few KB per marketplace, so this is hundreds of them
MAX_DOCUMENT_BYTES = 8 << 20

# Amazon's rate sections: report field names (both spellings) -> (key, denominator field, numerator field,
# component fields). For VTR and OTDR the numerator counts the good ones, as sellerpulse's does.
_RATES: tuple[tuple[tuple[str, ...], str, str, str, tuple[str, ...]], ...] = (
    (("lateShipmentRate",), "lsr", "orderCount", "lateShipmentCount", ()),
    (("preFulfillmentCancellationRate", "prefulfillmentCancelRate"), "pfcr", "orderCount", "cancellationCount", ()),
    (("validTrackingRate",), "vtr", "shipmentCount", "validTrackingCount", ()),
    (("onTimeDeliveryRate",), "otdr", "shipmentCountWithValidTracking", "onTimeDeliveryCount", ()),
    (("invoiceDefectRate",), "invoice_defect_rate", "orderCount", "invoiceDefect", ("missingInvoice", "lateInvoice")),
)  # fmt: skip
_ODR_COMPONENTS = ("claims", "chargebacks", "negativeFeedback")

# policy areas counted in violations (``defectsCount``), both spellings of the one Amazon varies
_VIOLATIONS = (
    "listingPolicyViolations", "productAuthenticityCustomerComplaints", "productConditionCustomerComplaints",
    "productSafetyCustomerComplaints", "receivedIntellectualPropertyComplaints",
    "restrictedProductPolicyViolations", "suspectedIntellectualPropertyViolations",
    "foodAndProductSafetyIssues", "otherPolicyViolations", "documentRequests", "documentRequest",
)  # fmt: skip


class SectionError(ValueError):
    """Why one section of the report cannot be read; ``path`` is where, below the section."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.path = path


@dataclass(slots=True)
class ParsedReport:
    """What a report gave: a record per marketplace, and the sections that could not be read."""

    records: list[AccountHealth] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def parse_account_health(
    document: bytes | str | Mapping[str, Any], account: str, source: str = "account-health"
) -> ParsedReport:
    """Amazon's Account Health report (the downloaded JSON, as bytes, text or already parsed) of
    ``account``, one :class:`AccountHealth` per marketplace; ``source`` names it in rejections."""
    out = ParsedReport()
    if isinstance(document, bytes | str):
        try:
            document = _load(document)
        except ValueError as exc:
            out.rejections.append(Rejection(source, "$", str(exc)))
            return out
    if not isinstance(document, Mapping):
        out.rejections.append(Rejection(source, "$", f"expected an object, got {_kind(document)}"))
        return out
    statuses = _account_statuses(document.get("accountStatuses"), source, out.rejections)
    items = document.get("performanceMetrics")
    if not isinstance(items, list):
        reason = "missing" if items is None else f"expected a list, got {_kind(items)}"
        out.rejections.append(Rejection(source, "$.performanceMetrics", reason))
        return out
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = f"$.performanceMetrics[{index}]"
        try:
            marketplace = _marketplace_id(item)
            if marketplace in seen:
                raise SectionError(f"marketplace {marketplace} appears twice; the first is kept")
        except SectionError as exc:
            out.rejections.append(Rejection(source, path + exc.path, str(exc)))
            continue
        seen.add(marketplace)
        out.records.append(
            _marketplace(
                item, account, marketplace, statuses.get(marketplace, ""), source, path, out.rejections
            )
        )
    return out


def read_account_health_file(path: str | Path, account: str) -> ParsedReport:
    """:func:`parse_account_health` of a downloaded report file (its name in rejections). A file that is
    missing or not a regular file raises OSError; one larger than :data:`MAX_DOCUMENT_BYTES` is one
    rejection, unread."""
    with open_regular(path) as handle:
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    source = Path(path).name
    if len(data) > MAX_DOCUMENT_BYTES:
        reason = f"larger than {MAX_DOCUMENT_BYTES >> 20} MiB: not an Account Health report"
        return ParsedReport(rejections=[Rejection(source, "$", reason)])
    return parse_account_health(data, account, source)


def _load(document: bytes | str) -> object:
    """The parsed JSON; a ValueError saying why not. Bytes that are not UTF-8 cost only the sections
    holding them: each becomes a lone surrogate (:func:`core.readers.is_text`), which a text field
    refuses and a number or date cannot hold."""
    if isinstance(document, bytes):
        document = document.removeprefix(BOM).decode("utf-8", "surrogateescape")
    try:
        return json.loads(document, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"malformed JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    except ValueError as exc:  # an integer of more than 4300 digits, NaN
        raise ValueError(f"unreadable JSON: {str(exc).split(';')[0]}") from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _account_statuses(value: object, source: str, rejections: list[Rejection]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    if value is None:
        return statuses
    if not isinstance(value, list):
        rejections.append(Rejection(source, "$.accountStatuses", f"expected a list, got {_kind(value)}"))
        return statuses
    for index, item in enumerate(value):
        try:
            statuses[_marketplace_id(item)] = _text(_field(item, "status"), "status")
        except SectionError as exc:
            rejections.append(Rejection(source, f"$.accountStatuses[{index}]{exc.path}", str(exc)))
    return statuses


def _marketplace(
    item: Mapping[str, Any],
    account: str,
    marketplace: str,
    status: str,
    source: str,
    path: str,
    rejections: list[Rejection],
) -> AccountHealth:
    """One marketplace's record: every section that reads, the others rejected."""
    metrics: list[OfficialMetric] = []
    violations: list[PolicyViolations] = []
    rating, rating_dates, warnings = "", None, ()

    def read(name: str, reader: Any) -> Any:
        """``reader`` of section ``name``; None for a rejected section or a null one (not reported)."""
        if item[name] is None:
            return None
        try:
            return reader(item[name])
        except SectionError as exc:
            rejections.append(Rejection(source, f"{path}.{name}{exc.path}", str(exc)))
            return None

    odr = item.get("orderDefectRate")
    if odr is not None:
        if isinstance(odr, Mapping):
            for channel in ("mfn", "afn"):
                if channel in odr:
                    metrics.append(read("orderDefectRate", lambda v, c=channel: _odr(v[c], c)))
        else:
            rejections.append(
                Rejection(source, f"{path}.orderDefectRate", f"expected an object, got {_kind(odr)}")
            )
    for names, key, denominator, numerator, components in _RATES:
        name = next((n for n in names if n in item), None)
        if name is not None:
            metrics.append(read(name, lambda v, a=(key, denominator, numerator, components): _rate(v, *a)))
    for name in _VIOLATIONS:
        if name in item:
            violations.append(read(name, lambda v, n=name: _violations(v, n)))
    rating_name = "accountHealthRating"
    if rating_name in item:
        read_rating = read(rating_name, _rating)
        if read_rating is not None:
            rating, rating_dates = read_rating
    warnings_name = next((n for n in ("warningStates", "warningState") if n in item), None)
    if warnings_name is not None:
        warnings = read(warnings_name, _warnings) or ()
    return AccountHealth(
        account=account,
        marketplace_id=marketplace,
        metrics=tuple(m for m in metrics if m is not None),
        violations=tuple(v for v in violations if v is not None),
        account_status=status,
        rating=rating,
        rating_dates=rating_dates,
        warnings=warnings,
    )


def _odr(section: object, channel: str) -> OfficialMetric:
    try:
        return _rate(section, f"odr_{channel}", "orderCount", "orderWithDefects", _ODR_COMPONENTS)
    except SectionError as exc:
        raise SectionError(str(exc), f".{channel}{exc.path}") from None


def _rate(
    section: object, key: str, denominator: str, numerator: str, components: tuple[str, ...]
) -> OfficialMetric:
    """One rate section: its dates, counts, rate (a fraction) and target."""
    section = _object(section)
    dates = _dates(section)
    den = _count(section, denominator)
    num = _count(section, numerator)
    if num is not None and den is not None and num > den:
        raise SectionError(f"{numerator} {num} is more than {denominator} {den}")
    parts = tuple((name, n) for name in components if (n := _count(section, name)) is not None)
    given = _number(section, "rate")
    if given is None and num is None:
        raise SectionError(f"neither a rate nor {numerator}")
    rate, note, percent = _fraction(given, num, den)
    target = _number(section, "targetValue")
    if target is not None and (percent or (percent is None and target > 1)):
        target /= 100
    return OfficialMetric(
        key=key,
        rate=rate,
        numerator=num,
        denominator=den,
        dates=dates,
        status=_optional_text(section, "status"),
        target=target,
        target_condition=_optional_text(section, "targetCondition"),
        components=parts,
        unit_note=note,
    )


def _fraction(given: float | None, num: int | None, den: int | None) -> tuple[float | None, str, bool | None]:
    """(the rate as a fraction or None, why None, whether the report wrote a percentage or None when
    unknown). The counts decide when there are some, else the size."""
    if given is None:  # counts only: their quotient is the rate
        if not den:
            return None, "no orders in Amazon's range", None
        return num / den, "", None
    if num is not None and den:
        exact = num / den
        tolerance = rate_tolerance(given)
        if abs(given - exact) <= tolerance:
            return given, "", False
        if abs(given - exact * 100) <= tolerance:
            return given / 100, "", True
        return None, f"rate {given:g} agrees with neither {num}/{den} nor its percentage", None
    if given == 0:  # nought in either unit
        return 0.0, "", None
    if given > 100:
        raise SectionError(f"rate {given:g} is more than 100 %")
    if given > 1:
        return given / 100, "", True
    return None, f"rate {given:g} without counts: a fraction or a percentage?", None


def rate_tolerance(rate: float) -> float:
    """Half a unit of the last digit the report gave (Amazon rounds: ``0.009`` is 0.0085..0.0095): how
    far a rate may be from an exact one and still be the same figure."""
    text = repr(rate)
    if "e" in text or "." not in text:
        return 1e-12
    return 0.5 * 10 ** -len(text.split(".")[1]) + 1e-12


def _violations(section: object, key: str) -> PolicyViolations:
    section = _object(section)
    count = _count(section, "defectsCount")
    if count is None:
        raise SectionError("no defectsCount")
    return PolicyViolations(key, count, _dates(section), _optional_text(section, "status"))


def _rating(section: object) -> tuple[str, DateRange | None]:
    section = _object(section)
    name = next((n for n in ("accountHealthRatingStatus", "ahrStatus") if n in section), None)
    if name is None:
        raise SectionError("no accountHealthRatingStatus")
    status = _text(section[name], name)
    return status, _dates(section) if "reportingDateRange" in section else None


def _warnings(section: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(section, list):
        raise SectionError(f"expected a list, got {_kind(section)}")
    out = []
    for index, item in enumerate(section):
        try:
            out.append((_text(_field(item, "warningType"), "warningType"), _optional_text(item, "status")))
        except SectionError as exc:
            raise SectionError(str(exc), f"[{index}]{exc.path}") from None
    return tuple(out)


# -- fields -----------------------------------------------------------------------------------------


def _object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SectionError(f"expected an object, got {_kind(value)}")
    return value


def _field(item: object, name: str) -> object:
    if name not in _object(item):
        raise SectionError(f"no {name}")
    return item[name]  # type: ignore[index]


def _marketplace_id(item: object) -> str:
    return _text(_field(item, "marketplaceId"), "marketplaceId")


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SectionError(f"{name} is not a text: {_show(value)}", f".{name}")
    if not is_text(value):
        raise SectionError(f"{name} is not utf-8 text", f".{name}")
    if len(value) > MAX_TEXT:
        raise SectionError(f"{name} of {len(value)} characters (at most {MAX_TEXT})", f".{name}")
    return value.strip()


def _optional_text(section: Mapping[str, Any], name: str) -> str:
    return _text(section[name], name) if section.get(name) is not None else ""


def _dates(section: Mapping[str, Any]) -> DateRange:
    dates = section.get("reportingDateRange")
    if not isinstance(dates, Mapping):
        raise SectionError(
            "no reportingDateRange" if dates is None else "reportingDateRange is not an object"
        )
    instants = []
    for name in ("reportingDateFrom", "reportingDateTo"):
        value = dates.get(name)
        try:
            instants.append(parse_instant(value) if isinstance(value, str) else None)
        except TimeError as exc:
            raise SectionError(str(exc), f".reportingDateRange.{name}") from None
        if instants[-1] is None:
            raise SectionError(f"{name} is not a date: {_show(value)}", f".reportingDateRange.{name}")
    start, end = instants
    if end < start:
        raise SectionError(f"ends ({dates['reportingDateTo']}) before it starts ({dates['reportingDateFrom']})",
                           ".reportingDateRange")  # fmt: skip
    return DateRange(start, end)


def _count(section: Mapping[str, Any], name: str) -> int | None:
    """A whole number of orders, given plainly or as ``{"count": n, "status": ...}``; None if absent."""
    value = section.get(name)
    where = f".{name}"
    if isinstance(value, Mapping):
        value, where = value.get("count"), f".{name}.count"
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise SectionError(f"{name} is not a count: {_show(value)}", where)
    return value


def _number(section: Mapping[str, Any], name: str) -> float | None:
    value = section.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value < 0:
        raise SectionError(f"{name} is not a rate: {_show(value)}", f".{name}")
    return float(value)


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a text", bool: "true/false"}.get(
        type(value), "nothing" if value is None else "a number"
    )


def _show(value: object) -> str:
    text = (
        json.dumps(value, ensure_ascii=True) if isinstance(value, str | int | float | bool) else _kind(value)
    )
    return text if len(text) <= 40 else text[:37] + "..."
