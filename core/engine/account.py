"""One seller account's keyed state, day buckets and open-item indexes.

Every event is applied as a *change*: the outcomes of the item it touches are computed before and
after, and only the difference moves between buckets. That makes late, out-of-order and retracting
events exact, and duplicates free (applying the same event twice changes nothing the second time).

This module holds the state, the dispatch of events and the windows; what each family of events does
is in its own module (``account_orders``, ``account_cases``, ``account_messages``, ``account_returns``,
``account_violations``) and so is eviction (``account_eviction``), each a mixin of :class:`AccountState`.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..events import Event
from ..profile import LIFETIME_FROM_DAY, MetricSpec, Profile
from ..timeutil import US_PER_HOUR, DayClock
from .account_cases import CaseEvents
from .account_eviction import Eviction, expired
from .account_messages import MessageEvents
from .account_orders import OrderEvents
from .account_returns import ReturnEvents
from .account_violations import ViolationEvents
from .deadlines import DeadlineIndex
from .orders import (
    INF_TS,
    NEG_FEEDBACK,
    NO_TS,
    OrderTable,
)
from .outcomes import (
    MESSAGE_RULES,
    ORDER_GROUPS,
    ORDER_RULES,
    OUTLIVES_ORDERS,
    RETURN_RULES,
    VIOLATION_RULES,
    VOLUME_RULE,
    OrderKey,
    order_outcomes,
)
from .records import Chargeback, Claim, Message, Return, Violation
from .seen import SeenIds
from .series import Outcome, Series

if TYPE_CHECKING:
    from ..bulk.fold import FoldedOrder

# event groups that can move an order in or out of the orders-to-ship queue
_TO_SHIP_GROUPS = frozenset({"all", "shipped", "cancelled"})


class AccountState(OrderEvents, CaseEvents, MessageEvents, ReturnEvents, ViolationEvents, Eviction):
    def __init__(self, name: str, profile: Profile, days: DayClock, seed: int) -> None:
        self.name = name
        self.profile = profile
        self.days = days
        self.orders = OrderTable(seed)  # ``seed``: the engine's id hash seed (see ``hashtable.key_of``)
        self.order_claims: dict[str, list[str]] = {}
        self.order_chargebacks: dict[str, list[str]] = {}
        self.claims: dict[str, Claim] = {}
        self.chargebacks: dict[str, Chargeback] = {}
        self.messages: dict[str, Message] = {}
        self.returns: dict[str, Return] = {}
        self.violations: dict[str, Violation] = {}
        self.orphans_by_order: dict[str, list[Event]] = {}
        self.orphans_by_ref: dict[tuple[str, str], list[Event]] = {}
        self.orphan_count = 0
        self.seen = SeenIds(seed)
        self.placed_by_day: dict[int, array] = {}  # local placement day -> order rows (for eviction)
        # Orders evicted while their feedback can still count in a feedback score (buyers see a year
        # of it): their ids, and the feedback state of those that had one, so a feedback report read
        # after newer orders still lands.
        self.gone = SeenIds(seed)
        self.gone_feedback: dict[str, list[int]] = {}  # order id -> [feedback ts, rating, removed ts]
        self.watermark = NO_TS
        self._next_eviction = NO_TS  # the watermark at which the cutoff moves by a day
        # Instants before which state is evicted: (everything, feedback that outlives its order). An item
        # that first arrives older than that is let go at once, as the next eviction would: the state
        # never depends on when evictions ran, or on whether its old rows were compacted out of a journal.
        self.cutoffs = (NO_TS, NO_TS)

        self.series: dict[str, Series] = {}  # metric id -> series (shared between metrics with one rule)
        by_key: dict[tuple[Any, ...], Series] = {}
        order_keys: list[OrderKey] = []
        self._message_series: list[tuple[Series, str, int]] = []
        self._return_series: list[tuple[Series, int]] = []
        self._violation_series: list[Series] = []
        # the orders counted to choose a period's window, by period id: a series of their own (saved with
        # the metrics' series, see ``state_file``), shared with any order series of the same key
        self._volume: dict[str, Series] = {}
        volume_specs = [
            MetricSpec(id=p.id, name=p.id, rule=VOLUME_RULE, window_days=p.long_days, channel=p.channel)
            for p in {m.period.id: m.period for m in profile.metrics.values() if m.period}.values()
        ]
        for spec in (*profile.metrics.values(), *volume_specs):
            key = (spec.rule, spec.channel, spec.threshold_hours, spec.reasons)
            series = by_key.get(key)
            if series is None:
                series = by_key[key] = Series(spec.rule, pending_counts=spec.rule != "contact_response")
                threshold_us = (spec.threshold_hours or 0) * US_PER_HOUR
                if spec.rule in ORDER_RULES:
                    order_keys.append((spec.rule, spec.channel, spec.reasons))
                elif spec.rule in MESSAGE_RULES:
                    self._message_series.append((series, spec.rule, threshold_us))
                elif spec.rule in RETURN_RULES:
                    self._return_series.append((series, threshold_us))
                elif spec.rule in VIOLATION_RULES:
                    self._violation_series.append(series)
            if spec.rule == VOLUME_RULE:
                self._volume[spec.id] = series
            else:
                self.series[spec.id] = series
        # per group of events, the order keys (rule, channel, reasons) they can change and their series
        self._order_groups: dict[Any, tuple[tuple[OrderKey, ...], tuple[Series, ...]]] = {}
        for group, rules in ORDER_GROUPS.items():
            keys = tuple(k for k in order_keys if k[0] in rules)
            self._order_groups[group] = (
                keys,
                tuple(by_key[(rule, channel, None, reasons)] for rule, channel, reasons in keys),
            )
        self._all_orders = self._order_groups["all"]
        self._feedback_days = max(
            (m.window_days for m in profile.metrics.values() if m.rule in OUTLIVES_ORDERS and not m.lifetime),
            default=0,
        )
        self._feedback_score_series = tuple(
            by_key[(rule, channel, None, reasons)]
            for rule, channel, reasons in order_keys
            if rule in OUTLIVES_ORDERS
        )
        self._no_order_outcomes: tuple[Outcome | None, ...] = (None,) * len(order_keys)

        self.queues: dict[str, DeadlineIndex] = {qid: DeadlineIndex() for qid in profile.queues}
        self._queue_hours = {qid: (q.deadline_hours or 0) * US_PER_HOUR for qid, q in profile.queues.items()}
        violations = [
            m.window_days + m.lag_days for m in profile.metrics.values() if m.rule == "policy_violations"
        ]
        self.retention_days = max(profile.retention_days, max(violations, default=0))

        self._handlers: dict[str, Callable[[Event], None]] = {
            kind: getattr(self, f"_on_{kind}") for kind in _HANDLED
        }

    # ----------------------------------------------------------------- applying events

    def apply(self, event: Event) -> bool:
        """Apply one validated event. False when it is a duplicate by ``event_id``."""
        if event.event_id and not self.seen.add(event.event_id, self.days.day(event.ts)):
            return False
        self._handlers[event.kind](event)
        if event.ts > self.watermark:
            self.watermark = event.ts
            if event.ts >= self._next_eviction:
                self.evict()
        return True

    def apply_checked(self, event: Event) -> None:
        """Apply an event whose ``event_id`` the caller already added to :attr:`seen` (the bulk path
        dedups a whole slice first, in stream order, as :meth:`apply` would)."""
        self._handlers[event.kind](event)
        self.advance(event.ts)

    def advance(self, ts: int) -> None:
        """Move the watermark to ``ts`` if that is later, evicting when it crosses into a new day.
        (:meth:`apply` has it written out: two more calls an event cost the live path 2 %.)"""
        if ts > self.watermark:
            self.watermark = ts
            if ts >= self._next_eviction:
                self.evict()

    def load_order(self, order_id: str, fold: FoldedOrder) -> None:
        """Add an order whose events were reduced outside the engine (``core/bulk``) to their end state:
        its row as the order's events applied one by one would leave it, counted once in every series
        and queue by the same :func:`order_outcomes`. The order must be new to the account, with no
        events held for it (the bulk path checks both)."""
        t = self.orders
        day = self.days.day(fold.placed)
        row = t.add(order_id, fold.placed, day, fold.ship_by, fold.deliver_by, fold.flags)
        t.set_givers(row, fold.placed, fold.givers)
        t.set_shipments(row, fold.shipped, fold.tracked, fold.tracking_shipment)
        t.delivered[row] = fold.delivered
        if fold.any_cancel != INF_TS:
            t.any_cancel[row] = fold.any_cancel
        if fold.seller_cancel != INF_TS:
            t.seller_cancel[row] = fold.seller_cancel
        t.feedback_ts[row], t.feedback_rating[row] = fold.feedback
        if fold.removed != NO_TS:
            t.feedback_removed[row] = fold.removed
        if fold.refund_reasons:
            t.refund_reasons[row] = tuple(sorted(fold.refund_reasons))
        t.set_flag(row, NEG_FEEDBACK, t.negative_feedback(row))
        self._placed_on(day, row)
        self._order_changed(order_id, row, self._no_order_outcomes)

    def _hold(self, key: tuple[str, str] | str, event: Event) -> None:
        table: dict[Any, list[Event]] = self.orphans_by_order if isinstance(key, str) else self.orphans_by_ref
        held = table.get(key)
        if held is not None:
            held.append(event)
        elif expired((event,), *self.cutoffs):
            return  # older than the retention, for a parent that is not here
        else:
            table[key] = [event]
        self.orphan_count += 1

    def _release(self, table: dict[Any, list[Event]], key: Any) -> None:
        held = table.pop(key, None)
        if held:
            self.orphan_count -= len(held)
            for event in held:
                self._handlers[event.kind](event)

    # orders

    def _order_outcomes(self, row: int, group: Any = "all") -> tuple[Outcome | None, ...]:
        return order_outcomes(self.orders, row, self.days.day, self._order_groups[group][0])

    def _order_changed(
        self, order_id: str, row: int, before: tuple[Outcome | None, ...], group: Any = "all"
    ) -> None:
        specs, series_list = self._order_groups[group]
        after = order_outcomes(self.orders, row, self.days.day, specs)
        if after != before:
            for series, old, new in zip(series_list, before, after, strict=True):
                if old != new:
                    if old is not None:
                        series.retract(order_id, old)
                    if new is not None:
                        series.insert(order_id, new)
        if group in _TO_SHIP_GROUPS:
            self._refresh_to_ship(order_id, row)

    # ----------------------------------------------------------------- reading

    def window(self, spec: MetricSpec, day: int) -> tuple[int, int]:
        """The attribution days ``lo..hi`` a metric covers on local ``day``."""
        hi = day - spec.lag_days
        if spec.lifetime:
            return LIFETIME_FROM_DAY, hi
        period = spec.period
        if period is None:
            return hi - spec.window_days + 1, hi
        short_lo = hi - period.short_days + 1
        volume = self._volume[period.id].totals(short_lo, hi, INF_TS)[0]
        return (short_lo if volume >= period.min_orders else hi - period.long_days + 1), hi


_HANDLED = (
    "order_placed", "order_shipped", "order_delivered", "order_cancelled", "refund", "feedback",
    "feedback_removed", "claim_opened", "claim_responded", "claim_closed", "chargeback_opened",
    "chargeback_closed", "message_received", "message_replied", "message_dismissed", "cs_survey",
    "return_requested", "return_responded", "return_feedback", "return_invalid_rejection", "violation",
    "violation_resolved",
)  # fmt: skip
