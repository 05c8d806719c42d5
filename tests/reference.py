"""A brute-force reference of METRICS.md sections 1-4, for checking the engine.

It is deliberately naive and written from the contract's text alone (never from the engine): keep only the
events with ``ts <= at``, drop repeated ``(account, event_id)`` keeping the first in list order, then for
every order, message, claim, chargeback, return and violation look at all of its events sorted by ``ts`` and
decide its outcome from scratch. Every number is an ``int`` or a ``Fraction``; status and headroom compare
against the profile's ``Decimal`` targets exactly. Windows, lags, targets, warn levels, thresholds and queue
deadlines are read from the :class:`Profile`, never written here.

Readings where METRICS.md leaves room (the same the engine follows, so a difference is a real bug):

- feedback: the order's latest ``feedback`` by ts counts unless a ``feedback_removed`` with ts >= its ts
  exists;
- a claim is active iff it was opened and its latest ``claim_closed`` by ts (if any) is not denied or
  withdrawn; a chargeback iff opened and its latest close by ts is not ``reversed``;
- OTDR uses the tracking of the first shipment by ts (ties: the one with a non-empty tracking; an unknown
  tracking, ``None``, is not one); VTR the first by ts among the shipments whose tracking is known (not
  ``None``; ties the same), and an order none of whose shipments has known tracking is outside VTR;
- an order placed several times (several sources): its date is the earliest ``order_placed`` ts; channel,
  ship_by and deliver_by each come from the earliest placement that has one, at one instant the smaller
  value (the earlier date; MFN before AFN); a channel no placement gives is MFN (EVENTS.md);
- order-level events of an order without ``order_placed`` are orphans and count nowhere, queues included;
  messages need no order; events referring to a message/claim/chargeback/return/violation by ``ref`` that
  never arrived are orphans;
- a cancellation counts only if its ts is before the first shipment's (or the order never shipped).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sellerpulse.core.events import Event
from sellerpulse.core.profile import MetricSpec, Profile, builtin_profile

US_PER_HOUR = 3_600_000_000
# The rules of METRICS.md sections 1-4; metrics of other rules (section 6) are not recomputed here.
RULES = frozenset({
    "defect", "negative_feedback", "claim", "chargeback", "seller_cancel", "late_shipment",
    "valid_tracking", "on_time_delivery", "contact_response", "response_hours",
    "return_dissatisfaction", "refund", "perfect_order", "policy_violations",
})  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ORDER_KINDS = frozenset({
    "order_shipped", "order_delivered", "order_cancelled", "refund", "feedback", "feedback_removed",
})  # fmt: skip


def local_day(us: int, zone_name: str) -> int:
    """The calendar day (ordinal) of instant ``us`` in time zone ``zone_name``, straight from zoneinfo."""
    zone = UTC if zone_name.upper() == "UTC" else ZoneInfo(zone_name)
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone).date().toordinal()


MERGED = ("channel", "ship_by", "deliver_by")  # placement fields taken one by one
_TIE = {
    "channel": lambda value: value == "AFN",
    "ship_by": lambda value: value,
    "deliver_by": lambda value: value,
}


def merge_placements(placements: list[Event]) -> tuple[Event, tuple[tuple[int, tuple[str, ...]], ...]]:
    """The order several placements make up, and (when one placement did not give it all) each placement
    that gave something: ``((ts, ("date", ...)), (ts, ("ship_by", ...)))`` by ts, as the drill-down shows."""
    first = min(placements, key=lambda e: e.ts)
    values: dict[str, Any] = {"channel": "MFN"}
    givers: dict[str, int] = {}
    for name in MERGED:
        having = [e for e in placements if getattr(e, name) not in (None, "")]
        if having:
            giver = min(having, key=lambda e: (e.ts, _TIE[name](getattr(e, name))))
            values[name] = getattr(giver, name)
            givers[name] = giver.ts
    merged = replace(first, **values)
    if all(ts == first.ts for ts in givers.values()):
        return merged, ()
    by_ts: dict[int, list[str]] = {first.ts: ["date"]}
    for name, ts in givers.items():
        by_ts.setdefault(ts, []).append(name)
    return merged, tuple((ts, tuple(names)) for ts, names in sorted(by_ts.items()))


@dataclass
class _Order:
    placed: Event  # the merged placement (``merge_placements``)
    placed_by: tuple[tuple[int, tuple[str, ...]], ...] = ()
    events: list[Event] = field(default_factory=list)  # shipped, delivered, cancelled, refund, feedback...
    claims: list[_Thread] = field(default_factory=list)
    chargebacks: list[_Thread] = field(default_factory=list)

    def of(self, kind: str) -> list[Event]:
        return sorted((e for e in self.events if e.kind == kind), key=lambda e: e.ts)

    def first_shipment(self) -> Event | None:
        shipments = sorted(self.of("order_shipped"), key=lambda e: (e.ts, not e.tracking))
        return shipments[0] if shipments else None

    def vtr_shipment(self) -> Event | None:
        """The shipment Valid Tracking judges: the first among those whose tracking is known."""
        known = [e for e in self.of("order_shipped") if e.tracking is not None]
        return min(known, key=lambda e: (e.ts, e.tracking == ""), default=None)

    def cancellations(self) -> list[Event]:
        """Cancellations that count: strictly before the first shipment, or the order never shipped."""
        shipment = self.first_shipment()
        return [e for e in self.of("order_cancelled") if shipment is None or e.ts < shipment.ts]

    def seller_cancelled(self) -> bool:
        return any(e.by in ("seller", "marketplace") for e in self.cancellations())

    def negative_feedback(self) -> bool:
        feedback = self.of("feedback")
        if not feedback:
            return False
        latest = feedback[-1]
        if any(r.ts >= latest.ts for r in self.of("feedback_removed")):
            return False
        return latest.rating in (1, 2)

    def active_claim(self) -> bool:
        return any(c.closed_outcome() not in ("denied", "withdrawn") for c in self.claims)

    def active_chargeback(self) -> bool:
        return any(c.closed_outcome() != "reversed" for c in self.chargebacks)

    def defect(self) -> bool:
        return self.negative_feedback() or self.active_claim() or self.active_chargeback()

    def in_lsr_population(self) -> bool:
        return self.placed.ship_by is not None and not self.cancellations()

    def late(self, at: int) -> bool:
        """Late by the lsr rule (only meaningful for orders in the lsr population)."""
        ship_by = self.placed.ship_by
        assert ship_by is not None
        shipment = self.first_shipment()
        if shipment is not None:
            return shipment.ts > ship_by
        return ship_by < at

    def refunded(self) -> bool:
        return bool(self.of("refund"))


@dataclass
class _Thread:
    """A message, claim, chargeback, return or violation: its opening event and its follow-ups by ref."""

    opened: Event
    events: list[Event] = field(default_factory=list)

    def of(self, kind: str) -> list[Event]:
        return sorted((e for e in self.events if e.kind == kind), key=lambda e: e.ts)

    def closed_outcome(self) -> str | None:
        closes = [e for e in self.events if e.kind.endswith("_closed")]
        return max(closes, key=lambda e: e.ts).outcome if closes else None


@dataclass
class _Account:
    orders: dict[str, _Order] = field(default_factory=dict)
    messages: dict[str, _Thread] = field(default_factory=dict)
    claims: dict[str, _Thread] = field(default_factory=dict)
    returns: dict[str, _Thread] = field(default_factory=dict)
    violations: dict[str, _Thread] = field(default_factory=dict)


def _build(events: list[Event], at_us: int) -> dict[str, _Account]:
    """Keep ts <= at, drop event_id duplicates (first in list order wins), group by parent."""
    seen: set[tuple[str, str]] = set()
    kept: list[Event] = []
    for event in events:
        if event.ts > at_us:
            continue
        if event.event_id:
            key = (event.account, event.event_id)
            if key in seen:
                continue
            seen.add(key)
        kept.append(event)

    accounts: dict[str, _Account] = defaultdict(_Account)
    by_kind: dict[str, list[Event]] = defaultdict(list)
    for event in kept:
        accounts[event.account]  # every account that sent anything is reported
        by_kind[event.kind].append(event)

    def earliest(kind: str) -> dict[tuple[str, str], Event]:
        out: dict[tuple[str, str], Event] = {}
        for e in sorted(by_kind[kind], key=lambda e: e.ts):  # stable: list order breaks ties
            out.setdefault((e.account, e.ref), e)
        return out

    placements: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in by_kind["order_placed"]:
        placements[(e.account, e.order_id)].append(e)
    for (account, order_id), placed in placements.items():
        accounts[account].orders[order_id] = _Order(*merge_placements(placed))
    for kind in ORDER_KINDS:
        for e in by_kind[kind]:
            order = accounts[e.account].orders.get(e.order_id)
            if order is not None:
                order.events.append(e)

    def threads(open_kind: str, follow_kinds: tuple[str, ...], needs_order: bool) -> dict:
        table: dict[tuple[str, str], _Thread] = {}
        for key, opened in earliest(open_kind).items():
            if needs_order and opened.order_id not in accounts[opened.account].orders:
                continue  # its order never arrived: an orphan
            table[key] = _Thread(opened)
        for kind in follow_kinds:
            for e in by_kind[kind]:
                thread = table.get((e.account, e.ref))
                if thread is not None:
                    thread.events.append(e)
        return table

    messages = threads("message_received", ("message_replied", "message_dismissed"), needs_order=False)
    claims = threads("claim_opened", ("claim_responded", "claim_closed"), needs_order=True)
    chargebacks = threads("chargeback_opened", ("chargeback_closed",), needs_order=True)
    return_kinds = ("return_responded", "return_feedback", "return_invalid_rejection")
    returns = threads("return_requested", return_kinds, needs_order=True)
    violations = threads("violation", ("violation_resolved",), needs_order=False)
    for (account, ref), thread in messages.items():
        accounts[account].messages[ref] = thread
    for (account, ref), thread in claims.items():
        accounts[account].claims[ref] = thread
        accounts[account].orders[thread.opened.order_id].claims.append(thread)
    for (account, _ref), thread in chargebacks.items():
        accounts[account].orders[thread.opened.order_id].chargebacks.append(thread)
    for (account, ref), thread in returns.items():
        accounts[account].returns[ref] = thread
    for (account, ref), thread in violations.items():
        accounts[account].violations[ref] = thread
    return accounts


def _status_and_headroom(spec: MetricSpec, numerator: int, denominator: int) -> tuple[str, int | None]:
    if denominator == 0:
        return "no_data", None
    if spec.target is None:
        return "info", None
    value = Fraction(numerator, denominator)
    target = Fraction(spec.target)
    warn = None if spec.warn is None else Fraction(spec.warn)
    d = denominator
    if spec.direction == "below":
        healthy = value < target
        warning = warn is not None and value >= warn
        headroom = max(0, math.ceil(target * d) - 1 - numerator)
    elif spec.direction == "above":
        healthy = value >= target
        warning = warn is not None and value < warn
        bad = d - numerator
        headroom = max(0, math.floor(d * (1 - target)) - bad)
    else:
        raise ValueError(f"direction {spec.direction!r} is not a rate direction")
    return ("breach" if not healthy else "warning" if warning else "ok"), headroom


def _rate(spec: MetricSpec, numerator: int, denominator: int, window: dict[str, str]) -> dict[str, Any]:
    status, headroom = _status_and_headroom(spec, numerator, denominator)
    return {
        "value": float(Fraction(numerator, denominator)) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
        "status": status,
        "headroom": headroom,
        "window": window,
    }


def _channel_ok(spec: MetricSpec, order: _Order) -> bool:
    return spec.channel == "any" or order.placed.channel == spec.channel


Row = tuple[str, str, int, tuple[tuple[int, tuple[str, ...]], ...]]  # key, order id, day, placed_by


def _metric(spec: MetricSpec, acc: _Account, at: int, zone: str) -> tuple[dict[str, Any], list[Row]]:
    """The metric as of ``at``, and the drill-down rows behind its bad outcomes (key, order id, day and,
    for an order several placements made up, which gave what); rows sorted by (day, key)."""
    today = local_day(at, zone)
    first_day = today - spec.lag_days - spec.window_days + 1
    last_day = today - spec.lag_days
    window = {"from": date.fromordinal(first_day).isoformat(), "to": date.fromordinal(last_day).isoformat()}

    def in_window(us: int) -> bool:
        return first_day <= local_day(us, zone) <= last_day

    rule = spec.rule
    orders = [(order_id, o) for order_id, o in acc.orders.items() if _channel_ok(spec, o)]
    n = d = 0  # numerator and denominator
    rows: list[Row] = []

    def tally(bad: bool, counts_good: bool, key: str, order_id: str, us: int, placed_by: Any = ()) -> None:
        """One item of the population; its bad outcome is a drill-down row."""
        nonlocal n, d
        d += 1
        n += (not bad) if counts_good else bad
        if bad:
            rows.append((key, order_id, local_day(us, zone), placed_by))

    if rule in ("defect", "negative_feedback", "claim", "chargeback", "seller_cancel", "refund"):
        outcome = {
            "defect": _Order.defect,
            "negative_feedback": _Order.negative_feedback,
            "claim": _Order.active_claim,
            "chargeback": _Order.active_chargeback,
            "seller_cancel": _Order.seller_cancelled,
            "refund": _Order.refunded,
        }[rule]
        for order_id, order in orders:
            if in_window(order.placed.ts):
                tally(outcome(order), False, order_id, order_id, order.placed.ts, order.placed_by)
    elif rule == "late_shipment":
        for order_id, order in orders:
            if order.in_lsr_population() and in_window(order.placed.ship_by):
                tally(order.late(at), False, order_id, order_id, order.placed.ship_by, order.placed_by)
    elif rule == "valid_tracking":
        for order_id, order in orders:
            shipment = order.vtr_shipment()
            if shipment is not None and in_window(shipment.ts):
                tally(shipment.tracking == "", True, order_id, order_id, shipment.ts, order.placed_by)
    elif rule == "on_time_delivery":
        for order_id, order in orders:
            shipment = order.first_shipment()
            deliver_by = order.placed.deliver_by
            if shipment is None or not shipment.tracking or deliver_by is None or not in_window(deliver_by):
                continue
            deliveries = order.of("order_delivered")
            late = deliveries[0].ts > deliver_by if deliveries else deliver_by < at
            tally(late, True, order_id, order_id, deliver_by, order.placed_by)
    elif rule in ("contact_response", "response_hours"):
        threshold = (spec.threshold_hours or 0) * US_PER_HOUR
        total_us = 0
        for ref, message in acc.messages.items():
            received = message.opened.ts
            if message.of("message_dismissed") or not in_window(received):
                continue
            replies = message.of("message_replied")
            if rule == "response_hours":
                if replies:
                    d += 1
                    total_us += replies[0].ts - received
            elif replies:
                tally(replies[0].ts - received > threshold, True, ref, message.opened.order_id, received)
            elif at - received > threshold:
                # unanswered past the threshold: late (pending ones are left out)
                tally(True, True, ref, message.opened.order_id, received)
        if rule == "response_hours":
            status = "info" if d else "no_data"
            value = float(Fraction(total_us, d * US_PER_HOUR)) if d else None
            return {
                "value": value,
                "numerator": None,
                "denominator": d,
                "status": status,
                "headroom": None,
                "window": window,
            }, []
    elif rule == "return_dissatisfaction":
        threshold = (spec.threshold_hours or 0) * US_PER_HOUR
        for ref, ret in acc.returns.items():
            requested = ret.opened.ts
            if not in_window(requested):
                continue
            feedback = ret.of("return_feedback")
            responses = ret.of("return_responded")
            responded = responses[0].ts if responses else at
            slow = responded - requested > threshold
            bad = (
                bool(feedback and feedback[-1].rating in (1, 2))
                or slow
                or bool(ret.of("return_invalid_rejection"))
            )
            tally(bad, False, ref, ret.opened.order_id, requested)
    elif rule == "perfect_order":
        for order_id, order in orders:
            if not in_window(order.placed.ts):
                continue
            late = order.in_lsr_population() and order.late(at)
            imperfect = order.defect() or order.seller_cancelled() or late or order.refunded()
            tally(imperfect, True, order_id, order_id, order.placed.ts, order.placed_by)
    elif rule == "policy_violations":
        for ref, v in acc.violations.items():
            if in_window(v.opened.ts) and not v.of("violation_resolved"):
                tally(True, False, ref, "", v.opened.ts)
        target = spec.target if spec.target is not None else Decimal(0)
        return {
            "value": n,
            "numerator": n,
            "denominator": None,
            "status": "ok" if n <= target else "breach",
            "headroom": None,
            "window": window,
        }, sorted(rows, key=lambda row: (row[2], row[0]))
    else:
        raise ValueError(f"unknown rule {rule!r}")
    return _rate(spec, n, d, window), sorted(rows, key=lambda row: (row[2], row[0]))


def _queue(deadlines: list[int], at: int, due_soon_hours: int) -> dict[str, int]:
    soon = at + due_soon_hours * US_PER_HOUR
    return {
        "count": len(deadlines),
        "overdue": sum(1 for t in deadlines if t < at),
        "due_soon": sum(1 for t in deadlines if at <= t <= soon),
    }


def _queues(profile: Profile, acc: _Account, at: int) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for queue_id, spec in profile.queues.items():
        hours = (spec.deadline_hours or 0) * US_PER_HOUR
        if queue_id == "messages_awaiting_reply":
            deadlines = [
                m.opened.ts + hours
                for m in acc.messages.values()
                if not m.of("message_replied") and not m.of("message_dismissed")
            ]
        elif queue_id == "claims_awaiting_response":
            deadlines = [
                c.opened.ts + hours
                for c in acc.claims.values()
                if not c.of("claim_responded") and not c.of("claim_closed")
            ]
        elif queue_id == "returns_awaiting_response":
            deadlines = [r.opened.ts + hours for r in acc.returns.values() if not r.of("return_responded")]
        elif queue_id == "orders_to_ship":
            deadlines = [
                o.placed.ship_by
                for o in acc.orders.values()
                if o.placed.channel == "MFN"
                and o.placed.ship_by is not None
                and not o.of("order_shipped")
                and not o.of("order_cancelled")
            ]
        else:
            raise ValueError(f"unknown queue {queue_id!r}")
        out[queue_id] = _queue(deadlines, at, profile.due_soon_hours)
    return out


def reference_report(
    events: list[Event],
    at_us: int,
    timezone: str = "UTC",
    account_timezones: dict[str, str] | None = None,
    profile: Profile | None = None,
    accounts: Iterable[str] = (),
) -> dict[str, dict[str, Any]]:
    """``{account: {"metrics": {id: {...}}, "queues": {id: {...}}}}`` as of ``at_us``, from scratch.

    The shape is the engine's ``Snapshot.to_json()["accounts"]`` restricted to the checked fields: per
    metric ``value, numerator, denominator, status, headroom, window{from,to}``; per queue
    ``count, overdue, due_soon``. Only metrics whose rule is in :data:`RULES` are reported. Names in ``accounts`` are reported even when they sent nothing.
    """
    profile = profile or builtin_profile("amazon")
    zones = account_timezones or {}
    report: dict[str, dict[str, Any]] = {}
    built = _build(events, at_us)
    for name in accounts:
        built[name]  # a defaultdict: an account without events has empty state
    for name, acc in sorted(built.items()):
        zone = zones.get(name, timezone)
        report[name] = {
            "metrics": {
                mid: _metric(spec, acc, at_us, zone)[0]
                for mid, spec in profile.metrics.items()
                if spec.rule in RULES
            },
            "queues": _queues(profile, acc, at_us),
        }
    return report


def reference_drilldown(
    events: list[Event],
    at_us: int,
    timezone: str = "UTC",
    account_timezones: dict[str, str] | None = None,
    profile: Profile | None = None,
) -> dict[str, dict[str, list[Row]]]:
    """``{account: {metric id: rows}}``: the items behind each metric's bad outcomes as of ``at_us``, as
    the engine's drill-down lists them (``key, order_id, day, placed_by`` of ``BadOutcome``), sorted by
    (day, key). Metrics as in :func:`reference_report`; a mean (``response_hours``) has none."""
    profile = profile or builtin_profile("amazon")
    zones = account_timezones or {}
    return {
        name: {
            mid: _metric(spec, acc, at_us, zones.get(name, timezone))[1]
            for mid, spec in profile.metrics.items()
            if spec.rule in RULES
        }
        for name, acc in sorted(_build(events, at_us).items())
    }
