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
    "amount", "tracking", "rating", "by", "outcome", "severity",
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
    channel: str = "MFN"
    ship_by: int | None = None
    deliver_by: int | None = None
    amount: str = ""
    tracking: str = ""
    rating: int = 0
    by: str = ""
    outcome: str = ""
    severity: str = ""

    def to_json(self) -> dict[str, object]:
        """The canonical JSON object of this event (empty fields left out)."""
        out: dict[str, object] = {"ts": format_instant(self.ts), "kind": self.kind, "account": self.account}
        for name in ("order_id", "event_id", "ref", "amount", "tracking", "by", "outcome", "severity"):
            value = getattr(self, name)
            if value:
                out[name] = value
        if self.kind == "order_placed":
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


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        raise EventError(f"expected text, got {value!r}")
    if isinstance(value, (int, float)):
        return str(value)
    raise EventError(f"expected text, got {type(value).__name__}")


def parse_event(fields: Mapping[str, object]) -> Event:
    """Validate one CSV row or JSON object (canonical field names) into an :class:`Event`.

    Unknown keys are ignored and missing optional fields are empty, as ``EVENTS.md`` asks.
    """
    get = fields.get
    kind = _text(get("kind"))
    if not kind:
        raise EventError("missing kind")
    required = REQUIRED.get(kind)
    if required is None:
        raise EventError(f"unknown kind {kind!r}")
    ts_text = _text(get("ts"))
    if not ts_text:
        raise EventError("missing ts")
    try:
        ts = parse_instant(ts_text)
    except TimeError as exc:
        raise EventError(f"bad ts: {exc}") from None

    event = Event(ts=ts, kind=kind)
    event.account = _text(get("account")) or DEFAULT_ACCOUNT
    event.order_id = _text(get("order_id"))
    event.event_id = _text(get("event_id"))
    event.ref = _text(get("ref"))
    event.tracking = _text(get("tracking"))
    event.by = _text(get("by")).lower()
    event.outcome = _text(get("outcome")).lower()
    event.severity = _text(get("severity")).lower()
    for name in required:
        if name != "rating" and not getattr(event, name):
            raise EventError(f"{kind} needs {name}")

    channel = _text(get("channel")).upper()
    if channel:
        if channel not in CHANNELS:
            raise EventError(f"bad channel {channel!r} (MFN or AFN)")
        event.channel = channel
    for name in ("ship_by", "deliver_by"):
        text = _text(get(name))
        if text:
            try:
                setattr(event, name, parse_instant(text))
            except TimeError as exc:
                raise EventError(f"bad {name}: {exc}") from None

    amount = _text(get("amount"))
    if amount:
        try:
            if not Decimal(amount).is_finite():
                raise InvalidOperation
        except InvalidOperation:
            raise EventError(f"bad amount {amount!r}") from None
        event.amount = amount

    rating = get("rating")
    if rating not in (None, ""):
        event.rating = _rating(rating)
    elif "rating" in required:
        raise EventError(f"{kind} needs rating")

    if kind == "order_cancelled" and event.by not in CANCELLERS:
        raise EventError(f"bad by {event.by!r} (seller, marketplace or buyer)")
    allowed = OUTCOMES.get(kind)
    if allowed is not None and event.outcome not in allowed:
        raise EventError(f"bad outcome {event.outcome!r} for {kind} ({', '.join(sorted(allowed))})")
    if event.severity and event.severity not in SEVERITIES:
        raise EventError(f"bad severity {event.severity!r}")
    return event


def _rating(value: object) -> int:
    if isinstance(value, bool):
        raise EventError(f"bad rating {value!r}")
    if isinstance(value, int):
        rating = value
    else:
        text = _text(value)
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
