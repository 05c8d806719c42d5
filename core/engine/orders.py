"""Per-order state, stored column-wise so a large seller's millions of orders stay small.

A Python object per order would cost ~300 bytes; one row across a few ``array('q')`` columns costs
~60, plus the id in the index. Only what decides an outcome is kept: instants of placement, promises,
first shipment, first delivery, first cancellations, and a flag word. Rare state (feedback, claims,
chargebacks) lives in side tables of the account.
"""

from __future__ import annotations

from array import array

NO_TS = -(2**63)  # "never happened"; compares below every real instant
INF_TS = 2**63 - 1  # "not yet": compares above every real instant

# flag bits
AFN = 1
TRACKING = 2  # the first shipment carries a non-empty tracking number
REFUNDED = 4
NEG_FEEDBACK = 8  # active feedback of 1 or 2 stars
CLAIM = 16  # at least one active A-to-z claim
CHARGEBACK = 32  # at least one active chargeback
DEFECT = NEG_FEEDBACK | CLAIM | CHARGEBACK


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
        "free",
        "index",
        "placed",
        "placed_day",
        "seller_cancel",
        "ship_by",
        "shipped",
    )  # fmt: skip

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.free: list[int] = []
        self.placed = array("q")
        self.placed_day = array("i")  # local day of ``placed``: read by most outcomes, so kept
        self.ship_by = array("q")
        self.deliver_by = array("q")
        self.shipped = array("q")
        self.delivered = array("q")
        self.seller_cancel = array("q")
        self.any_cancel = array("q")
        self.flags = array("B")
        # The seller-feedback timeline reduced to what decides it: the latest feedback (by ts, then
        # rating) and the latest removal; the feedback counts unless a removal is at or after it.
        self.feedback_ts = array("q")
        self.feedback_rating = array("B")  # 0: no feedback
        self.feedback_removed = array("q")

    def __len__(self) -> int:
        return len(self.index)

    def add(
        self, order_id: str, placed: int, placed_day: int, ship_by: int, deliver_by: int, afn: bool
    ) -> int:
        flags = AFN if afn else 0
        if self.free:
            row = self.free.pop()
            self.placed[row] = placed
            self.placed_day[row] = placed_day
            self.ship_by[row] = ship_by
            self.deliver_by[row] = deliver_by
            self.shipped[row] = INF_TS
            self.delivered[row] = INF_TS
            self.seller_cancel[row] = INF_TS
            self.any_cancel[row] = INF_TS
            self.flags[row] = flags
            self.feedback_ts[row] = NO_TS
            self.feedback_rating[row] = 0
            self.feedback_removed[row] = NO_TS
        else:
            row = len(self.placed)
            self.placed.append(placed)
            self.placed_day.append(placed_day)
            self.ship_by.append(ship_by)
            self.deliver_by.append(deliver_by)
            self.shipped.append(INF_TS)
            self.delivered.append(INF_TS)
            self.seller_cancel.append(INF_TS)
            self.any_cancel.append(INF_TS)
            self.flags.append(flags)
            self.feedback_ts.append(NO_TS)
            self.feedback_rating.append(0)
            self.feedback_removed.append(NO_TS)
        self.index[order_id] = row
        return row

    def remove(self, order_id: str) -> None:
        row = self.index.pop(order_id)
        self.placed[row] = INF_TS  # a free row is never older than an eviction cutoff
        self.free.append(row)

    def negative_feedback(self, row: int) -> bool:
        rating = self.feedback_rating[row]
        return 0 < rating <= 2 and self.feedback_removed[row] < self.feedback_ts[row]

    def set_flag(self, row: int, bit: int, on: bool) -> None:
        if on:
            self.flags[row] |= bit
        else:
            self.flags[row] &= ~bit & 0xFF
