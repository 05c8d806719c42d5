"""The canonical event of ``EVENTS.md``: validation from CSV rows and JSON objects.

Every source produces these and the engine reads nothing else. Validation happens once, here, so the
engine can trust every field it is given; a row that fails is a :class:`Rejection` with its reason and
position, never an exception that stops the stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .timeutil import TimeError, format_instant, parse_instant

FIELDS = (
    "ts", "kind", "order_id", "account", "event_id", "ref", "channel", "ship_by", "deliver_by",
    "amount", "tracking", "rating", "by", "outcome", "severity", "reason",
)  # fmt: skip

# kind -> the fields it needs beyond ts and kind
REQUIRED: dict[str, tuple[str, ...]] = {
    "order_placed": ("order_id",),
    "order_shipped": ("order_id",),
    "order_delivered": ("order_id",),
    "order_cancelled": ("order_id", "by"),
    "refund": ("order_id",),
    "feedback": ("order_id", "rating"),
    "feedback_removed": ("order_id",),
    "claim_opened": ("order_id", "ref"),
    "claim_responded": ("ref",),
    "claim_closed": ("ref", "outcome"),
    "chargeback_opened": ("order_id", "ref"),
    "chargeback_closed": ("ref", "outcome"),
    "message_received": ("ref",),
    "message_replied": ("ref",),
    "message_dismissed": ("ref",),
    "return_requested": ("order_id", "ref"),
    "return_responded": ("ref", "outcome"),
    "return_feedback": ("ref", "rating"),
    "return_invalid_rejection": ("ref",),
    "cs_survey": ("ref", "outcome"),
    "violation": ("ref",),
    "violation_resolved": ("ref",),
}
KINDS = frozenset(REQUIRED)

OUTCOMES: dict[str, frozenset[str]] = {
    "claim_closed": frozenset({"granted", "denied", "withdrawn"}),
    "chargeback_closed": frozenset({"reversed", "upheld"}),
    "return_responded": frozenset({"authorized", "refunded", "closed", "rejected"}),
    "cs_survey": frozenset({"yes", "no"}),
}
CANCELLERS = frozenset({"seller", "marketplace", "buyer"})
CHANNELS = frozenset({"MFN", "AFN"})
SEVERITIES = frozenset({"low", "medium", "high", "critical"})
DEFAULT_ACCOUNT = "default"


class EventError(ValueError):
    """Why one row or object is not a valid event."""


@dataclass(slots=True)
class Event:
    """One validated event. Instants are microseconds since the epoch (see ``timeutil``)."""

    ts: int
    kind: str
    account: str = DEFAULT_ACCOUNT
    order_id: str = ""
    event_id: str = ""
    ref: str = ""
    channel: str = ""  # "MFN", "AFN", or "" when the event does not say (then the order counts as MFN)
    ship_by: int | None = None
    deliver_by: int | None = None
    amount: str = ""
    tracking: str | None = ""  # "" shipped without tracking; None: the source cannot see it (unknown)
    rating: int = 0
    by: str = ""
    outcome: str = ""
    severity: str = ""
    reason: str = ""  # why a refund was made, one word ("damaged", "wrong_item"); empty when not known

    def to_json(self) -> dict[str, object]:
        """The canonical JSON object of this event (empty fields left out)."""
        out: dict[str, object] = {"ts": format_instant(self.ts), "kind": self.kind, "account": self.account}
        for name in (
            "order_id",
            "event_id",
            "ref",
            "amount",
            "tracking",
            "by",
            "outcome",
            "severity",
            "reason",
        ):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.tracking is None and self.kind == "order_shipped":
            out["tracking"] = None
        if self.kind == "order_placed" and self.channel:
            out["channel"] = self.channel
        for name in ("ship_by", "deliver_by"):
            value = getattr(self, name)
            if value is not None:
                out[name] = format_instant(value)
        if self.rating:
            out["rating"] = self.rating
        return out


@dataclass(frozen=True, slots=True)
class Rejection:
    """A row that could not be read: where it was and why."""

    source: str
    position: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.position}: {self.reason}"


def _text(value: object, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        if not value.isascii():
            # a lone surrogate (JSON's "\udcff") cannot be encoded: no file, log or database holds it
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise EventError(f"bad {name}: not utf-8 text (a lone surrogate)") from None
        return value.strip()
    if isinstance(value, bool):
        raise EventError(f"expected text, got {value!r}")
    if isinstance(value, (int, float)):
        return str(value)
    raise EventError(f"expected text, got {type(value).__name__}")


def parse_event(fields: Mapping[str, object]) -> Event:
    """Validate one JSON object (or any mapping with the canonical field names) into an :class:`Event`.

    Unknown keys are ignored and missing optional fields are empty, as ``EVENTS.md`` asks; a shipment's
    ``"tracking": null`` (given, but null) is unknown tracking (``None``), not a shipment without tracking.
    """
    get = fields.get
    event = build_event(tuple(_text(get(name), name) for name in FIELDS))
    if event.kind == "order_shipped" and "tracking" in fields and fields["tracking"] is None:
        event.tracking = None
    return event


_NEEDS_ORDER, _NEEDS_REF, _NEEDS_RATING = 1, 2, 4
_NEEDS = {
    kind: (_NEEDS_ORDER if "order_id" in req else 0)
    | (_NEEDS_REF if "ref" in req else 0)
    | (_NEEDS_RATING if "rating" in req else 0)
    for kind, req in REQUIRED.items()
}


def build_event(values: tuple[str, ...]) -> Event:
    """Validate the sixteen canonical fields, as text in ``FIELDS`` order, into an :class:`Event`.

    The one validation path shared by CSV rows and JSON objects; written for speed because every
    event of a multi-million-row history passes through it.
    """
    (ts_text, kind, order_id, account, event_id, ref, channel, ship_by_text, deliver_by_text, amount,
     tracking, rating_text, by, outcome, severity, reason) = values  # fmt: skip
    needs = _NEEDS.get(kind)
    if needs is None:
        kind = kind.strip()
        needs = _NEEDS.get(kind)
    if needs is None:
        raise EventError(f"unknown kind {kind!r}" if kind else "missing kind")
    if not ts_text:
        raise EventError("missing ts")
    try:
        ts = parse_instant(ts_text)
    except TimeError as exc:
        raise EventError(f"bad ts: {exc}") from None
    if needs & _NEEDS_ORDER and not order_id:
        raise EventError(f"{kind} needs order_id")
    if needs & _NEEDS_REF and not ref:
        raise EventError(f"{kind} needs ref")
    if channel and channel not in CHANNELS:
        channel = channel.upper()
        if channel not in CHANNELS:
            raise EventError(f"bad channel {channel!r} (MFN or AFN)")
    ship_by = deliver_by = None
    if ship_by_text:
        try:
            ship_by = parse_instant(ship_by_text)
        except TimeError as exc:
            raise EventError(f"bad ship_by: {exc}") from None
    if deliver_by_text:
        try:
            deliver_by = parse_instant(deliver_by_text)
        except TimeError as exc:
            raise EventError(f"bad deliver_by: {exc}") from None
    if amount:
        try:
            if not Decimal(amount).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise EventError(f"bad amount {amount!r}") from None
    rating = 0
    if rating_text:
        rating = _rating(rating_text)
    elif needs & _NEEDS_RATING:
        raise EventError(f"{kind} needs rating")
    if by:
        by = by.lower()
    if kind == "order_cancelled" and by not in CANCELLERS:
        raise EventError(
            f"bad by {by!r} (seller, marketplace or buyer)" if by else "order_cancelled needs by"
        )
    allowed = OUTCOMES.get(kind)
    if outcome:
        outcome = outcome.lower()
    if allowed is not None and outcome not in allowed:
        if not outcome:
            raise EventError(f"{kind} needs outcome")
        raise EventError(f"bad outcome {outcome!r} for {kind} ({', '.join(sorted(allowed))})")
    if severity:
        severity = severity.lower()
        if severity not in SEVERITIES:
            raise EventError(f"bad severity {severity!r}")
    return Event(ts, kind, account or DEFAULT_ACCOUNT, order_id, event_id, ref, channel, ship_by, deliver_by,
                 amount, tracking, rating, by, outcome, severity, reason.lower())  # fmt: skip


def _rating(value: object) -> int:
    if isinstance(value, bool):
        raise EventError(f"bad rating {value!r}")
    if isinstance(value, int):
        rating = value
    else:
        text = _text(value, "rating")
        try:
            rating = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                raise EventError(f"bad rating {text!r}") from None
            if not as_float.is_integer():
                raise EventError(f"bad rating {text!r}") from None
            rating = int(as_float)
    if not 1 <= rating <= 5:
        raise EventError(f"rating {rating} out of range 1..5")
    return rating
