"""Amazon order statuses (SP-API Orders v0 ``Order`` objects) turned into canonical order events.

One mapping for every source that reads ``getOrders`` answers (the ``http`` source in its
``sp-api-orders`` format and the ``sp-api`` source), so an order gives the same events whichever reads it.

An order becomes ``order_placed`` (at ``PurchaseDate``, with ``LatestShipDate`` and ``LatestDeliveryDate``
as the promises), then ``order_shipped`` or ``order_cancelled`` (at ``LastUpdateDate``), with ids
``ORDER:placed`` / ``:shipped`` / ``:cancelled``, each emitted once however often the order comes back.
``Pending`` orders wait: their promises are not known yet. ``getOrders`` carries no tracking numbers, so
its shipments' tracking is unknown (``None``): they count for Late Shipment but not for Valid Tracking,
which a source that sees the numbers decides.
"""

from __future__ import annotations

from typing import Any

from sellerpulse.core.events import Event, EventError, parse_event

WAITING_STATUSES = frozenset({"Pending", "PendingAvailability"})
SHIPPED_STATUSES = frozenset({"Shipped", "PartiallyShipped"})
PLACED, SHIPPED, CANCELLED = 1, 2, 4
ORDERS_KEPT = 500_000  # order statuses remembered; the oldest half is forgotten beyond this


class OrderStatusEvents:
    """The events each order's status calls for, remembering which were emitted (each status once).

    ``cancelled_by`` is who cancelled: ``getOrders`` does not say. An order that fails (a
    :class:`~sellerpulse.core.events.EventError`) is not marked: its statuses come again with its next
    update.
    """

    def __init__(self, account: str, cancelled_by: str) -> None:
        self.account = account
        self.cancelled_by = cancelled_by
        self._done: dict[str, int] = {}  # order id -> statuses already emitted

    def events(self, order: Any) -> list[Event]:
        """The events of ``order`` (a getOrders ``Order`` object) not emitted yet."""
        if not isinstance(order, dict):
            raise EventError("expected an order object")
        order_id = _text(order, "AmazonOrderId")
        status = _text(order, "OrderStatus")
        if status in WAITING_STATUSES:
            return []
        updated = _text(order, "LastUpdateDate")
        account = self.account
        done = self._done.get(order_id, 0)
        events: list[Event] = []
        if not done & PLACED:
            total = order.get("OrderTotal")
            channel = order.get("FulfillmentChannel") or ""  # unknown: another source may give it
            events.append(parse_event({
                "ts": _text(order, "PurchaseDate"), "kind": "order_placed", "order_id": order_id,
                "account": account, "event_id": f"{order_id}:placed", "channel": channel,
                "ship_by": order.get("LatestShipDate"), "deliver_by": order.get("LatestDeliveryDate"),
                "amount": total.get("Amount") if isinstance(total, dict) else None,
            }))  # fmt: skip
            done |= PLACED
        if status in SHIPPED_STATUSES and not done & (SHIPPED | CANCELLED):
            events.append(parse_event({
                "ts": updated, "kind": "order_shipped", "order_id": order_id, "account": account,
                "event_id": f"{order_id}:shipped", "tracking": None,
            }))  # fmt: skip
            done |= SHIPPED
        elif status == "Canceled" and not done & (SHIPPED | CANCELLED):
            events.append(parse_event({
                "ts": updated, "kind": "order_cancelled", "order_id": order_id, "account": account,
                "event_id": f"{order_id}:cancelled", "by": self.cancelled_by,
            }))  # fmt: skip
            done |= CANCELLED
        self._done[order_id] = done
        return events

    def trim(self) -> None:
        """Forget the oldest half of the orders beyond :data:`ORDERS_KEPT` (memory stays bounded; a
        forgotten order that comes back again repeats ids the engine already holds, and is dropped)."""
        if len(self._done) > ORDERS_KEPT:
            for order_id in list(self._done)[: ORDERS_KEPT // 2]:
                del self._done[order_id]


def _text(order: dict[str, Any], name: str) -> str:
    value = order.get(name)
    if not isinstance(value, str) or not value.strip():
        raise EventError(f"order has no {name}")
    return value
