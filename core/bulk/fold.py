"""One order's events reduced to the state the engine keeps of it, in any order of arrival.

Each field is an order-independent reduction (a minimum or a maximum over a key), the same ones the
incremental engine's handlers converge to (``core/engine/account.py``): the earliest placement; channel,
ship-by and deliver-by each from the earliest placement that has it, at one instant the smaller value;
the first shipment (at one instant, a tracked one wins), and the same among the shipments whose tracking
is known (Valid Tracking's); the first delivery; the first cancellation by
anyone and by the seller or the marketplace; any refund, and every reason a refund gave; the latest
feedback by (ts, rating); the latest removal. The differential test (tests/test_bulk_property.py) and
tests/test_bulk_loader.py hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable

from ..engine.orders import AFN, INF_TS, NO_CHANNEL, NO_TRACKED_SHIPMENT, NO_TS, REFUNDED, TRACKING
from ..events import Event


class FoldedOrder:
    """What the events of one order seen so far leave of it (``placed`` is ``INF_TS`` until a placement)."""

    __slots__ = (
        "any_cancel", "channel", "deliver_by_given", "delivered", "feedback", "latest", "placed",
        "refund_reasons", "refunded", "removed", "seller_cancel", "ship_by_given", "shipped", "tracked",
        "tracking_shipment",
    )  # fmt: skip

    def __init__(self) -> None:
        self.placed = INF_TS
        self.channel: tuple[int, int] | None = None  # (ts, AFN bit) of the placement giving the channel
        self.ship_by_given: tuple[int, int] | None = None  # (ts, ship_by)
        self.deliver_by_given: tuple[int, int] | None = None  # (ts, deliver_by)
        self.shipped = INF_TS
        self.tracked = False
        self.tracking_shipment = NO_TRACKED_SHIPMENT  # (ts, tracked) of the first whose tracking is known
        self.delivered = INF_TS
        self.any_cancel = INF_TS
        self.seller_cancel = INF_TS
        self.refunded = False
        self.refund_reasons: set[str] = set()  # the reasons the refunds gave
        self.feedback = (NO_TS, 0)
        self.removed = NO_TS
        self.latest = NO_TS  # the latest instant of the events folded (the account's watermark moves to it)

    def add(self, event: Event) -> None:
        _FOLDS[event.kind](self, event)
        if event.ts > self.latest:
            self.latest = event.ts

    @property
    def ship_by(self) -> int:
        return NO_TS if self.ship_by_given is None else self.ship_by_given[1]

    @property
    def deliver_by(self) -> int:
        return NO_TS if self.deliver_by_given is None else self.deliver_by_given[1]

    @property
    def flags(self) -> int:
        """The order's flag word (``core/engine/orders.py``) but for the feedback bit, which
        ``AccountState.load_order`` derives as the engine does."""
        channel = NO_CHANNEL if self.channel is None else self.channel[1]
        return channel | (TRACKING if self.tracked else 0) | (REFUNDED if self.refunded else 0)

    @property
    def givers(self) -> tuple[int, int, int]:
        """The instants of the placements that gave (channel, ship_by, deliver_by), as
        ``OrderTable.givers``: the order date for a field no placement gave."""
        given = (self.channel, self.ship_by_given, self.deliver_by_given)
        return tuple(self.placed if pair is None else pair[0] for pair in given)  # type: ignore[return-value]


def _placed(fold: FoldedOrder, e: Event) -> None:
    if e.ts < fold.placed:
        fold.placed = e.ts
    if e.channel:
        channel = (e.ts, AFN if e.channel == "AFN" else 0)
        if fold.channel is None or channel < fold.channel:
            fold.channel = channel
    if e.ship_by is not None and (fold.ship_by_given is None or (e.ts, e.ship_by) < fold.ship_by_given):
        fold.ship_by_given = (e.ts, e.ship_by)
    if e.deliver_by is not None and (
        fold.deliver_by_given is None or (e.ts, e.deliver_by) < fold.deliver_by_given
    ):
        fold.deliver_by_given = (e.ts, e.deliver_by)


def _shipped(fold: FoldedOrder, e: Event) -> None:
    if e.ts < fold.shipped:
        fold.shipped, fold.tracked = e.ts, bool(e.tracking)
    elif e.ts == fold.shipped and e.tracking:
        fold.tracked = True
    if e.tracking is not None:
        ts, tracked = fold.tracking_shipment
        if e.ts < ts or (e.ts == ts and e.tracking and not tracked):
            fold.tracking_shipment = (e.ts, bool(e.tracking))


def _delivered(fold: FoldedOrder, e: Event) -> None:
    if e.ts < fold.delivered:
        fold.delivered = e.ts


def _cancelled(fold: FoldedOrder, e: Event) -> None:
    if e.ts < fold.any_cancel:
        fold.any_cancel = e.ts
    if e.by in ("seller", "marketplace") and e.ts < fold.seller_cancel:
        fold.seller_cancel = e.ts


def _refund(fold: FoldedOrder, e: Event) -> None:
    fold.refunded = True
    if e.reason:
        fold.refund_reasons.add(e.reason)


def _feedback(fold: FoldedOrder, e: Event) -> None:
    if (e.ts, e.rating) > fold.feedback:
        fold.feedback = (e.ts, e.rating)


def _feedback_removed(fold: FoldedOrder, e: Event) -> None:
    if e.ts > fold.removed:
        fold.removed = e.ts


_FOLDS: dict[str, Callable[[FoldedOrder, Event], None]] = {
    "order_placed": _placed,
    "order_shipped": _shipped,
    "order_delivered": _delivered,
    "order_cancelled": _cancelled,
    "refund": _refund,
    "feedback": _feedback,
    "feedback_removed": _feedback_removed,
}
# the event kinds that are about one order, named by its ``order_id``, and folded here
ORDER_KINDS = frozenset(_FOLDS)
