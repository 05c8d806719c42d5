"""An account's A-to-z claims and chargebacks: opened, responded to, closed, and the order flags and
queue items they set.

A part of :class:`~.account.AccountState` (a mixin: it works on the state the account holds).
"""

from __future__ import annotations

from typing import Any

from ..events import Event
from .orders import CASE_LOST, CHARGEBACK, CLAIM
from .records import Chargeback, Claim


class CaseEvents:
    def _open_case(
        self,
        e: Event,
        cases: dict[str, Any],
        by_order: dict[str, list[str]],
        make: type,
        refresh: Any,
        family: str,
    ) -> None:
        if e.order_id not in self.orders.index:
            self._hold(e.order_id, e)
            return
        case = cases.get(e.ref)
        if case is None:
            case = cases[e.ref] = make(e.ref, e.order_id, e.ts)
            by_order.setdefault(e.order_id, []).append(e.ref)
            refresh(case)
            self._release(self.orphans_by_ref, (family, e.ref))
        elif e.ts < case.opened:
            case.opened = e.ts
            refresh(case)

    def _close_case(self, e: Event, cases: dict[str, Any], refresh: Any, family: str) -> None:
        case = cases.get(e.ref)
        if case is None:
            self._hold((family, e.ref), e)
        elif case.closed is None or (e.ts, e.outcome) > case.closed:
            case.closed = (e.ts, e.outcome)  # the latest close decides
            refresh(case)

    def _on_claim_opened(self, e: Event) -> None:
        self._open_case(e, self.claims, self.order_claims, Claim, self._refresh_claim, "claim")

    def _on_claim_responded(self, e: Event) -> None:
        claim = self.claims.get(e.ref)
        if claim is None:
            self._hold(("claim", e.ref), e)
        elif e.ts < claim.responded:
            claim.responded = e.ts
            self._refresh_claim(claim)

    def _on_claim_closed(self, e: Event) -> None:
        self._close_case(e, self.claims, self._refresh_claim, "claim")

    def _refresh_claim(self, claim: Claim) -> None:
        queue = self.queues.get("claims_awaiting_response")
        if queue is not None:
            if claim.awaiting_response:
                deadline = claim.opened + self._queue_hours["claims_awaiting_response"]
                queue.add(claim.ref, deadline, 0, (claim.order_id, claim.opened))
            else:
                queue.discard(claim.ref)
        self._refresh_case_flag(claim.order_id, self.claims, self.order_claims, CLAIM)

    def _on_chargeback_opened(self, e: Event) -> None:
        self._open_case(
            e, self.chargebacks, self.order_chargebacks, Chargeback, self._refresh_chargeback, "chargeback"
        )

    def _on_chargeback_closed(self, e: Event) -> None:
        self._close_case(e, self.chargebacks, self._refresh_chargeback, "chargeback")

    def _refresh_chargeback(self, cb: Chargeback) -> None:
        self._refresh_case_flag(cb.order_id, self.chargebacks, self.order_chargebacks, CHARGEBACK)

    def _refresh_case_flag(
        self, order_id: str, cases: dict[str, Any], by_order: dict[str, list[str]], bit: int
    ) -> None:
        refs = by_order[order_id]
        row = self.orders.index[order_id]
        self._refresh_flag(order_id, row, bit, any(cases[ref].active for ref in refs))
        if bit == CLAIM:
            self._refresh_flag(order_id, row, CASE_LOST, any(cases[ref].lost for ref in refs))

    # messages
