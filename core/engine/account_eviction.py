"""Dropping an account's state older than its retention horizon (by event time), keeping what windows
that outlive orders still need (feedback for the feedback score).

A part of :class:`~.account.AccountState` (a mixin: it works on the state the account holds).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..events import Event
from .deadlines import DeadlineIndex
from .orders import NO_TS
from .outcomes import OUTLIVES_ORDERS, violation_outcome


class Eviction:
    def evict(self) -> None:
        """Drop state older than the retention horizon, by event time (the watermark).

        Runs when the watermark crosses into a new day, so its scans cost O(state) once a day.
        """
        cutoff_day = self.days.day(self.watermark) - self.retention_days
        self._next_eviction = self.days.start(self.days.day(self.watermark) + 1)
        cutoff = self.days.start(cutoff_day)
        self.seen.cutoff_day = cutoff_day
        gone_cutoff = cutoff_day - self._feedback_days
        self.gone.cutoff_day = gone_cutoff
        day = self.days.day
        for order_id in [
            o for o, (ts, _, removed) in self.gone_feedback.items() if day(max(ts, removed)) < gone_cutoff
        ]:
            del self.gone_feedback[order_id]
        t = self.orders
        for old_day in [d for d in self.placed_by_day if d < cutoff_day]:
            for row in self.placed_by_day.pop(old_day):
                # A row is listed under every day an order in it was placed on: the order goes with its
                # current day, and a row freed (or reused by a newer order) since is left alone.
                if t.placed_day[row] == old_day:
                    self._evict_order(t.index.id_of(row), row)
        for ref in [r for r, m in self.messages.items() if m.received < cutoff]:
            self._evict_message(ref)
        for ref in [r for r, x in self.returns.items() if x.requested < cutoff]:
            ret = self.returns.pop(ref)
            for (series, _), old in zip(self._return_series, self._return_outcomes(ret), strict=True):
                if old is not None:
                    series.retract(ref, old)
            self.queues.get("returns_awaiting_response", DeadlineIndex()).discard(ref)
        for ref in [r for r, v in self.violations.items() if v.ts < cutoff]:
            violation = self.violations.pop(ref)
            old = violation_outcome(violation, self.days.day)
            if old is not None:
                for series in self._violation_series:
                    series.retract(ref, old)
        # a feedback still counts in a feedback score for longer: its orphans wait as long
        feedback_cutoff = self.days.start(gone_cutoff)
        self.cutoffs = (cutoff, feedback_cutoff)
        for table in (self.orphans_by_order, self.orphans_by_ref):
            for key in [k for k, held in table.items() if expired(held, cutoff, feedback_cutoff)]:
                self.orphan_count -= len(table.pop(key))

    def _evict_order(self, order_id: str, row: int, day: int | None = None) -> None:
        """Let the order go (``day``: the placement day to remember it by, when not its row's)."""
        for series, old in zip(self._all_orders[1], self._order_outcomes(row), strict=True):
            # the feedback score keeps counting feedback of orders too old to keep (buyers still see it)
            if old is not None and series.rule not in OUTLIVES_ORDERS:
                series.retract(order_id, old)
        if "orders_to_ship" in self.queues:
            self.queues["orders_to_ship"].discard(order_id)
        for ref in self.order_claims.pop(order_id, ()):
            self.claims.pop(ref, None)
            if "claims_awaiting_response" in self.queues:
                self.queues["claims_awaiting_response"].discard(ref)
        for ref in self.order_chargebacks.pop(order_id, ()):
            self.chargebacks.pop(ref, None)
        t = self.orders
        self.gone.add(order_id, t.placed_day[row] if day is None else day)
        if t.feedback_rating[row] or row in t.feedback_removed:
            self.gone_feedback[order_id] = [
                t.feedback_ts[row],
                t.feedback_rating[row],
                t.feedback_removed.get(row, NO_TS),
            ]
        self.orders.remove(order_id)

    def _evict_message(self, ref: str) -> None:
        msg = self.messages.pop(ref)
        for (series, _, _), old in zip(self._message_series, self._message_outcomes(msg), strict=True):
            if old is not None:
                series.retract(ref, old)
        if "messages_awaiting_reply" in self.queues:
            self.queues["messages_awaiting_reply"].discard(ref)


def expired(held: Sequence[Event], cutoff: int, feedback_cutoff: int) -> bool:
    """Whether events held for an item not seen yet are past the retention horizon (feedback is
    kept longer: the feedback score's windows outlive orders)."""
    latest = max(event.ts for event in held)
    if any(event.kind in ("feedback", "feedback_removed") for event in held):
        return latest < feedback_cutoff
    return latest < cutoff
