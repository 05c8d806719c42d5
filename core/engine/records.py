"""Keyed state of the things that are not orders: buyer messages, A-to-z claims, chargebacks,
return requests and policy violations. Few enough to be small objects; instants in microseconds,
``INF_TS`` for "not yet", ``NO_TS`` for "never"."""

from __future__ import annotations

from .orders import INF_TS


class Message:
    __slots__ = ("dismissed", "order_id", "received", "ref", "replied", "survey")

    def __init__(self, ref: str, order_id: str, received: int) -> None:
        self.ref = ref
        self.order_id = order_id
        self.received = received
        self.replied = INF_TS
        self.dismissed = False
        self.survey: tuple[int, str] | None = None  # latest (ts, "yes"/"no") answer


class Claim:
    __slots__ = ("closed", "opened", "order_id", "ref", "responded")

    def __init__(self, ref: str, order_id: str, opened: int) -> None:
        self.ref = ref
        self.order_id = order_id
        self.opened = opened
        self.responded = INF_TS
        self.closed: tuple[int, str] | None = None  # latest (ts, outcome)

    @property
    def active(self) -> bool:
        return self.closed is None or self.closed[1] not in ("denied", "withdrawn")

    @property
    def lost(self) -> bool:
        """Decided for the buyer (``granted``): a case closed without the seller's resolution."""
        return self.closed is not None and self.closed[1] == "granted"

    @property
    def awaiting_response(self) -> bool:
        return self.responded == INF_TS and self.closed is None


class Chargeback:
    __slots__ = ("closed", "opened", "order_id", "ref")

    def __init__(self, ref: str, order_id: str, opened: int) -> None:
        self.ref = ref
        self.order_id = order_id
        self.opened = opened
        self.closed: tuple[int, str] | None = None

    @property
    def active(self) -> bool:
        return self.closed is None or self.closed[1] != "reversed"


class Return:
    __slots__ = ("feedback", "invalid_rejection", "order_id", "ref", "requested", "responded")

    def __init__(self, ref: str, order_id: str, requested: int) -> None:
        self.ref = ref
        self.order_id = order_id
        self.requested = requested
        self.responded = INF_TS
        self.feedback: tuple[int, int] | None = None  # latest (ts, rating)
        self.invalid_rejection = False


class Violation:
    __slots__ = ("ref", "resolved", "severity", "ts")

    def __init__(self, ref: str, ts: int, severity: str) -> None:
        self.ref = ref
        self.ts = ts
        self.severity = severity
        self.resolved = False
