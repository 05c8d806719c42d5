"""A seeded simulation of marketplace sellers: the event stream of believable stores, in time order.

Each account is simulated on its own random stream (seeded from the seed and the account's name), day by
day in the account's time zone: how many orders arrive (weekly rhythm, a slow monthly swell, day-to-day
noise), when (an hour-of-day curve with a lunch and an evening peak), and for every order everything that
follows from it (shipping against a ship-by promise, tracking, delivery against a deliver-by promise,
cancellations, feedback days to weeks later, claims, chargebacks, buyer messages answered in working
hours, returns, refunds, surveys). Those later events wait in a heap and come out when the simulated time
reaches them, so the stream is in ``ts`` order and can be consumed lazily, for ever.

The generator is pure: no global random state and no wall clock. ``start`` is the simulated "now" (the
end of the backfill and the instant where a scenario peaks); the stream begins ``backfill_days`` before
it. Same arguments, same events, ids included.
"""

from __future__ import annotations

import heapq
import math
import random
import zlib
from collections.abc import Iterator, Sequence
from itertools import accumulate
from operator import attrgetter

from sellerpulse.core.events import Event
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, US_PER_SECOND, DayClock

from .accounts import AccountSpec, account_specs
from .scenarios import Scenario

H = US_PER_HOUR
D = US_PER_DAY
MINUTE = 60 * US_PER_SECOND

# Share of a day's orders per local hour: quiet nights, a lunch bump, the evening peak.
HOUR_WEIGHTS = (
    1.2, 0.8, 0.5, 0.35, 0.3, 0.4, 0.8, 1.5, 2.6, 3.4, 3.9, 4.1,
    4.4, 4.3, 4.1, 4.0, 4.1, 4.4, 4.8, 5.4, 5.8, 5.3, 4.0, 2.3,
)  # fmt: skip
HOUR_CUMULATIVE = tuple(accumulate(HOUR_WEIGHTS))
HOURS = range(24)
# Monday .. Sunday: Sunday evening shopping, a quieter Saturday.
WEEKDAY_FACTOR = (1.04, 1.0, 0.98, 0.97, 0.95, 0.88, 1.12)
# The seller's customer-service desk (local hours) and its mean time to answer, in hours.
DESK_HOURS = ((8, 20), (9, 18))  # weekdays, weekend days
DESK_MEAN_HOURS = (1.0, 1.6)

# Baseline rates of a healthy store. The scenario peaks add to them.
BUYER_CANCEL = 0.015
SELLER_CANCEL = 0.004
SELLER_CANCEL_PEAK = 0.25  # extra share of seller-fulfilled orders the seller cancels at the peak
AUTO_CANCEL = 0.001
LATE_SHIP = 0.007
WEEKEND_LATE_FACTOR = 2.5
LATE_SHIP_PEAK = 0.14
LOST = 0.002
LATE_DELIVERY = 0.006
LATE_DELIVERY_PEAK = 0.6  # extra share of parcels the carrier delivers late at the peak
FEEDBACK = 0.10
FEEDBACK_NEGATIVE = 0.03
FEEDBACK_STORM_EXTRA = 0.25  # extra share of orders leaving feedback at the storm's peak
FEEDBACK_STORM_NEGATIVE = 0.7  # extra negative share at the peak
CLAIM_MFN = 0.0012
CLAIM_AFN = 0.0003
CASE_PEAK = 0.1  # extra share of delivered orders with a buyer case (claim) at the peak
CASE_CLOSES_AFTER = 5 * US_PER_DAY  # about when a case left unanswered is closed for the buyer
CHARGEBACK = 0.0004
MESSAGE_MFN = 0.09
MESSAGE_AFN = 0.04
DISMISSED = 0.05
NEVER_REPLIED = 0.01
SLOW_REPLY = 0.012
SLOW_REPLY_PEAK = 0.5
RETURN_MFN = 0.015
RETURN_AFN = 0.05
VIOLATIONS_PER_DAY = 1 / 40


def weekday(day: int) -> int:
    """Monday = 0 for a proleptic Gregorian ordinal (day 1 was a Monday)."""
    return (day - 1) % 7


def add_business_days(day: int, count: int) -> int:
    while count:
        day += 1
        if weekday(day) < 5:
            count -= 1
    return day


class Marketplace:
    """The simulated sellers. :meth:`events` is the endless, ``ts``-ordered stream of all accounts."""

    def __init__(
        self,
        *,
        seed: int,
        start: int,
        orders_per_day: float = 200.0,
        accounts: Sequence[AccountSpec] | None = None,
        scenario: str = "healthy",
        backfill_days: int = 90,
    ) -> None:
        if orders_per_day <= 0:
            raise ValueError("orders_per_day must be positive")
        if backfill_days < 0:
            raise ValueError("backfill_days must be 0 or more")
        self.seed = seed
        self.start = start
        self.origin = start - backfill_days * D
        self.orders_per_day = orders_per_day
        self.accounts = tuple(accounts) if accounts is not None else account_specs()
        self.scenario = Scenario(scenario, peak_at=start)

    def events(self) -> Iterator[Event]:
        streams = [
            _Store(spec, self.seed, self.orders_per_day, self.scenario, self.origin).events()
            for spec in self.accounts
        ]
        return heapq.merge(*streams, key=attrgetter("ts"))


class _Store:
    """One account's simulation: its own random stream, its counters and its heap of future events."""

    def __init__(self, spec: AccountSpec, seed: int, orders_per_day: float, scenario: Scenario, origin: int):
        self.spec = spec
        self.account = spec.name
        self.rng = random.Random(f"sellerpulse-mock:{seed}:{spec.name}")
        self.days = DayClock(spec.timezone)
        self.rate = orders_per_day * spec.size
        self.scenario = scenario
        self.origin = origin
        self.pending: list[tuple[int, int, Event]] = []
        self.seq = 0
        self.counters = {"order": 0, "message": 0, "claim": 0, "chargeback": 0, "return": 0, "violation": 0}

    # -- the stream -----------------------------------------------------------------------------

    def events(self) -> Iterator[Event]:
        pending = self.pending
        day = self.days.day(self.origin)
        while True:
            start, end = self.days.start(day), self.days.start(day + 1)
            self._day_extras(day, start, end)
            for ts in self._order_times(day, start, end):
                while pending and pending[0][0] <= ts:
                    yield heapq.heappop(pending)[2]
                yield self._order(ts, day, start)
            day += 1

    def _event(self, ts: int, kind: str, **fields: object) -> Event:
        self.seq += 1
        return Event(ts=ts, kind=kind, account=self.account, event_id=f"{self.account}:{self.seq}", **fields)

    def _later(self, ts: int, kind: str, **fields: object) -> None:
        event = self._event(ts, kind, **fields)
        heapq.heappush(self.pending, (ts, self.seq, event))

    def _ref_number(self, what: str) -> int:
        self.counters[what] += 1
        return self.counters[what]

    def _ref(self, what: str) -> str:
        return f"{self.spec.prefix}-{what[0].upper()}{self._ref_number(what):06d}"

    # -- daily rhythm ---------------------------------------------------------------------------

    def _poisson(self, mean: float) -> int:
        rng = self.rng
        if mean >= 30:
            return max(0, round(rng.gauss(mean, math.sqrt(mean))))
        limit, count, product = math.exp(-mean), 0, rng.random()
        while product > limit:
            count += 1
            product *= rng.random()
        return count

    def _order_times(self, day: int, start: int, end: int) -> list[int]:
        rng = self.rng
        swell = 1 + 0.08 * math.sin(2 * math.pi * day / 28)
        mean = self.rate * WEEKDAY_FACTOR[weekday(day)] * swell * rng.uniform(0.93, 1.07)
        hours = rng.choices(HOURS, cum_weights=HOUR_CUMULATIVE, k=self._poisson(mean))
        times = sorted(start + int((hour + rng.random()) * H) for hour in hours)
        return [ts for ts in times if self.origin <= ts < end]

    def _in_day(self, start: int, end: int) -> int:
        return start + int(self.rng.random() * (end - start))

    def _day_extras(self, day: int, start: int, end: int) -> None:
        """Things not tied to an order: pre-sale questions and the odd policy violation."""
        rng = self.rng
        for _ in range(self._poisson(self.rate * 0.006)):
            received = self._in_day(start, end)
            if received >= self.origin:
                self._message(received, "", follow_up=False)
        if rng.random() < VIOLATIONS_PER_DAY:
            ts = self._in_day(start, end)
            if ts >= self.origin:
                ref = self._ref("violation")
                severity = rng.choices(("low", "medium", "high", "critical"), (50, 30, 15, 5))[0]
                self._later(ts, "violation", ref=ref, severity=severity)
                self._later(ts + int(rng.uniform(1, 12) * D), "violation_resolved", ref=ref)

    # -- one order ------------------------------------------------------------------------------

    def _order(self, ts: int, day: int, day_start: int) -> Event:
        rng, spec = self.rng, self.spec
        order_id = f"{spec.prefix}-{self._ref_number('order'):07d}"
        mfn = rng.random() < spec.mfn_share
        amount = f"{rng.lognormvariate(3.4, 0.7):.2f}"
        if not mfn:
            self._fulfil_afn(ts, order_id, amount)
            return self._event(ts, "order_placed", order_id=order_id, channel="AFN", amount=amount)
        ship_by_day = add_business_days(day, 1 if rng.random() < 0.7 else 2)
        ship_by = self.days.start(ship_by_day + 1) - US_PER_SECOND
        transit = rng.randint(1, 2) if rng.random() < 0.15 else rng.randint(3, 5)
        deliver_by = self.days.start(add_business_days(ship_by_day, transit) + 1) - US_PER_SECOND
        placed = self._event(
            ts, "order_placed", order_id=order_id, channel="MFN", ship_by=ship_by, deliver_by=deliver_by,
            amount=amount,
        )  # fmt: skip
        self._fulfil_mfn(ts, day, day_start, order_id, ship_by, ship_by_day, deliver_by, amount)
        return placed

    def _fulfil_afn(self, ts: int, order_id: str, amount: str) -> None:
        rng = self.rng
        if rng.random() < BUYER_CANCEL:
            self._later(
                ts + int(rng.uniform(5 * MINUTE, 2 * H)), "order_cancelled", order_id=order_id, by="buyer"
            )
            return
        shipped = ts + int(rng.uniform(2 * H, 30 * H))
        self._later(shipped, "order_shipped", order_id=order_id, tracking=f"TBA{rng.randrange(10**12):012d}")
        delivered = shipped + int(rng.uniform(18 * H, 72 * H))
        self._later(delivered, "order_delivered", order_id=order_id)
        self._aftermath(ts, order_id, amount, delivered, mfn=False, trouble=False)

    def _fulfil_mfn(
        self, ts: int, day: int, day_start: int, order_id: str, ship_by: int, ship_by_day: int, deliver_by: int,
        amount: str,
    ) -> None:  # fmt: skip
        rng = self.rng
        roll = rng.random()
        seller_cancel = SELLER_CANCEL + SELLER_CANCEL_PEAK * self.scenario.pressure("cancels", ts)
        if roll < seller_cancel:  # out of stock, found before shipping
            when = ts + int(rng.uniform(H, max(2 * H, ship_by - ts - H)))
            self._later(min(when, ship_by - MINUTE), "order_cancelled", order_id=order_id, by="seller")
            return
        if roll < seller_cancel + AUTO_CANCEL:  # never shipped: the marketplace cancels it
            self._later(ship_by + 3 * D, "order_cancelled", order_id=order_id, by="marketplace")
            return
        shipped = self._ship_time(ts, day, day_start, ship_by, ship_by_day)
        if roll < seller_cancel + AUTO_CANCEL + BUYER_CANCEL:
            cancelled = ts + int(rng.uniform(5 * MINUTE, 6 * H))
            self._later(cancelled, "order_cancelled", order_id=order_id, by="buyer")
            if cancelled < shipped:
                return
            # Too late: the parcel had left. The cancellation stands in the data, the order goes on.
        tracking = f"1Z{rng.randrange(10**12):012d}" if rng.random() < self.spec.valid_tracking else ""
        self._later(shipped, "order_shipped", order_id=order_id, tracking=tracking)
        late_ship = shipped > ship_by
        if not tracking:
            self._aftermath(ts, order_id, amount, shipped + 3 * D, mfn=True, trouble=late_ship)
            return
        if rng.random() < LOST:
            self._aftermath(ts, order_id, amount, deliver_by, mfn=True, trouble=True, lost=True)
            return
        carrier = LATE_DELIVERY_PEAK * self.scenario.pressure("delivery", deliver_by)
        if rng.random() < LATE_DELIVERY + (0.45 if late_ship else 0.0) + carrier:
            delivered = max(deliver_by, shipped) + int(rng.uniform(2 * H, 72 * H))
        else:
            delivered = shipped + int(rng.uniform(18 * H, 96 * H))
            if delivered >= deliver_by:
                delivered = shipped + int(rng.uniform(0.3, 0.95) * (deliver_by - shipped))
        self._later(delivered, "order_delivered", order_id=order_id)
        self._aftermath(
            ts, order_id, amount, delivered, mfn=True, trouble=late_ship or delivered > deliver_by
        )

    def _ship_time(self, ts: int, day: int, day_start: int, ship_by: int, ship_by_day: int) -> int:
        """Shipped in working hours of a business day up to ship-by; some late, more after weekends."""
        rng = self.rng
        hour = (ts - day_start) // H
        weekend = weekday(day) >= 5 or (weekday(day) == 4 and hour >= 15)
        late = LATE_SHIP * (WEEKEND_LATE_FACTOR if weekend else 1.0)
        late += self.scenario.pressure("shipping", ts) * LATE_SHIP_PEAK
        if rng.random() < late:
            return ship_by + int(H + min(rng.expovariate(1 / (18 * H)), 6 * D))
        ship_day = day if hour < 14 and weekday(day) < 5 and rng.random() < 0.6 else add_business_days(day, 1)
        ship_day = min(ship_day, ship_by_day)
        shipped = self.days.start(ship_day) + int(rng.uniform(10, 18) * H)
        shipped = max(shipped, ts + int(rng.uniform(15 * MINUTE, 45 * MINUTE)))
        return min(shipped, ship_by - MINUTE)

    # -- after delivery -------------------------------------------------------------------------

    def _aftermath(
        self,
        ts: int,
        order_id: str,
        amount: str,
        delivered: int,
        *,
        mfn: bool,
        trouble: bool,
        lost: bool = False,
    ) -> None:
        """Messages, feedback, claims, chargebacks, returns and refunds of a fulfilled order."""
        rng = self.rng
        if rng.random() < (MESSAGE_MFN if mfn else MESSAGE_AFN) + (0.3 if trouble else 0.0):
            if rng.random() < 0.4:
                received = ts + int(rng.uniform(30 * MINUTE, 20 * H))
            else:
                received = max(ts + H, delivered + int(rng.uniform(-24 * H, 240 * H)))
            self._message(received, order_id, follow_up=True)
        self._feedback(order_id, delivered, mfn, trouble)
        claim = (CLAIM_MFN if mfn else CLAIM_AFN) + (0.4 if lost else 0.02 if trouble else 0.0)
        claim += CASE_PEAK * self.scenario.pressure("cases", delivered + CASE_CLOSES_AFTER)
        if rng.random() < claim:
            self._claim(order_id, delivered, amount)
        if rng.random() < CHARGEBACK:
            self._chargeback(order_id, ts)
        if not lost and rng.random() < (RETURN_MFN if mfn else RETURN_AFN) + (0.1 if trouble else 0.0):
            self._return(order_id, delivered, mfn, amount)
        elif rng.random() < 0.003 + (0.1 if trouble else 0.0):  # goodwill partial refund
            self._later(delivered + int(rng.uniform(1, 10) * D), "refund", order_id=order_id,
                        amount=f"{float(amount) * rng.uniform(0.1, 0.3):.2f}", reason="goodwill")  # fmt: skip

    def _feedback(self, order_id: str, delivered: int, mfn: bool, trouble: bool) -> None:
        rng = self.rng
        when = delivered + 12 * H + int(min(rng.expovariate(1 / (6 * D)), 60 * D))
        storm = self.scenario.pressure("feedback", when)
        if rng.random() >= FEEDBACK + (0.1 if trouble else 0.0) + FEEDBACK_STORM_EXTRA * storm:
            return
        negative = (
            rng.random() < FEEDBACK_NEGATIVE + (0.25 if trouble else 0.0) + FEEDBACK_STORM_NEGATIVE * storm
        )
        rating = rng.choice((1, 1, 1, 2, 2)) if negative else rng.choices((3, 4, 5), (6, 18, 76))[0]
        self._later(when, "feedback", order_id=order_id, rating=rating)
        if not negative:
            return
        roll = rng.random()
        if roll < (0.2 if mfn else 0.7):  # removed: about the product, or the marketplace's own fulfilment
            self._later(when + int(rng.uniform(1, 10) * D), "feedback_removed", order_id=order_id)
        elif roll < (0.28 if mfn else 0.75):  # the seller made it right and the buyer updated the rating
            self._later(
                when + int(rng.uniform(2, 14) * D), "feedback", order_id=order_id, rating=rng.choice((4, 5))
            )

    def _claim(self, order_id: str, delivered: int, amount: str) -> None:
        rng = self.rng
        ref = self._ref("claim")
        pressure = self.scenario.pressure("cases", delivered + CASE_CLOSES_AFTER)
        if pressure and rng.random() < pressure:  # left unanswered: the marketplace steps in for the buyer
            opened = delivered + int(rng.uniform(0.5, 2) * D)
            closed = opened + int(rng.uniform(3, 3.5) * D)
            self._later(opened, "claim_opened", order_id=order_id, ref=ref)
            self._later(closed, "claim_closed", ref=ref, outcome="granted")
            self._later(closed + 2 * H, "refund", order_id=order_id, amount=amount, reason="not_received")
            return
        opened = delivered + int(rng.uniform(2, 20) * D)
        self._later(opened, "claim_opened", order_id=order_id, ref=ref)
        closed = opened + int(rng.uniform(3, 14) * D)
        if rng.random() >= 0.03:
            slow = rng.random() < 0.05
            answered = opened + int(
                rng.uniform(50, 100) * H if slow else min(rng.expovariate(1 / (10 * H)), 47 * H)
            )
            self._later(answered, "claim_responded", ref=ref)
            closed = max(closed, answered + H)
        outcome = rng.choices(("granted", "denied", "withdrawn"), (35, 40, 25))[0]
        self._later(closed, "claim_closed", ref=ref, outcome=outcome)
        if outcome == "granted":
            self._later(closed + 2 * H, "refund", order_id=order_id, amount=amount, reason="not_received")

    def _chargeback(self, order_id: str, placed: int) -> None:
        rng = self.rng
        ref = self._ref("chargeback")
        opened = placed + int(rng.uniform(15, 60) * D)
        self._later(opened, "chargeback_opened", order_id=order_id, ref=ref)
        outcome = "reversed" if rng.random() < 0.55 else "upheld"
        self._later(opened + int(rng.uniform(10, 40) * D), "chargeback_closed", ref=ref, outcome=outcome)

    def _return(self, order_id: str, delivered: int, mfn: bool, amount: str) -> None:
        rng = self.rng
        ref = self._ref("return")
        requested = delivered + int(rng.uniform(1, 25) * D)
        self._later(requested, "return_requested", order_id=order_id, ref=ref)
        roll = rng.random()
        if not mfn:  # the marketplace authorizes its own returns at once
            responded, outcome = requested + int(rng.uniform(5 * MINUTE, 2 * H)), "authorized"
        elif roll < 0.003:  # forgotten, answered 4 to 8 days later
            self._later(
                requested + _forgotten_for(ref, 96, 192), "return_responded", ref=ref, outcome="authorized"
            )
            return
        else:  # a few answered after the 48 hours the return metric allows
            late = roll < 0.015
            delay = rng.uniform(49, 120) * H if late else min(rng.expovariate(1 / (12 * H)), 47 * H)
            responded = requested + int(delay)
            outcome = rng.choices(("authorized", "refunded", "rejected", "closed"), (85, 6, 5, 4))[0]
        self._later(responded, "return_responded", ref=ref, outcome=outcome)
        reason = _return_reason(ref)
        if outcome == "refunded":
            self._later(responded + MINUTE, "refund", order_id=order_id, amount=amount, reason=reason)
        elif outcome == "authorized" and rng.random() < 0.92:
            refunded = responded + int(rng.uniform(3, 12) * D)
            self._later(refunded, "refund", order_id=order_id, amount=amount, reason=reason)
        elif outcome == "rejected" and rng.random() < 0.3:
            ruled = responded + int(rng.uniform(2, 10) * D)
            self._later(ruled, "return_invalid_rejection", ref=ref)
            self._later(ruled + H, "refund", order_id=order_id, amount=amount, reason=reason)
        if rng.random() < 0.18:
            negative = rng.random() < (0.6 if outcome == "rejected" else 0.08)
            rating = rng.choice((1, 2)) if negative else rng.choice((3, 4, 5, 5))
            self._later(requested + int(rng.uniform(5, 20) * D), "return_feedback", ref=ref, rating=rating)

    # -- buyer messages -------------------------------------------------------------------------

    def _message(self, received: int, order_id: str, *, follow_up: bool) -> None:
        rng = self.rng
        ref = self._ref("message")
        self._later(received, "message_received", ref=ref, order_id=order_id)
        pressure = self.scenario.pressure("replies", received)
        roll = rng.random()
        if roll < DISMISSED:  # "no response needed"
            self._later(self._desk_time(received, 1.0), "message_dismissed", ref=ref)
            return
        roll -= DISMISSED
        never = NEVER_REPLIED + 0.05 * pressure
        if roll < never:  # forgotten in the inbox, found and answered 3 to 10 days later
            self._later(received + _forgotten_for(ref, 72, 240), "message_replied", ref=ref)
            return
        replied = self._desk_time(received, 1.0 + 3.0 * pressure)
        if roll - never < SLOW_REPLY + SLOW_REPLY_PEAK * pressure:  # buried in the inbox
            replied = max(replied, received + 24 * H + int(rng.uniform(10 * MINUTE, 48 * H)))
        self._later(replied, "message_replied", ref=ref)
        if rng.random() < 0.35:
            fast = replied - received <= 24 * H
            answer = "yes" if rng.random() < (0.88 if fast else 0.5) else "no"
            answered = replied + int(rng.uniform(1, 48) * H)
            self._later(answered, "cs_survey", ref=ref, outcome=answer)
            if rng.random() < 0.03:  # the buyer changed their mind
                flipped = "no" if answer == "yes" else "yes"
                self._later(answered + int(rng.uniform(1, 72) * H), "cs_survey", ref=ref, outcome=flipped)
        if follow_up and order_id and rng.random() < 0.12:
            self._message(replied + int(rng.uniform(2, 60) * H), order_id, follow_up=False)

    def _desk_time(self, received: int, slowness: float) -> int:
        """When the desk answers a message received at ``received``: it works in local office hours
        (shorter at weekends, where it is slower too), so night and weekend messages wait."""
        day = self.days.day(received)
        weekend = weekday(day) >= 5
        work = self.rng.expovariate(1 / (DESK_MEAN_HOURS[weekend] * H * slowness))
        at = received
        while True:
            start = self.days.start(day)
            opens, closes = (start + hour * H for hour in DESK_HOURS[weekday(day) >= 5])
            if at < closes:
                at = max(at, opens)
                if at + work <= closes:
                    return int(at + work)
                work -= closes - at
            day += 1
            at = self.days.start(day)


def _forgotten_for(ref: str, low_hours: int, high_hours: int) -> int:
    """How long a forgotten message or return waits, derived from its ref rather than drawn from the
    seeded stream, so forgetting changes no other event of the marketplace."""
    return (low_hours + zlib.crc32(ref.encode()) % (high_hours - low_hours)) * H


# Why buyers return: half of it is the buyer's own doing, half the seller's (the reasons a marketplace such as
# Walmart holds against the seller's refund rate).
RETURN_REASONS = (
    "changed_mind", "changed_mind", "no_longer_needed", "ordered_by_mistake", "better_price",
    "damaged", "defective", "wrong_item", "not_as_described", "missing_parts",
)  # fmt: skip


def _return_reason(ref: str) -> str:
    """The reason a return's refund gives, derived from its ref rather than drawn from the seeded stream,
    so carrying reasons changed no other event of the marketplace."""
    return RETURN_REASONS[zlib.crc32(ref.encode()) % len(RETURN_REASONS)]
