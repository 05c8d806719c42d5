"""The items behind a metric's bad outcomes, with a reason a person can act on.

Used by the dashboard's drill-down and the plan-of-action draft; it scans the items held (O(items)),
which is fine on demand and never done by a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..profile import MetricSpec
from ..timeutil import US_PER_HOUR, from_us, human_duration
from .account import AccountState
from .orders import INF_TS, NO_TS, REFUNDED
from .outcomes import (
    MESSAGE_RULES,
    ORDER_RULES,
    RETURN_RULES,
    message_outcome,
    order_outcomes,
    return_outcome,
)


@dataclass(frozen=True, slots=True)
class BadOutcome:
    key: str  # order id, or the ref of a message / return / violation
    order_id: str
    day: int  # attribution day (ordinal)
    reason: str
    when: int  # the instant that made it bad (microseconds)
    # An order several placements made up (several sources placed it): each placement that gave
    # something, by instant, with what it gave ("date", "channel", "ship_by", "deliver_by"). The
    # reason ends with the same in words. Empty when one placement gave the date and every field.
    placed_by: tuple[tuple[int, tuple[str, ...]], ...] = ()


def bad_outcomes(
    acc: AccountState, spec: MetricSpec, at: int, days: tuple[int, int] | None = None
) -> list[BadOutcome]:
    """The bad outcomes attributed to the metric's window as of ``at``, or to the local days ``days``
    (first, last) when given."""
    lo, hi = days or acc.window(spec, acc.days.day(at))
    out: list[BadOutcome] = []

    def is_bad(outcome) -> bool:
        if outcome is None or not lo <= outcome[0] <= hi:
            return False
        deadline = outcome[2]
        return outcome[1] or (deadline is not None and deadline < at)

    if spec.rule in ORDER_RULES:
        specs = ((spec.rule, spec.channel, spec.reasons),)
        for order_id, row in acc.orders.index.items():
            outcome = order_outcomes(acc.orders, row, acc.days.day, specs)[0]
            if is_bad(outcome):
                reason, when = _order_reason(acc, spec.rule, order_id, row, spec.reasons)
                placed_by = acc.orders.merged_from(row)
                if placed_by:
                    reason = f"{reason}; {_placements(acc, placed_by)}"
                out.append(BadOutcome(order_id, order_id, outcome[0], reason, when, placed_by))
    elif spec.rule in MESSAGE_RULES:
        threshold = (spec.threshold_hours or 0) * US_PER_HOUR
        for ref, msg in acc.messages.items():
            outcome = message_outcome(msg, spec.rule, threshold, acc.days.day)
            if spec.rule == "contact_response" and is_bad(outcome):
                if msg.replied == INF_TS:
                    reason, when = (
                        f"no reply for {human_duration(at - msg.received)}",
                        msg.received + threshold,
                    )
                else:
                    reason, when = f"replied after {human_duration(msg.replied - msg.received)}", msg.replied
                out.append(BadOutcome(ref, msg.order_id, outcome[0], reason, when))
    elif spec.rule in RETURN_RULES:
        threshold = (spec.threshold_hours or 0) * US_PER_HOUR
        for ref, ret in acc.returns.items():
            outcome = return_outcome(ret, threshold, acc.days.day)
            if is_bad(outcome):
                causes = []
                if ret.feedback is not None and ret.feedback[1] <= 2:
                    causes.append(f"return rated {_stars(ret.feedback[1])}")
                if ret.invalid_rejection:
                    causes.append("rejection ruled invalid")
                if ret.responded == INF_TS:
                    if at - ret.requested > threshold:
                        causes.append(f"no response for {human_duration(at - ret.requested)}")
                elif ret.responded - ret.requested > threshold:
                    causes.append(f"responded after {human_duration(ret.responded - ret.requested)}")
                out.append(BadOutcome(ref, ret.order_id, outcome[0], "; ".join(causes), ret.requested))
    else:
        for ref, violation in acc.violations.items():
            day = acc.days.day(violation.ts)
            if not violation.resolved and lo <= day <= hi:
                label = (
                    f"open policy violation ({violation.severity})"
                    if violation.severity
                    else "open policy violation"
                )
                out.append(BadOutcome(ref, "", day, label, violation.ts))
    out.sort(key=lambda b: (b.day, b.when, b.key))
    return out


def _order_reason(
    acc: AccountState, rule: str, order_id: str, row: int, reasons: tuple[str, ...] | None = None
) -> tuple[str, int]:
    t = acc.orders
    causes: list[tuple[str, int]] = []
    if rule in ("defect", "negative_feedback", "perfect_order") and t.negative_feedback(row):
        causes.append((f"negative feedback ({_stars(t.feedback_rating[row])})", t.feedback_ts[row]))
    if rule in ("defect", "claim", "perfect_order"):
        for ref in acc.order_claims.get(order_id, ()):
            claim = acc.claims[ref]
            if claim.active:
                state = claim.closed[1] if claim.closed else "open"
                causes.append((f"A-to-z claim {ref} ({state})", claim.opened))
    if rule in ("defect", "chargeback", "perfect_order"):
        for ref in acc.order_chargebacks.get(order_id, ()):
            cb = acc.chargebacks[ref]
            if cb.active:
                causes.append((f"chargeback {ref}", cb.opened))
    shipped, ship_by = t.shipped[row], t.ship_by[row]
    seller_cancel = t.seller_cancel.get(row, INF_TS)
    if rule in ("case_lost", "transaction_defect"):
        for ref in acc.order_claims.get(order_id, ()):
            claim = acc.claims[ref]
            if claim.lost and claim.closed is not None:
                causes.append((f"case {ref} closed for the buyer without seller resolution", claim.closed[0]))
    if rule in ("seller_cancel", "perfect_order", "transaction_defect") and seller_cancel < shipped:
        causes.append(("cancelled by the seller before shipping", seller_cancel))
    if (
        rule in ("late_shipment", "perfect_order")
        and ship_by != NO_TS
        and t.any_cancel.get(row, INF_TS) >= shipped
    ):
        if shipped == INF_TS:
            causes.append(("not shipped; ship-by date passed", ship_by))
        elif shipped > ship_by:
            causes.append((f"shipped {human_duration(shipped - ship_by)} after ship-by", shipped))
    if rule == "valid_tracking":
        judged, tracked = t.tracked_shipment(row)
        if judged != INF_TS and not tracked:  # known to have none (unknown tracking is never bad)
            causes.append(("shipped without tracking", judged))
    if rule == "on_time_delivery":
        delivered, deliver_by = t.delivered[row], t.deliver_by[row]
        if delivered == INF_TS:
            causes.append(("not delivered; promised date passed", deliver_by))
        else:
            causes.append(
                (f"delivered {human_duration(delivered - deliver_by)} after the promise", delivered)
            )
    if rule == "late_delivery":
        delivered, deliver_by = t.delivered[row], t.deliver_by[row]
        late = (
            "not shipped"
            if shipped == INF_TS
            else f"shipped {human_duration(shipped - ship_by)} after ship-by"
        )
        if delivered == INF_TS:
            causes.append((f"{late}; not delivered; promised date passed", max(ship_by, deliver_by)))
        else:
            causes.append(
                (f"{late}; delivered {human_duration(delivered - deliver_by)} after the promise", delivered)
            )
    if rule in ("refund", "perfect_order") and t.flags[row] & REFUNDED:
        given = t.refund_reasons.get(row, ())
        shown = [r for r in given if reasons is None or r in reasons]
        causes.append(("refunded" + (f" ({', '.join(shown)})" if shown else ""), t.placed[row]))
    if not causes:
        return "bad outcome", t.placed[row]
    return "; ".join(c for c, _ in causes), min(w for _, w in causes)


_FIELD_WORDS = {"date": "order date", "channel": "channel", "ship_by": "ship-by", "deliver_by": "deliver-by"}


def _placements(acc: AccountState, placed_by: tuple[tuple[int, tuple[str, ...]], ...]) -> str:
    """``order date from the placement of 2026-11-15 11:00:00, ship-by from the one of ...`` in the
    account's time zone, to the second (a report cut to the minute and the API differ by seconds)."""
    parts = []
    for n, (ts, names) in enumerate(placed_by):
        words = [_FIELD_WORDS[name] for name in names]
        listed = words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"
        moment = from_us(ts, acc.days.zone)
        stamp = f"{moment:%Y-%m-%d %H:%M:%S}" + (f".{moment.microsecond:06d}" if moment.microsecond else "")
        parts.append(f"{listed} from the {'placement' if n == 0 else 'one'} of {stamp}")
    return ", ".join(parts)


def _stars(rating: int) -> str:
    return "1 star" if rating == 1 else f"{rating} stars"
