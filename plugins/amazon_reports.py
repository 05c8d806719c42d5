"""Amazon Seller Central flat-file reports mapped to canonical events.

Reports are recognised by their header row (never by file name or extension), columns are found by
name (case, spaces, hyphens and underscores do not matter: ``Order ID`` = ``order-id``), extra
columns are ignored and missing optional ones are empty. What each report lets us infer, and what it
does not:

**All-orders report** (``amazon-order-id``, ``purchase-date``, ``order-status``, ``fulfillment-channel``;
one row per order *item*): one ``order_placed`` per order at ``purchase-date`` (``Amazon`` = AFN,
``Merchant`` = MFN, empty = not known here, left to a source that knows it), with ``ship_by`` / ``deliver_by`` when the report has ``latest-ship-date`` (or
``promise-date``) / ``latest-delivery-date`` columns. ``Cancelled`` gives ``order_cancelled`` at
``last-updated-date``; the report does not say who cancelled, so ``cancelled_by`` (default ``seller``,
the reading that never hides a seller-cancel problem) decides. ``Shipped`` gives ``order_shipped`` at
``shipment-date`` if present, else at ``last-updated-date`` (an upper bound: lateness can be overstated,
never hidden) - but for MFN (or unknown) orders only when the report has a ``tracking-number`` column, because an MFN
shipment without tracking counts against Valid Tracking and the all-orders report carries none. A
``Shipped - Delivered to Buyer`` status also gives ``order_delivered``.

**Seller feedback report** (``Date``, ``Rating``, ``Order ID``, ``Comments``, ...): one ``feedback`` per
row at the feedback date.

**Returns report** (``Order ID``, ``Return request date``, ``Return request status``, ``Amazon RMA ID``,
``A-to-Z Claim``, ...): ``return_requested`` (ref = the RMA id) at the request date; an authorised,
refunded, closed or rejected status gives ``return_responded``. The report has no response date, so
the response is placed at the request date (pending returns stay open and age as they should).
``A-to-Z Claim = Y`` gives a ``claim_opened`` (the report has no claim date; the request date is used).

Every generated event has a stable ``event_id``, so reading a newer copy of a report only adds what is
new: the engine ignores events whose id it has already seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from itertools import chain

from sellerpulse.core.events import Event, EventError, parse_event
from sellerpulse.core.timeutil import TimeError, format_instant, in_range, load_zone, to_us

FORMATS = ("events", "amazon-orders", "amazon-feedback", "amazon-returns")

# zone abbreviations Amazon reports print after a time ("2026-11-02 14:05:00 PST")
_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "PST": -8, "PDT": -7, "MST": -7, "MDT": -6, "CST": -6, "CDT": -5,
    "EST": -5, "EDT": -4, "BST": 1, "CET": 1, "CEST": 2, "JST": 9, "IST": 5.5, "AEST": 10, "AEDT": 11,
}  # fmt: skip
_DAY_FIRST = ("%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d.%m.%y", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y")
_MONTH_FIRST = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%Y/%m/%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%b %d, %Y",
)
_TIMES = ("", " %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p")
_SPACES = re.compile(r"[\s_\-]+")


def normalize(name: str) -> str:
    """Header name as a lookup key: ``"Order ID"``, ``"order_id"`` and ``"order-id"`` all -> ``order-id``."""
    return _SPACES.sub("-", name.strip().strip('"').lstrip("\ufeff").strip().lower())


def detect(header: list[str]) -> str | None:
    """The report format of a header row, or None when it is not one we read."""
    raw = {name.strip().lstrip("\ufeff") for name in header}
    if "ts" in raw and "kind" in raw:
        return "events"
    names = {normalize(name) for name in header}
    if {"amazon-order-id", "purchase-date"} <= names:
        return "amazon-orders"
    if {"order-id", "return-request-date"} <= names:
        return "amazon-returns"
    if {"date", "rating", "order-id"} <= names:
        return "amazon-feedback"
    return None


_ISO = ""  # the remembered "pattern" of a value read by datetime.fromisoformat


class DateReader:
    """Reads report dates, remembering the patterns its values matched, the latest first.

    A report writes the dates of a column one way (or a few, when exports are merged), so a reader per
    column tries the patterns it has seen first: one ``strptime`` a value instead of up to 40 (282 us
    for ``Nov 02, 2026 2:05 PM``), also when two formats alternate. No two patterns of a list accept the
    same text, so the order they are tried in changes no result.
    """

    __slots__ = ("_patterns", "_seen", "zone")

    def __init__(self, zone: tzinfo, day_first: bool = False) -> None:
        self.zone = zone
        self._patterns = tuple(
            day + clock for day in (_DAY_FIRST if day_first else _MONTH_FIRST) for clock in _TIMES
        )
        self._seen: list[str] = []  # patterns that matched a value, the latest first

    def read(self, text: str) -> int:
        """A report date or date-time -> microseconds. Naive values are in ``zone``; ISO-8601, US/EU
        numeric dates, 12/24 h times and common zone abbreviations are understood."""
        value = text.strip()
        if not value:
            raise EventError("empty date")
        offset_hours: float | None = None
        head, _, tail = value.rpartition(" ")
        if head and tail.upper() in _ABBREVIATIONS:
            value, offset_hours = head.strip(), _ABBREVIATIONS[tail.upper()]
        parsed = None
        for pattern in chain(self._seen, (p for p in (_ISO, *self._patterns) if p not in self._seen)):
            parsed = self._parse(value, pattern)
            if parsed is not None:
                if self._seen[:1] != [pattern]:
                    if pattern in self._seen:
                        self._seen.remove(pattern)
                    self._seen.insert(0, pattern)
                break
        else:
            raise EventError(f"unreadable date {text.strip()!r}")
        if parsed.tzinfo is None:
            if offset_hours is not None:
                parsed = parsed.replace(tzinfo=timezone(timedelta(hours=offset_hours)))
            else:
                parsed = parsed.replace(tzinfo=self.zone)
        try:
            return in_range(to_us(parsed), text.strip())
        except TimeError as exc:
            raise EventError(f"date {exc}") from None

    @staticmethod
    def _parse(value: str, pattern: str) -> datetime | None:
        try:
            return datetime.fromisoformat(value) if pattern == _ISO else datetime.strptime(value, pattern)
        except ValueError:
            return None


def parse_report_date(text: str, zone: tzinfo, day_first: bool = False) -> int:
    """One report date, read alone (see :class:`DateReader`, which a mapper keeps per column)."""
    return DateReader(zone, day_first).read(text)


class ReportMapper:
    """Maps the rows of one report (by normalized column name) to events."""

    format = ""
    required: tuple[str, ...] = ()

    def __init__(
        self,
        header: list[str],
        account: str = "default",
        zone: str = "UTC",
        day_first: bool = False,
        cancelled_by: str = "seller",
    ) -> None:
        self.columns = {normalize(name): index for index, name in enumerate(header)}
        missing = [name for name in self.required if name not in self.columns]
        if missing:
            raise EventError(f"{self.format} report without column(s) {', '.join(missing)}")
        self.width = len(header)
        self.account = account
        self.zone = load_zone(zone)
        self.day_first = day_first
        self.cancelled_by = cancelled_by
        self.skipped: dict[str, int] = {}
        self._dates: dict[tuple[str, ...], DateReader] = {}  # per column: each remembers its format

    def has(self, name: str) -> bool:
        return name in self.columns

    def get(self, row: list[str], *names: str) -> str:
        """The first non-empty value among the named columns (missing columns are empty)."""
        for name in names:
            index = self.columns.get(name)
            if index is not None and index < len(row):
                value = row[index].strip()
                if value:
                    return value
        return ""

    def instant(self, row: list[str], *names: str) -> int | None:
        text = self.get(row, *names)
        if not text:
            return None
        dates = self._dates.get(names)
        if dates is None:
            dates = self._dates[names] = DateReader(self.zone, self.day_first)
        return dates.read(text)

    def event(self, **fields: object) -> Event:
        fields.setdefault("account", self.account)
        for name in ("ts", "ship_by", "deliver_by"):
            value = fields.get(name)
            if isinstance(value, int):
                fields[name] = format_instant(value)
        return parse_event(fields)

    def note_skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1

    def map(self, row: list[str]) -> list[Event]:
        raise NotImplementedError


class AllOrdersReport(ReportMapper):
    format = "amazon-orders"
    required = ("amazon-order-id", "purchase-date", "order-status")
    _recent_limit = 100_000

    def __init__(self, header: list[str], **kwargs: object) -> None:
        super().__init__(header, **kwargs)  # type: ignore[arg-type]
        # order items share an order: remember recent (order, kind) pairs to emit each event once;
        # older repeats carry the same event_id and the engine ignores them.
        self._recent: dict[str, None] = {}

    def _first(self, key: str) -> bool:
        if key in self._recent:
            return False
        self._recent[key] = None
        if len(self._recent) > self._recent_limit:
            del self._recent[next(iter(self._recent))]
        return True

    def map(self, row: list[str]) -> list[Event]:
        order_id = self.get(row, "amazon-order-id")
        if not order_id:
            raise EventError("missing amazon-order-id")
        placed_at = self.instant(row, "purchase-date")
        if placed_at is None:
            raise EventError("missing purchase-date")
        channel_text = self.get(row, "fulfillment-channel").lower()
        # empty: not known here, another source may give it (the order counts as MFN if none does)
        if not channel_text:
            channel = ""
        elif channel_text in ("merchant", "mfn", "seller"):
            channel = "MFN"
        elif channel_text in ("amazon", "afn"):
            channel = "AFN"
        else:
            raise EventError(f"unknown fulfillment-channel {channel_text!r} (Merchant or Amazon)")
        status = self.get(row, "order-status").lower()
        updated_at = self.instant(row, "last-updated-date")
        events: list[Event] = []
        if self._first(f"placed:{order_id}"):
            events.append(
                self.event(
                    ts=placed_at,
                    kind="order_placed",
                    order_id=order_id,
                    event_id=f"amazon-orders:{order_id}:placed",
                    channel=channel,
                    ship_by=self.instant(row, "latest-ship-date", "promise-date"),
                    deliver_by=self.instant(row, "latest-delivery-date"),
                )
            )
        if status in ("cancelled", "canceled"):
            if self._first(f"cancelled:{order_id}"):
                events.append(
                    self.event(
                        ts=updated_at or placed_at,
                        kind="order_cancelled",
                        order_id=order_id,
                        event_id=f"amazon-orders:{order_id}:cancelled",
                        by=self.cancelled_by,
                    )
                )
        elif status.startswith("shipped") or status == "partiallyshipped":
            events.extend(self._shipped(row, order_id, channel, status, updated_at or placed_at))
        return events

    def _shipped(
        self, row: list[str], order_id: str, channel: str, status: str, updated_at: int
    ) -> list[Event]:
        if channel != "AFN" and not self.has("tracking-number"):
            self.note_skip("MFN shipments without a tracking-number column")
            return []
        events: list[Event] = []
        if self._first(f"shipped:{order_id}"):
            events.append(
                self.event(
                    ts=self.instant(row, "shipment-date", "ship-date") or updated_at,
                    kind="order_shipped",
                    order_id=order_id,
                    event_id=f"amazon-orders:{order_id}:shipped",
                    # without the column the report cannot see tracking (AFN only): unknown, not none
                    tracking=self.get(row, "tracking-number") if self.has("tracking-number") else None,
                )
            )
        if "delivered" in status and self._first(f"delivered:{order_id}"):
            events.append(
                self.event(
                    ts=updated_at,
                    kind="order_delivered",
                    order_id=order_id,
                    event_id=f"amazon-orders:{order_id}:delivered",
                )
            )
        return events


class FeedbackReport(ReportMapper):
    format = "amazon-feedback"
    required = ("date", "rating", "order-id")

    def map(self, row: list[str]) -> list[Event]:
        order_id = self.get(row, "order-id")
        when = self.instant(row, "date")
        if when is None:
            raise EventError("missing Date")
        rating = self.get(row, "rating")
        return [
            self.event(
                ts=when,
                kind="feedback",
                order_id=order_id,
                rating=rating,
                event_id=f"amazon-feedback:{order_id}:{when}:{rating}",
            )
        ]


_RETURN_OUTCOMES = {
    "approved": "authorized",
    "authorized": "authorized",
    "authorised": "authorized",
    "refunded": "refunded",
    "closed": "closed",
    "completed": "closed",
    "rejected": "rejected",
    "denied": "rejected",
}
_YES = frozenset({"y", "yes", "true", "1"})


class ReturnsReport(ReportMapper):
    format = "amazon-returns"
    required = ("order-id", "return-request-date")

    def map(self, row: list[str]) -> list[Event]:
        order_id = self.get(row, "order-id")
        if not order_id:
            raise EventError("missing Order ID")
        requested = self.instant(row, "return-request-date")
        if requested is None:
            raise EventError("missing Return request date")
        rma = self.get(row, "amazon-rma-id", "merchant-rma-id") or f"{order_id}@{format_instant(requested)}"
        events = [
            self.event(
                ts=requested,
                kind="return_requested",
                order_id=order_id,
                ref=rma,
                event_id=f"amazon-returns:{rma}:requested",
            )
        ]
        status = self.get(row, "return-request-status").lower()
        outcome = _RETURN_OUTCOMES.get(status.split(" ")[0] if status else "")
        if outcome:
            events.append(
                self.event(
                    ts=requested,
                    kind="return_responded",
                    ref=rma,
                    outcome=outcome,
                    event_id=f"amazon-returns:{rma}:responded",
                )
            )
        if self.get(row, "a-to-z-claim").lower() in _YES:
            events.append(
                self.event(
                    ts=requested,
                    kind="claim_opened",
                    order_id=order_id,
                    ref=f"atoz-{order_id}",
                    event_id=f"amazon-returns:atoz-{order_id}:opened",
                )
            )
        return events


MAPPERS: Mapping[str, type[ReportMapper]] = {
    "amazon-orders": AllOrdersReport,
    "amazon-feedback": FeedbackReport,
    "amazon-returns": ReturnsReport,
}
