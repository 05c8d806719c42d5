"""Per-order state, stored column-wise so a large seller's millions of orders stay small.

A Python object per order would cost ~300 bytes; one row across a few ``array('q')`` columns costs
~55, plus ~40 for the id in the :class:`IdIndex`. Only what decides an outcome is kept: instants of
placement, promises, first shipment (and the first whose tracking is known), first delivery, first cancellations, the feedback timeline and a
flag word. Rare state (cancellations, feedback removals, the placements behind an order that several
sources placed) is kept in sparse columns, and claims and chargebacks in side tables of the account.
"""

from __future__ import annotations

from array import array

from .hashtable import HashTable
from .id_index import IdIndex

FREE_DAY = 2**31 - 1  # ``placed_day`` of a row no order holds
NO_TS = -(2**63)  # "never happened"; compares below every real instant
INF_TS = 2**63 - 1  # "not yet": compares above every real instant
# Valid Tracking's shipment of an order none of whose shipments has known tracking; one shared tuple, since
# a seller read through getOrders alone has it for every shipped order
NO_TRACKED_SHIPMENT = (INF_TS, False)

# flag bits
AFN = 1
TRACKING = 2  # the first shipment carries a non-empty tracking number (unknown tracking counts as none)
REFUNDED = 4
NEG_FEEDBACK = 8  # active feedback of 1 or 2 stars
CLAIM = 16  # at least one active A-to-z claim
CHARGEBACK = 32  # at least one active chargeback
NO_CHANNEL = 64  # no placement said MFN or AFN (the order counts as MFN)
CASE_LOST = 128  # a claim (case) of the order was closed for the buyer: granted, without seller resolution
DEFECT = NEG_FEEDBACK | CLAIM | CHARGEBACK

# the placement fields merged one by one (EVENTS.md, "One order, several sources"), in ``givers`` order
MERGED_FIELDS = ("channel", "ship_by", "deliver_by")
_FIELD_BITS = (1, 2, 4)  # of MERGED_FIELDS, in a packed giver (see ``OrderTable.set_givers``)


class OrderTable:
    """Rows of order state addressed by a small integer; ids map to rows through ``index``."""

    __slots__ = (
        "any_cancel",
        "deliver_by",
        "delivered",
        "feedback_rating",
        "feedback_removed",
        "feedback_ts",
        "flags",
        "index",
        "later_giver",
        "mixed_givers",
        "placed",
        "placed_day",
        "refund_reasons",
        "seller_cancel",
        "ship_by",
        "shipped",
        "tracking_shipment",
    )  # fmt: skip

    def __init__(self, seed: int) -> None:
        self.index = IdIndex(seed)  # order id <-> row; it hands out the rows
        self.placed = array("q")
        self.placed_day = array("i")  # local day of ``placed``: read by most outcomes, so kept
        self.ship_by = array("q")
        self.deliver_by = array("q")
        self.shipped = array("q")
        self.delivered = array("q")
        # Sparse columns (row -> instant; a missing row is "never"): most orders are never cancelled and
        # never have feedback removed, and eight bytes a row for them would be a tenth of the table.
        self.seller_cancel: dict[int, int] = {}  # first cancellation by the seller or the marketplace
        self.any_cancel: dict[int, int] = {}  # first cancellation by anyone
        self.flags = array("B")
        # The seller-feedback timeline reduced to what decides it: the latest feedback (by ts, then
        # rating) and the latest removal; the feedback counts unless a removal is at or after it.
        self.feedback_ts = array("q")
        self.feedback_rating = array("B")  # 0: no feedback
        self.feedback_removed: dict[int, int] = {}  # the latest removal
        # the reasons of the order's refunds that gave one (most refunds are of few orders): row -> sorted
        self.refund_reasons: dict[int, tuple[str, ...]] = {}
        # Valid Tracking's shipment: the earliest whose tracking is known (at one instant a tracked one),
        # as (instant, tracked), ``(INF_TS, False)`` for none. Kept only where it is not the first shipment
        # (``shipped`` and ``TRACKING``), i.e. where the first ones' tracking is unknown (getOrders).
        self.tracking_shipment: dict[int, tuple[int, bool]] = {}
        # Which placement gave an order's channel, ship-by and deliver-by, for the orders some of whose
        # fields came from a placement later than the earliest (another source's): see ``givers``. A
        # seller reading two sources has one for most orders, so it is packed: row + 1 -> (that
        # placement's instant - ``placed``) << 3 | the bits of the fields it gave, 16 bytes a slot; the
        # rare order whose fields came from two later instants is in ``mixed_givers``.
        self.later_giver = HashTable("q")
        self.mixed_givers: dict[int, tuple[int, int, int]] = {}

    def __len__(self) -> int:
        return len(self.index)

    def add(
        self, order_id: str, placed: int, placed_day: int, ship_by: int, deliver_by: int, flags: int
    ) -> int:
        """A new order's row; ``flags`` holds its ``AFN`` or ``NO_CHANNEL`` bit."""
        row = self.index.add(order_id)
        if row < len(self.placed):
            self.placed[row] = placed
            self.placed_day[row] = placed_day
            self.ship_by[row] = ship_by
            self.deliver_by[row] = deliver_by
            self.shipped[row] = INF_TS
            self.delivered[row] = INF_TS
            self.flags[row] = flags
            self.feedback_ts[row] = NO_TS
            self.feedback_rating[row] = 0
        else:
            self.placed.append(placed)
            self.placed_day.append(placed_day)
            self.ship_by.append(ship_by)
            self.deliver_by.append(deliver_by)
            self.shipped.append(INF_TS)
            self.delivered.append(INF_TS)
            self.flags.append(flags)
            self.feedback_ts.append(NO_TS)
            self.feedback_rating.append(0)
        return row

    def remove(self, order_id: str) -> None:
        row = self.index.remove(order_id)
        self.placed[row] = INF_TS  # a free row is never older than an eviction cutoff
        self.placed_day[row] = FREE_DAY
        self.seller_cancel.pop(row, None)
        self.any_cancel.pop(row, None)
        self.feedback_removed.pop(row, None)
        self.refund_reasons.pop(row, None)
        self.tracking_shipment.pop(row, None)
        self.later_giver.remove(row + 1)
        self.mixed_givers.pop(row, None)

    def givers(self, row: int) -> tuple[int, int, int]:
        """The instants of the placements that gave the order's (channel, ship_by, deliver_by); a
        field that came with the order date, or that no placement gave, has ``placed``."""
        placed = self.placed[row]
        packed = self.later_giver.get(row + 1, 0)
        if packed:
            later = placed + (packed >> 3)
            channel, ship_by, deliver_by = (later if packed & bit else placed for bit in _FIELD_BITS)
            return channel, ship_by, deliver_by
        return self.mixed_givers.get(row) or (placed, placed, placed)

    def set_givers(self, row: int, placed: int, givers: tuple[int, int, int]) -> None:
        """Keep ``givers`` (as :meth:`givers` gives them) of the order placed at ``placed``."""
        later = {ts for ts in givers if ts != placed}
        packed = 0
        if len(later) == 1:
            (ts,) = later
            packed = (ts - placed) << 3 | sum(
                bit for bit, giver in zip(_FIELD_BITS, givers, strict=True) if giver == ts
            )
        key = row + 1
        if packed != self.later_giver.get(key, 0):
            self.later_giver.remove(key)
            if packed:
                self.later_giver.put(key, packed)
        if len(later) > 1:
            self.mixed_givers[row] = givers
        else:
            self.mixed_givers.pop(row, None)

    def merged_from(self, row: int) -> tuple[tuple[int, tuple[str, ...]], ...]:
        """For an order several placements made up: each placement that gave something, by instant,
        with what it gave (``"date"`` and names of :data:`MERGED_FIELDS`); empty when one gave all."""
        placed = self.placed[row]
        givers = self.givers(row)
        if givers == (placed, placed, placed):
            return ()
        given = (not self.flags[row] & NO_CHANNEL, self.ship_by[row] != NO_TS, self.deliver_by[row] != NO_TS)
        by_instant: dict[int, list[str]] = {placed: ["date"]}
        for name, has, ts in zip(MERGED_FIELDS, given, givers, strict=True):
            if has:
                by_instant.setdefault(ts, []).append(name)
        return tuple((ts, tuple(names)) for ts, names in sorted(by_instant.items()))

    def tracked_shipment(self, row: int) -> tuple[int, bool]:
        """The shipment Valid Tracking judges, as (instant, tracked): ``(INF_TS, False)`` when no shipment's
        tracking is known (the order is outside its population)."""
        kept = self.tracking_shipment.get(row)
        if kept is not None:
            return kept
        return self.shipped[row], bool(self.flags[row] & TRACKING)

    def set_shipments(
        self, row: int, shipped: int, tracked: bool, tracking_shipment: tuple[int, bool]
    ) -> None:
        """Keep the first shipment (``shipped``, ``tracked``) and Valid Tracking's (see
        :meth:`tracked_shipment`), the latter only where it differs from the former."""
        self.shipped[row] = shipped
        self.set_flag(row, TRACKING, tracked)
        if tracking_shipment == (shipped, tracked):
            self.tracking_shipment.pop(row, None)
        elif tracking_shipment == NO_TRACKED_SHIPMENT:
            self.tracking_shipment[row] = NO_TRACKED_SHIPMENT
        else:
            self.tracking_shipment[row] = tracking_shipment

    def negative_feedback(self, row: int) -> bool:
        rating = self.feedback_rating[row]
        return 0 < rating <= 2 and self.feedback_removed.get(row, NO_TS) < self.feedback_ts[row]

    def set_flag(self, row: int, bit: int, on: bool) -> None:
        if on:
            self.flags[row] |= bit
        else:
            self.flags[row] &= ~bit & 0xFF
