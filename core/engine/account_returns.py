"""An account's return requests: requested, responded to, rated, rejections ruled invalid.

A part of :class:`~.account.AccountState` (a mixin: it works on the state the account holds).
"""

from __future__ import annotations

from collections.abc import Callable

from ..events import Event
from .orders import INF_TS
from .outcomes import return_outcome
from .records import Return
from .series import Outcome


class ReturnEvents:
    def _return_changed(self, ret: Return, before: list[Outcome | None]) -> None:
        after = [return_outcome(ret, threshold, self.days.day) for _, threshold in self._return_series]
        for (series, _), old, new in zip(self._return_series, before, after, strict=True):
            if old != new:
                if old is not None:
                    series.retract(ret.ref, old)
                series.insert(ret.ref, new)
        queue = self.queues.get("returns_awaiting_response")
        if queue is not None:
            if ret.responded == INF_TS:
                deadline = ret.requested + self._queue_hours["returns_awaiting_response"]
                queue.add(ret.ref, deadline, 0, (ret.order_id, ret.requested))
            else:
                queue.discard(ret.ref)

    def _return_outcomes(self, ret: Return) -> list[Outcome | None]:
        return [return_outcome(ret, threshold, self.days.day) for _, threshold in self._return_series]

    def _on_return_requested(self, e: Event) -> None:
        if e.order_id not in self.orders.index:
            self._hold(e.order_id, e)
            return
        ret = self.returns.get(e.ref)
        if ret is None:
            if e.ts < self.cutoffs[0]:
                return  # older than the retention (see ``cutoffs``)
            ret = self.returns[e.ref] = Return(e.ref, e.order_id, e.ts)
            self._return_changed(ret, [None] * len(self._return_series))
            self._release(self.orphans_by_ref, ("return", e.ref))
        elif e.ts < ret.requested:
            before = self._return_outcomes(ret)
            ret.requested = e.ts
            self._return_changed(ret, before)

    def _update_return(self, e: Event, change: Callable[[Return], bool]) -> None:
        ret = self.returns.get(e.ref)
        if ret is None:
            self._hold(("return", e.ref), e)
            return
        before = self._return_outcomes(ret)
        if change(ret):
            self._return_changed(ret, before)

    def _on_return_responded(self, e: Event) -> None:
        def change(ret: Return) -> bool:
            if e.ts >= ret.responded:
                return False
            ret.responded = e.ts
            return True

        self._update_return(e, change)

    def _on_return_feedback(self, e: Event) -> None:
        def change(ret: Return) -> bool:
            if ret.feedback is not None and (e.ts, e.rating) <= ret.feedback:
                return False
            ret.feedback = (e.ts, e.rating)
            return True

        self._update_return(e, change)

    def _on_return_invalid_rejection(self, e: Event) -> None:
        def change(ret: Return) -> bool:
            if ret.invalid_rejection:
                return False
            ret.invalid_rejection = True
            return True

        self._update_return(e, change)

    # policy violations
