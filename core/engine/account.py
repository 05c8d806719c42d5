"""One seller account's keyed state, day buckets and open-item indexes.

Every event is applied as a *change*: the outcomes of the item it touches are computed before and
after, and only the difference moves between buckets. That makes late, out-of-order and retracting
events exact, and duplicates free (applying the same event twice changes nothing the second time).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..events import Event
from ..profile import LIFETIME_FROM_DAY, MetricSpec, Profile
from ..timeutil import US_PER_HOUR, DayClock
from .deadlines import DeadlineIndex
from .orders import (
    AFN,
    CASE_LOST,
    CHARGEBACK,
    CLAIM,
    INF_TS,
    NEG_FEEDBACK,
    NO_CHANNEL,
    NO_TS,
    REFUNDED,
    TRACKING,
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
    feedback_score_outcome,
    message_outcome,
    order_outcomes,
    return_outcome,
    violation_outcome,
)
from .records import Chargeback, Claim, Message, Return, Violation
from .seen import SeenIds
from .series import Outcome, Series

if TYPE_CHECKING:
    from ..bulk.fold import FoldedOrder

# event groups that can move an order in or out of the orders-to-ship queue
_TO_SHIP_GROUPS = frozenset({"all", "shipped", "cancelled"})


class AccountState:
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
        t.shipped[row] = fold.shipped
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
        elif _expired((event,), *self.cutoffs):
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
        tracked = bool(e.tracking)
        shipped = t.shipped[row]
        if e.ts > shipped or (e.ts == shipped and (not tracked or t.flags[row] & TRACKING)):
            return
        before = self._order_outcomes(row, "shipped")
        t.shipped[row] = e.ts
        t.set_flag(row, TRACKING, tracked)
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

    def _message_outcomes(self, msg: Message) -> list[Outcome | None]:
        day = self.days.day
        return [message_outcome(msg, rule, threshold, day) for _, rule, threshold in self._message_series]

    def _message_changed(self, msg: Message, before: list[Outcome | None]) -> None:
        for (series, _, _), old, new in zip(
            self._message_series, before, self._message_outcomes(msg), strict=True
        ):
            if old != new:
                if old is not None:
                    series.retract(msg.ref, old)
                if new is not None:
                    series.insert(msg.ref, new)
        queue = self.queues.get("messages_awaiting_reply")
        if queue is not None:
            if msg.replied == INF_TS and not msg.dismissed:
                deadline = msg.received + self._queue_hours["messages_awaiting_reply"]
                queue.add(msg.ref, deadline, 0, (msg.order_id, msg.received))
            else:
                queue.discard(msg.ref)

    def _on_message_received(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            if e.ts < self.cutoffs[0]:
                return  # older than the retention (see ``cutoffs``)
            msg = self.messages[e.ref] = Message(e.ref, e.order_id, e.ts)
            self._message_changed(msg, [None] * len(self._message_series))
            self._release(self.orphans_by_ref, ("message", e.ref))
            return
        if e.ts < msg.received:
            before = self._message_outcomes(msg)
            msg.received = e.ts
            msg.order_id = e.order_id or msg.order_id
            self._message_changed(msg, before)

    def _on_message_replied(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            self._hold(("message", e.ref), e)
        elif e.ts < msg.replied:
            before = self._message_outcomes(msg)
            msg.replied = e.ts
            self._message_changed(msg, before)

    def _on_message_dismissed(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            self._hold(("message", e.ref), e)
        elif not msg.dismissed:
            before = self._message_outcomes(msg)
            msg.dismissed = True
            self._message_changed(msg, before)

    def _on_cs_survey(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            self._hold(("message", e.ref), e)
        elif msg.survey is None or (e.ts, e.outcome) > msg.survey:
            msg.survey = (e.ts, e.outcome)

    # returns

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

    def _violation_changed(self, violation: Violation, before: Outcome | None) -> None:
        after = violation_outcome(violation, self.days.day)
        if after != before:
            for series in self._violation_series:
                if before is not None:
                    series.retract(violation.ref, before)
                if after is not None:
                    series.insert(violation.ref, after)

    def _on_violation(self, e: Event) -> None:
        violation = self.violations.get(e.ref)
        if violation is None:
            if e.ts < self.cutoffs[0]:
                return  # older than the retention (see ``cutoffs``)
            violation = self.violations[e.ref] = Violation(e.ref, e.ts, e.severity)
            self._violation_changed(violation, None)
            self._release(self.orphans_by_ref, ("violation", e.ref))
        elif e.ts < violation.ts:
            before = violation_outcome(violation, self.days.day)
            violation.ts = e.ts
            self._violation_changed(violation, before)

    def _on_violation_resolved(self, e: Event) -> None:
        violation = self.violations.get(e.ref)
        if violation is None:
            self._hold(("violation", e.ref), e)
        elif not violation.resolved:
            before = violation_outcome(violation, self.days.day)
            violation.resolved = True
            self._violation_changed(violation, before)

    # ----------------------------------------------------------------- eviction

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
            for key in [k for k, held in table.items() if _expired(held, cutoff, feedback_cutoff)]:
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


def _expired(held: Sequence[Event], cutoff: int, feedback_cutoff: int) -> bool:
    latest = max(event.ts for event in held)
    if any(event.kind in ("feedback", "feedback_removed") for event in held):
        return latest < feedback_cutoff
    return latest < cutoff
