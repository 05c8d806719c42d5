"""An account's orders as events change them: placement (and merges of several placements), shipment,
delivery, cancellation, refund and feedback, and the orders-to-ship queue they move items in and out of.

A part of :class:`~.account.AccountState` (a mixin: it works on the state the account holds).
"""

from __future__ import annotations

from array import array

from ..events import Event
from .orders import AFN, INF_TS, NEG_FEEDBACK, NO_CHANNEL, NO_TS, REFUNDED, TRACKING
from .outcomes import feedback_score_outcome
from .series import Outcome


class OrderEvents:
    def _refresh_to_ship(self, order_id: str, row: int) -> None:
        queue = self.queues.get("orders_to_ship")
        if queue is None:
            return
        t = self.orders
        waiting = (
            t.shipped[row] == INF_TS
            and row not in t.any_cancel
            and t.ship_by[row] != NO_TS
            and not t.flags[row] & AFN
        )
        if waiting:
            if order_id not in queue:
                queue.add(order_id, t.ship_by[row], 0, (order_id, t.placed[row]))
        else:
            queue.discard(order_id)

    def _on_order_placed(self, e: Event) -> None:
        t = self.orders
        ship_by = NO_TS if e.ship_by is None else e.ship_by
        deliver_by = NO_TS if e.deliver_by is None else e.deliver_by
        row = t.index.get(e.order_id)
        if row is None and e.order_id in self.gone:
            return  # an evicted order sent again: it is older than every window that needs it
        if row is None:
            day = self.days.day(e.ts)
            if e.ts < self.cutoffs[0]:
                self._arrived_evicted(e.order_id, day)
                return
            flags = AFN if e.channel == "AFN" else NO_CHANNEL if not e.channel else 0
            row = t.add(e.order_id, e.ts, day, ship_by, deliver_by, flags)
            self._placed_on(day, row)
            self._order_changed(e.order_id, row, self._no_order_outcomes)
            self._release(self.orphans_by_order, e.order_id)
            return
        self._merge_placement(e, row)

    def _merge_placement(self, e: Event, row: int) -> None:
        """Another placement of a placed order (another source's, say): the order date is the earliest
        ``ts``, and each of channel, ship-by and deliver-by comes from the earliest placement that has
        it; at one instant the smaller value wins (the earlier date; MFN before AFN), never the first
        to arrive. A placement that lacks a field leaves it alone, so a report without ship-by dates
        cannot erase the API's, even when its dates cut to the minute make it the earliest."""
        t = self.orders
        placed, flags, ship_by, deliver_by = t.placed[row], t.flags[row], t.ship_by[row], t.deliver_by[row]
        channel_ts, ship_by_ts, deliver_by_ts = t.givers(row)
        if e.channel:
            afn = AFN if e.channel == "AFN" else 0
            if flags & NO_CHANNEL or (e.ts, afn) < (channel_ts, flags & AFN):
                channel_ts, flags = e.ts, flags & ~(AFN | NO_CHANNEL) | afn
        if e.ship_by is not None and (ship_by == NO_TS or (e.ts, e.ship_by) < (ship_by_ts, ship_by)):
            ship_by_ts, ship_by = e.ts, e.ship_by
        if e.deliver_by is not None and (
            deliver_by == NO_TS or (e.ts, e.deliver_by) < (deliver_by_ts, deliver_by)
        ):
            deliver_by_ts, deliver_by = e.ts, e.deliver_by
        earliest = min(placed, e.ts)
        if earliest < self.cutoffs[0]:
            # placed before the retention after all: let go at once, as the next eviction would (and as
            # a first placement that old is), so the state does not depend on which placement came first
            self._evict_order(e.order_id, row, self.days.day(earliest))
            return
        # a field nobody gave reads as given with the date, so only a merge that took a field keeps one
        givers = (
            earliest if flags & NO_CHANNEL else channel_ts,
            earliest if ship_by == NO_TS else ship_by_ts,
            earliest if deliver_by == NO_TS else deliver_by_ts,
        )
        t.set_givers(row, earliest, givers)
        current = (t.placed[row], t.flags[row], t.ship_by[row], t.deliver_by[row])
        if (earliest, flags, ship_by, deliver_by) == current:
            return
        before = self._order_outcomes(row)
        t.placed[row], t.flags[row], t.ship_by[row], t.deliver_by[row] = earliest, flags, ship_by, deliver_by
        day = self.days.day(earliest)
        if day != t.placed_day[row]:
            t.placed_day[row] = day
            self._placed_on(day, row)
        queue = self.queues.get("orders_to_ship")
        if queue is not None:
            queue.discard(e.order_id)  # its deadline or its date may have changed: listed anew
        self._order_changed(e.order_id, row, before)

    def _arrived_evicted(self, order_id: str, day: int) -> None:
        """A first placement older than the retention: the order is remembered as evicted, as the next
        eviction would have left it. Only its feedback still counts."""
        self.gone.add(order_id, day)
        held = self.orphans_by_order.pop(order_id, None)
        if held:
            self.orphan_count -= len(held)
            for event in held:
                if event.kind in ("feedback", "feedback_removed"):
                    self._gone_feedback(event)

    def _placed_on(self, day: int, row: int) -> None:
        """List the order's row under its placement day, so eviction finds the old ones without a scan."""
        rows = self.placed_by_day.get(day)
        if rows is None:
            self.placed_by_day[day] = array("i", (row,))
        else:
            rows.append(row)

    def _on_order_shipped(self, e: Event) -> None:
        t = self.orders
        row = t.index.get(e.order_id)
        if row is None:
            self._hold(e.order_id, e)
            return
        # the first shipment (at one instant a tracked one), and Valid Tracking's: the first whose
        # tracking is known (``None`` is unknown)
        shipment = (e.ts, not e.tracking)
        first = (t.shipped[row], not t.flags[row] & TRACKING)
        judged = t.tracked_shipment(row)
        judged_key = (judged[0], not judged[1])
        if shipment >= first and (e.tracking is None or shipment >= judged_key):
            return
        before = self._order_outcomes(row, "shipped")
        first = min(first, shipment)
        if e.tracking is not None:
            judged_key = min(judged_key, shipment)
        t.set_shipments(row, first[0], not first[1], (judged_key[0], not judged_key[1]))
        self._order_changed(e.order_id, row, before, "shipped")

    def _on_order_delivered(self, e: Event) -> None:
        t = self.orders
        row = t.index.get(e.order_id)
        if row is None:
            self._hold(e.order_id, e)
            return
        if e.ts >= t.delivered[row]:
            return
        before = self._order_outcomes(row, "delivered")
        t.delivered[row] = e.ts
        self._order_changed(e.order_id, row, before, "delivered")

    def _on_order_cancelled(self, e: Event) -> None:
        t = self.orders
        row = t.index.get(e.order_id)
        if row is None:
            self._hold(e.order_id, e)
            return
        by_seller = e.by in ("seller", "marketplace")
        any_cancel = t.any_cancel.get(row, INF_TS)
        seller_cancel = t.seller_cancel.get(row, INF_TS)
        if e.ts >= any_cancel and (not by_seller or e.ts >= seller_cancel):
            return
        before = self._order_outcomes(row, "cancelled")
        t.any_cancel[row] = min(any_cancel, e.ts)
        if by_seller:
            t.seller_cancel[row] = min(seller_cancel, e.ts)
        self._order_changed(e.order_id, row, before, "cancelled")

    def _on_refund(self, e: Event) -> None:
        t = self.orders
        row = t.index.get(e.order_id)
        if row is None:
            self._hold(e.order_id, e)
            return
        reasons = t.refund_reasons.get(row, ())
        if t.flags[row] & REFUNDED and (not e.reason or e.reason in reasons):
            return
        before = self._order_outcomes(row, REFUNDED)
        t.set_flag(row, REFUNDED, True)
        if e.reason:
            t.refund_reasons[row] = tuple(sorted({*reasons, e.reason}))
        self._order_changed(e.order_id, row, before, REFUNDED)

    def _on_feedback(self, e: Event) -> None:
        t = self.orders
        row = t.index.get(e.order_id)
        if row is None:
            if e.order_id in self.gone:
                self._gone_feedback(e)
            else:
                self._hold(e.order_id, e)
        elif (e.ts, e.rating) > (t.feedback_ts[row], t.feedback_rating[row]):
            before = self._order_outcomes(row, "feedback")
            t.feedback_ts[row] = e.ts
            t.feedback_rating[row] = e.rating
            t.set_flag(row, NEG_FEEDBACK, t.negative_feedback(row))
            self._order_changed(e.order_id, row, before, "feedback")

    def _on_feedback_removed(self, e: Event) -> None:
        t = self.orders
        row = t.index.get(e.order_id)
        if row is None:
            if e.order_id in self.gone:
                self._gone_feedback(e)
            else:
                self._hold(e.order_id, e)
        elif e.ts > t.feedback_removed.get(row, NO_TS):
            before = self._order_outcomes(row, "feedback")
            t.feedback_removed[row] = e.ts
            t.set_flag(row, NEG_FEEDBACK, t.negative_feedback(row))
            self._order_changed(e.order_id, row, before, "feedback")

    def _gone_feedback(self, e: Event) -> None:
        """Feedback (or its removal) for an order already evicted: only the feedback score, whose
        windows outlive the order's, still depends on it."""
        state = self.gone_feedback.setdefault(e.order_id, [NO_TS, 0, NO_TS])
        before = self._gone_outcome(state)
        if e.kind == "feedback":
            if (e.ts, e.rating) > (state[0], state[1]):
                state[0], state[1] = e.ts, e.rating
        else:
            state[2] = max(state[2], e.ts)
        after = self._gone_outcome(state)
        if after != before:
            for series in self._feedback_score_series:
                if before is not None:
                    series.retract(e.order_id, before)
                if after is not None:
                    series.insert(e.order_id, after)

    def _gone_outcome(self, state: list[int]) -> Outcome | None:
        fb_ts, rating, removed = state
        return feedback_score_outcome(rating, fb_ts, removed, self.days.day)

    def _refresh_flag(self, order_id: str, row: int, bit: int, on: bool) -> None:
        t = self.orders
        if bool(t.flags[row] & bit) == on:
            return
        before = self._order_outcomes(row, bit)
        t.set_flag(row, bit, on)
        self._order_changed(order_id, row, before, bit)

    # claims and chargebacks: "cases" of an order that make it defective while they are active
