"""How an outcome is decided, per rule of ``METRICS.md`` section 3: the single place a metric's
population and bad outcome are defined.

Each function looks at one item's current state and returns its :class:`Outcome` for a series (or
``None`` when the item is outside the population). The account calls them before and after every
event and moves the item between day buckets when the answer changes.
"""

from __future__ import annotations

from collections.abc import Callable

from .orders import (
    AFN,
    CASE_LOST,
    CHARGEBACK,
    CLAIM,
    DEFECT,
    INF_TS,
    NEG_FEEDBACK,
    NO_TS,
    REFUNDED,
    TRACKING,
    OrderTable,
)
from .records import Message, Return, Violation
from .series import Outcome

ORDER_RULES = frozenset({
    "defect", "negative_feedback", "claim", "chargeback", "seller_cancel", "late_shipment",
    "valid_tracking", "on_time_delivery", "refund", "perfect_order", "feedback_score", "case_lost",
    "transaction_defect", "late_delivery", "orders",
})  # fmt: skip
# not a metric's rule: every order of a channel, counted to choose a window by volume (``PeriodSpec``)
VOLUME_RULE = "orders"
# order rules whose day counts stay when the order is evicted
OUTLIVES_ORDERS = frozenset({"feedback_score"})
# rules whose numerator counts good outcomes even without a target direction
GOOD_NUMERATOR = frozenset({"feedback_score"})
MESSAGE_RULES = frozenset({"contact_response", "response_hours"})
RETURN_RULES = frozenset({"return_dissatisfaction"})
VIOLATION_RULES = frozenset({"policy_violations"})

# Which rules an event can change, by the group it belongs to (an event kind, or the flag bit it sets):
# an order's other outcomes are left alone, which keeps the hot path (shipments, deliveries) short.
ORDER_GROUPS: dict[object, frozenset[str]] = {
    "all": ORDER_RULES,
    "shipped": frozenset(
        {
            "late_shipment",
            "valid_tracking",
            "on_time_delivery",
            "seller_cancel",
            "perfect_order",
            "transaction_defect",
            "late_delivery",
        }
    ),
    "delivered": frozenset({"on_time_delivery", "late_delivery"}),
    "cancelled": frozenset(
        {"seller_cancel", "late_shipment", "perfect_order", "transaction_defect", "late_delivery"}
    ),
    "feedback": frozenset({"defect", "negative_feedback", "perfect_order", "feedback_score"}),
    CLAIM: frozenset({"defect", "claim", "perfect_order"}),
    CHARGEBACK: frozenset({"defect", "chargeback", "perfect_order"}),
    REFUNDED: frozenset({"refund", "perfect_order"}),
    CASE_LOST: frozenset({"case_lost", "transaction_defect"}),
}

_FLAG_RULES = {"defect": DEFECT, "negative_feedback": NEG_FEEDBACK, "claim": CLAIM, "chargeback": CHARGEBACK,
               "case_lost": CASE_LOST}  # fmt: skip

# One order metric's series, as :func:`order_outcomes` reads it: (rule, channel, refund reasons or None).
OrderKey = tuple[str, str, tuple[str, ...] | None]


def order_outcomes(
    table: OrderTable, row: int, day_of: Callable[[int], int], specs: tuple[OrderKey, ...]
) -> tuple[Outcome | None, ...]:
    """Outcomes of order ``row`` for every ``(rule, channel, reasons)`` in ``specs``, in that order."""
    flags = table.flags[row]
    afn = flags & AFN
    placed_day = table.placed_day[row]
    shipped = table.shipped[row]
    ship_by = table.ship_by[row]
    seller_cancelled = table.seller_cancel.get(row, INF_TS) < shipped
    # the late-shipment population: has a ship-by and no cancellation (by anyone) before shipping
    in_lsr = ship_by != NO_TS and table.any_cancel.get(row, INF_TS) >= shipped
    late = in_lsr and shipped != INF_TS and shipped > ship_by
    out: list[Outcome | None] = []
    for rule, channel, reasons in specs:
        if (channel == "MFN" and afn) or (channel == "AFN" and not afn):
            out.append(None)
            continue
        bit = _FLAG_RULES.get(rule)
        if bit is not None:
            out.append((placed_day, bool(flags & bit), None, 0))
        elif rule == "refund":
            refunded = bool(flags & REFUNDED) and (
                reasons is None or not set(reasons).isdisjoint(table.refund_reasons.get(row, ()))
            )
            out.append((placed_day, refunded, None, 0))
        elif rule == "seller_cancel":
            out.append((placed_day, seller_cancelled, None, 0))
        elif rule == "transaction_defect":
            out.append((placed_day, seller_cancelled or bool(flags & CASE_LOST), None, 0))
        elif rule == VOLUME_RULE:
            out.append((placed_day, False, None, 0))
        elif rule == "late_delivery":
            out.append(_late_delivery(table, row, placed_day, shipped, ship_by))
        elif rule == "late_shipment":
            if not in_lsr:
                out.append(None)
            elif shipped == INF_TS:
                out.append((day_of(ship_by), False, ship_by, 0))
            else:
                out.append((day_of(ship_by), late, None, 0))
        elif rule == "valid_tracking":  # the first shipment whose tracking is known
            judged, tracked = table.tracked_shipment(row)
            out.append(None if judged == INF_TS else (day_of(judged), not tracked, None, 0))
        elif rule == "on_time_delivery":
            deliver_by = table.deliver_by[row]
            if shipped == INF_TS or not flags & TRACKING or deliver_by == NO_TS:
                out.append(None)
            else:
                delivered = table.delivered[row]
                if delivered == INF_TS:
                    out.append((day_of(deliver_by), False, deliver_by, 0))
                else:
                    out.append((day_of(deliver_by), delivered > deliver_by, None, 0))
        elif rule == "feedback_score":
            out.append(
                feedback_score_outcome(
                    table.feedback_rating[row],
                    table.feedback_ts[row],
                    table.feedback_removed.get(row, NO_TS),
                    day_of,
                )
            )
        elif rule == "perfect_order":
            bad = bool(flags & (DEFECT | REFUNDED)) or seller_cancelled or late
            if not bad and in_lsr and shipped == INF_TS:
                out.append((placed_day, False, ship_by, 0))
            else:
                out.append((placed_day, bad, None, 0))
        else:
            raise ValueError(f"{rule} is not an order rule")
    return tuple(out)


def feedback_score_outcome(
    rating: int, rated_at: int, removed_at: int, day_of: Callable[[int], int]
) -> Outcome | None:
    """A rating in the feedback score: counted on the day it was given unless removed after that, and
    bad at 1-3 stars (the score is the share of 4-5 star ratings). One rule for orders still held and
    for the ratings of orders already evicted, whose score windows outlive them."""
    if not rating or removed_at >= rated_at:
        return None
    return (day_of(rated_at), rating <= 3, None, 0)


def _late_delivery(
    table: OrderTable, row: int, placed_day: int, shipped: int, ship_by: int
) -> Outcome | None:
    """Late in eBay's sense: shipped after its ship-by *and* delivered after its promise (a late carrier
    after an on-time hand-over is not the seller's). The population: orders with both dates that were
    not cancelled before shipping; attributed to the order date (the transaction)."""
    deliver_by = table.deliver_by[row]
    if ship_by == NO_TS or deliver_by == NO_TS or table.any_cancel.get(row, INF_TS) < shipped:
        return None
    if shipped <= ship_by:
        return (placed_day, False, None, 0)
    delivered = table.delivered[row]
    if delivered != INF_TS:
        return (placed_day, delivered > deliver_by, None, 0)
    # not delivered: bad once the promise passes, and (not shipped yet) the ship-by too
    return (placed_day, False, deliver_by if shipped != INF_TS else max(ship_by, deliver_by), 0)


def message_outcome(
    message: Message, rule: str, threshold_us: int, day_of: Callable[[int], int]
) -> Outcome | None:
    if message.dismissed:
        return None
    day = day_of(message.received)
    replied = message.replied
    if rule == "contact_response":
        if replied == INF_TS:
            return (day, False, message.received + threshold_us, 0)
        return (day, replied - message.received > threshold_us, None, 0)
    if rule == "response_hours":
        return None if replied == INF_TS else (day, False, None, replied - message.received)
    raise ValueError(f"{rule} is not a message rule")


def return_outcome(ret: Return, threshold_us: int, day_of: Callable[[int], int]) -> Outcome:
    day = day_of(ret.requested)
    bad = ret.invalid_rejection or (ret.feedback is not None and ret.feedback[1] <= 2)
    if ret.responded != INF_TS:
        return (day, bad or ret.responded - ret.requested > threshold_us, None, 0)
    if bad:
        return (day, True, None, 0)
    return (day, False, ret.requested + threshold_us, 0)


def violation_outcome(violation: Violation, day_of: Callable[[int], int]) -> Outcome | None:
    return None if violation.resolved else (day_of(violation.ts), True, None, 0)
