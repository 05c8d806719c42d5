"""Hand-written cases for every rule of METRICS.md, each checked against the engine AND the reference.

Every expected number below was worked out by hand from METRICS.md (the reasoning is in the comments), not
taken from any implementation. Unless a test says otherwise the account is in UTC and ``at`` is
2026-11-20T15:30:00Z, the example instant of METRICS.md section 1, whose windows (amazon profile) are:

    odr, odr_afn, negative_feedback_rate, a_to_z_rate, chargeback_rate (60 d, lag 14): 2026-09-08..2026-11-06
    odr_recent, rdr (60 d, lag 0): 2026-09-22..2026-11-20      pfcr (7 d): 2026-11-14..2026-11-20
    lsr_10d: 2026-11-11..2026-11-20    lsr_30d, vtr, crt, avg_response_hours, refund_rate: 2026-10-22..2026-11-20
    otdr (14 d, lag 7): 2026-10-31..2026-11-13    perfect_order_rate (90 d): 2026-08-23..2026-11-20
    policy_violations (180 d): 2026-05-25..2026-11-20
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from typing import Any

import pytest
from reference import reference_report
from sellerpulse.core.events import Event, parse_event
from sellerpulse.core.profile import Profile, builtin_profile
from sellerpulse.core.timeutil import parse_instant

AT = "2026-11-20T15:30:00Z"


# ----------------------------------------------------------------------------------------------- helpers


def ev(kind: str, ts: str, order_id: str = "", ref: str = "", **fields: Any) -> Event:
    """One canonical event, validated by the real parser (so every case is a valid stream)."""
    row = {"kind": kind, "ts": ts, "order_id": order_id, "ref": ref}
    row.update({k: str(v) for k, v in fields.items()})
    return parse_event(row)


def placed(order_id: str, ts: str, channel: str = "MFN", **fields: Any) -> Event:
    return ev("order_placed", ts, order_id, channel=channel, **fields)


class Runner:
    """Feeds batches of events to one implementation and reports as of an instant.

    The engine is only ever given events with ``ts <= at`` (as ``report`` does): when a report asks for an
    instant earlier than something already fed, a fresh engine is fed the same batches, filtered.
    """

    def __init__(self, kind: str, timezone: str, account_timezones: dict[str, str] | None, profile: Profile):
        self.kind = kind
        self.timezone = timezone
        self.account_timezones = account_timezones
        self.profile = profile
        self.batches: list[list[Event]] = []
        self.engine = self.new_engine() if kind == "engine" else None

    def new_engine(self):
        from sellerpulse.core.engine import Engine

        return Engine(profile=self.profile, timezone=self.timezone, account_timezones=self.account_timezones)

    def feed(self, events: Iterable[Event]) -> None:
        batch = list(events)
        self.batches.append(batch)
        if self.engine is not None:
            self.engine.ingest(batch)

    def report(self, at: str) -> dict[str, Any]:
        at_us = parse_instant(at)
        if self.kind == "reference":
            events = [e for batch in self.batches for e in batch]
            return reference_report(events, at_us, self.timezone, self.account_timezones, self.profile)
        engine = self.engine
        if any(e.ts > at_us for batch in self.batches for e in batch):
            engine = self.new_engine()
            for batch in self.batches:
                engine.ingest([e for e in batch if e.ts <= at_us])
        return engine.snapshot(at_us).to_json()["accounts"]


@pytest.fixture(params=["reference", "engine"])
def make(request: pytest.FixtureRequest):
    """``make(timezone=..., account_timezones=..., profile=...)`` -> a fresh :class:`Runner`."""

    def factory(
        timezone: str = "UTC",
        account_timezones: dict[str, str] | None = None,
        profile: Profile | None = None,
    ) -> Runner:
        return Runner(request.param, timezone, account_timezones, profile or builtin_profile("amazon"))

    return factory


def report_of(make, events: list[Event], at: str = AT, **kwargs: Any) -> dict[str, Any]:
    runner = make(**kwargs)
    runner.feed(events)
    return runner.report(at)


def check_metric(
    report: dict[str, Any],
    metric: str,
    n: int | None = None,
    d: int | None = None,
    *,
    account: str = "default",
    value: Fraction | float | str | None = "skip",
    status: str | None = None,
    headroom: int | str | None = "skip",
    window: tuple[str, str] | None = None,
) -> None:
    got = report[account]["metrics"][metric]
    where = f"{account}/{metric}: {got}"
    if n is not None:
        assert got["numerator"] == n, where
    if d is not None:
        assert got["denominator"] == d, where
    if value != "skip":
        if value is None:
            assert got["value"] is None, where
        else:
            assert got["value"] is not None and abs(got["value"] - float(value)) <= 1e-12, where
    elif n is not None and d:
        assert got["value"] is not None and abs(got["value"] - n / d) <= 1e-12, where
    if status is not None:
        assert got["status"] == status, where
    if headroom != "skip":
        assert got["headroom"] == headroom, where
    if window is not None:
        assert (got["window"]["from"], got["window"]["to"]) == window, where


def check_queue(
    report: dict[str, Any], queue: str, count: int, overdue: int, due_soon: int, account: str = "default"
) -> None:
    got = report[account]["queues"][queue]
    assert (got["count"], got["overdue"], got["due_soon"]) == (count, overdue, due_soon), f"{queue}: {got}"


# --------------------------------------------------------------------------------------- windows and time


def test_windows_of_the_metrics_md_example(make) -> None:
    # METRICS.md section 1 lists these windows for at = 2026-11-20T15:30:00Z in UTC.
    report = report_of(make, [placed("O1", "2026-11-01T00:00:00Z")])
    check_metric(report, "odr", window=("2026-09-08", "2026-11-06"))
    check_metric(report, "odr_recent", window=("2026-09-22", "2026-11-20"))
    check_metric(report, "pfcr", window=("2026-11-14", "2026-11-20"))
    check_metric(report, "lsr_10d", window=("2026-11-11", "2026-11-20"))
    check_metric(report, "otdr", window=("2026-10-31", "2026-11-13"))
    # 90 days ending 11-20: 20 days back is 10-31, 51 is 09-30, 81 is 08-31, 89 is 08-23.
    check_metric(report, "perfect_order_rate", window=("2026-08-23", "2026-11-20"))
    # 180 days: 112 back is 07-31, 143 is 06-30, 173 is 05-31, 179 is 05-25.
    check_metric(report, "policy_violations", window=("2026-05-25", "2026-11-20"))


def test_los_angeles_day_of_at(make) -> None:
    # METRICS.md: at = 2026-11-03T04:10:00Z is day 2026-11-02 in Los Angeles (PST, UTC-8 after 11-01).
    # pfcr: 7 days ending 11-02 = 10-27..11-02. An order at 2026-10-27T06:59:00Z is 23:59 PDT (UTC-7) on
    # 10-26 (out); one at 07:00:00Z is 00:00 PDT on 10-27 (in). Both seller-cancelled: n = 1, d = 1.
    events = [
        placed("A", "2026-10-27T06:59:00Z"),
        ev("order_cancelled", "2026-10-27T08:00:00Z", "A", by="seller"),
        placed("B", "2026-10-27T07:00:00Z"),
        ev("order_cancelled", "2026-10-27T08:00:00Z", "B", by="seller"),
    ]
    report = report_of(make, events, "2026-11-03T04:10:00Z", timezone="America/Los_Angeles")
    check_metric(report, "pfcr", 1, 1, window=("2026-10-27", "2026-11-02"), status="breach")
    # The same stream in UTC: day 11-03, window 10-28..11-03, neither order is in it.
    report = report_of(make, events, "2026-11-03T04:10:00Z")
    check_metric(report, "pfcr", 0, 0, window=("2026-10-28", "2026-11-03"), status="no_data", value=None)


def test_window_edges_at_local_midnight_in_berlin(make) -> None:
    # at = 2026-11-20T23:30:00Z is 00:30 CET on 11-21 in Berlin, 23:30 on 11-20 in UTC.
    # The same events go to account "berlin" (Europe/Berlin) and "utc" (the default time zone UTC).
    # pfcr: Berlin 11-15..11-21, UTC 11-14..11-20.
    #   E1 placed 2026-11-14T22:59Z = 23:59 CET 11-14: Berlin out, UTC in. Seller-cancelled.
    #   E2 placed 2026-11-14T23:01Z = 00:01 CET 11-15: in for both.
    #   E3 placed 2026-11-20T23:10Z = 00:10 CET 11-21: in for both (UTC day 11-20).
    # lsr_30d: Berlin 10-23..11-21, UTC 10-22..11-20 (attributed to ship_by, all shipped on time).
    #   S1 ship_by 2026-10-22T21:59Z = 23:59 CEST (UTC+2, before the 10-25 change) 10-22: Berlin out, UTC in.
    #   S2 ship_by 2026-10-22T22:00Z = 00:00 CEST 10-23: in for both.
    #   S3 ship_by 2026-10-21T23:30Z = 01:30 CEST 10-22: Berlin out, UTC out (UTC day 10-21).
    rows = [
        ("E1", "2026-11-14T22:59:00Z", None),
        ("E2", "2026-11-14T23:01:00Z", None),
        ("E3", "2026-11-20T23:10:00Z", None),
        ("S1", "2026-10-20T10:00:00Z", "2026-10-22T21:59:00Z"),
        ("S2", "2026-10-20T10:00:00Z", "2026-10-22T22:00:00Z"),
        ("S3", "2026-10-20T10:00:00Z", "2026-10-21T23:30:00Z"),
    ]
    events = []
    for account in ("berlin", "utc"):
        for order_id, ts, ship_by in rows:
            extra = {"ship_by": ship_by} if ship_by else {}
            events.append(placed(order_id, ts, account=account, **extra))
            if ship_by:
                events.append(
                    ev("order_shipped", "2026-10-21T12:00:00Z", order_id, account=account, tracking="1Z")
                )
        events.append(ev("order_cancelled", "2026-11-14T23:30:00Z", "E1", account=account, by="seller"))
    at = "2026-11-20T23:30:00Z"
    report = report_of(make, events, at, account_timezones={"berlin": "Europe/Berlin"})
    check_metric(report, "pfcr", 0, 2, account="berlin", window=("2026-11-15", "2026-11-21"))
    check_metric(report, "pfcr", 1, 3, account="utc", window=("2026-11-14", "2026-11-20"))
    check_metric(report, "lsr_30d", 0, 1, account="berlin", window=("2026-10-23", "2026-11-21"))
    check_metric(report, "lsr_30d", 0, 2, account="utc", window=("2026-10-22", "2026-11-20"))
    # --timezone applies to every account that does not set its own: now "utc" is in Berlin too.
    report = report_of(make, events, at, timezone="Europe/Berlin", account_timezones={"utc": "UTC"})
    check_metric(report, "pfcr", 1, 3, account="utc")
    check_metric(report, "pfcr", 0, 2, account="berlin")


# -------------------------------------------------------------------------------------------- order defects


def test_odr_lag_of_14_days(make) -> None:
    # odr covers 09-08..11-06, odr_recent 09-22..11-20.
    #   A placed 09-07 23:59:59 (out of both), defect.   B placed 09-08 00:00:00 (odr only), no defect.
    #   C placed 11-06 23:59:59 (both), defect.          D placed 11-07 00:00:00 (odr_recent only), defect.
    # odr: B, C -> 1 / 2.   odr_recent: C, D -> 2 / 2.
    events = [
        placed("A", "2026-09-07T23:59:59Z"),
        placed("B", "2026-09-08T00:00:00Z"),
        placed("C", "2026-11-06T23:59:59Z"),
        placed("D", "2026-11-07T00:00:00Z"),
    ]
    events += [ev("feedback", "2026-11-19T00:00:00Z", o, rating=1) for o in ("A", "C", "D")]
    report = report_of(make, events)
    check_metric(report, "odr", 1, 2, status="breach", headroom=0)
    check_metric(report, "odr_recent", 2, 2, status="breach", headroom=0)


def test_late_defect_changes_the_old_bucket(make) -> None:
    # An order of 09-10 gets a claim on 11-19 (70 days later): it counts in the odr window of the order day
    # (09-10 is in 09-08..11-06), so odr is 1 / 1, and it is not in odr_recent (09-22..11-20): no data.
    events = [
        placed("O1", "2026-09-10T12:00:00Z"),
        ev("claim_opened", "2026-11-19T12:00:00Z", "O1", ref="AZ1"),
    ]
    report = report_of(make, events)
    check_metric(report, "odr", 1, 1)
    check_metric(report, "a_to_z_rate", 1, 1)
    check_metric(report, "odr_recent", 0, 0, status="no_data", value=None, headroom=None)
    # As of 11-18 the claim does not exist yet: 0 / 1.
    report = report_of(make, events, "2026-11-18T00:00:00Z")
    check_metric(report, "odr", 0, 1, status="ok")


def test_two_defects_counted_once(make) -> None:
    # O1 has negative feedback, an open claim and an upheld chargeback; O2 is clean. Both placed 10-01.
    # odr 1 / 2 (O1 once). Each sub-rate is 1 / 2 too.
    events = [
        placed("O1", "2026-10-01T10:00:00Z"),
        placed("O2", "2026-10-01T10:00:00Z"),
        ev("feedback", "2026-10-05T10:00:00Z", "O1", rating=1),
        ev("claim_opened", "2026-10-06T10:00:00Z", "O1", ref="AZ1"),
        ev("chargeback_opened", "2026-10-07T10:00:00Z", "O1", ref="CB1"),
        ev("chargeback_closed", "2026-10-09T10:00:00Z", ref="CB1", outcome="upheld"),
    ]
    report = report_of(make, events)
    for metric in ("odr", "negative_feedback_rate", "a_to_z_rate", "chargeback_rate"):
        check_metric(report, metric, 1, 2, status="breach")


def test_feedback_replaced_and_removed(make) -> None:
    # All placed 10-01 (odr window). Which feedback counts (latest by ts, unless removed at or after it):
    #   F1: 1 star (10-05) then 5 stars (10-06)         -> 5, not negative
    #   F2: 5 stars then 2 stars                          -> 2, negative
    #   F3: 1 star, removed on 10-07                      -> none
    #   F4: 1 star, removed 10-07, 2 stars on 10-08       -> 2, negative (the newer feedback is not removed)
    #   F5: 3 stars                                       -> not negative (only 1-2 are)
    #   F6: 4 stars on 10-09 arrives before 2 stars of 10-05 -> the latest by ts (4) counts: not negative
    #   F7: 1 star and a removal at the very same instant -> removed (removal ts >= feedback ts)
    # negative_feedback_rate = odr = 2 / 7.
    events = [placed(f"F{i}", "2026-10-01T00:00:00Z") for i in range(1, 8)]
    events += [
        ev("feedback", "2026-10-05T00:00:00Z", "F1", rating=1),
        ev("feedback", "2026-10-06T00:00:00Z", "F1", rating=5),
        ev("feedback", "2026-10-05T00:00:00Z", "F2", rating=5),
        ev("feedback", "2026-10-06T00:00:00Z", "F2", rating=2),
        ev("feedback", "2026-10-05T00:00:00Z", "F3", rating=1),
        ev("feedback_removed", "2026-10-07T00:00:00Z", "F3"),
        ev("feedback", "2026-10-05T00:00:00Z", "F4", rating=1),
        ev("feedback_removed", "2026-10-07T00:00:00Z", "F4"),
        ev("feedback", "2026-10-08T00:00:00Z", "F4", rating=2),
        ev("feedback", "2026-10-05T00:00:00Z", "F5", rating=3),
        ev("feedback", "2026-10-09T00:00:00Z", "F6", rating=4),
        ev("feedback", "2026-10-05T00:00:00Z", "F6", rating=2),
        ev("feedback", "2026-10-05T12:00:00Z", "F7", rating=1),
        ev("feedback_removed", "2026-10-05T12:00:00Z", "F7"),
    ]
    report = report_of(make, events)
    check_metric(report, "negative_feedback_rate", 2, 7)
    check_metric(report, "odr", 2, 7)


def test_claims_denied_withdrawn_granted_and_chargebacks(make) -> None:
    # Orders C1..C6 placed 10-01 (odr window):
    #   C1 claim pending -> active.   C2 denied -> removed.   C3 withdrawn -> removed.   C4 granted -> active.
    #   C5 denied on 10-10, then granted on 10-12 (fed in the other order): latest close is granted -> active.
    #   C6 only a claim_closed for a claim that was never opened (an orphan) -> no claim.
    # a_to_z_rate = 3 / 6 (C1, C4, C5).
    # Chargebacks on K1..K3: K1 open -> active; K2 reversed -> removed; K3 upheld -> active. C-orders and
    # K-orders are all MFN in the window: chargeback_rate = 2 / 9; odr = 5 / 9.
    events = [placed(f"C{i}", "2026-10-01T00:00:00Z") for i in range(1, 7)]
    events += [placed(f"K{i}", "2026-10-01T00:00:00Z") for i in range(1, 4)]
    for i in range(1, 6):
        events.append(ev("claim_opened", "2026-10-03T00:00:00Z", f"C{i}", ref=f"AZ{i}"))
    events += [
        ev("claim_closed", "2026-10-10T00:00:00Z", ref="AZ2", outcome="denied"),
        ev("claim_closed", "2026-10-10T00:00:00Z", ref="AZ3", outcome="withdrawn"),
        ev("claim_closed", "2026-10-10T00:00:00Z", ref="AZ4", outcome="granted"),
        ev("claim_closed", "2026-10-12T00:00:00Z", ref="AZ5", outcome="granted"),
        ev("claim_closed", "2026-10-10T00:00:00Z", ref="AZ5", outcome="denied"),
        ev("claim_closed", "2026-10-10T00:00:00Z", ref="AZ6", outcome="denied"),
        ev("chargeback_opened", "2026-10-03T00:00:00Z", "K1", ref="CB1"),
        ev("chargeback_opened", "2026-10-03T00:00:00Z", "K2", ref="CB2"),
        ev("chargeback_opened", "2026-10-03T00:00:00Z", "K3", ref="CB3"),
        ev("chargeback_closed", "2026-10-05T00:00:00Z", ref="CB2", outcome="reversed"),
        ev("chargeback_closed", "2026-10-05T00:00:00Z", ref="CB3", outcome="upheld"),
    ]
    report = report_of(make, events)
    check_metric(report, "a_to_z_rate", 3, 9)
    check_metric(report, "chargeback_rate", 2, 9)
    check_metric(report, "odr", 5, 9)
    # As of 10-11 (before AZ5's grant) AZ5's only close is denied. odr's window is then 07-30..09-27
    # (no order), so look at odr_recent (08-13..10-11): defects C1, C4, K1, K3 -> 4 / 9.
    report = report_of(make, events, "2026-10-11T00:00:00Z")
    check_metric(report, "odr", 0, 0, status="no_data")
    check_metric(report, "odr_recent", 4, 9)


def test_afn_orders_have_their_own_odr(make) -> None:
    # A1 (AFN, negative feedback) and A2 (AFN, clean) placed 10-25; M1 (MFN, clean). 10-25 is in odr's
    # 09-08..11-06 and in refund_rate's 10-22..11-20. odr_afn 1 / 2; odr 0 / 1; refund_rate (both channels)
    # 0 / 3.
    events = [
        placed("A1", "2026-10-25T00:00:00Z", channel="AFN"),
        placed("A2", "2026-10-25T00:00:00Z", channel="AFN"),
        placed("M1", "2026-10-25T00:00:00Z"),
        ev("feedback", "2026-10-26T00:00:00Z", "A1", rating=2),
    ]
    report = report_of(make, events)
    check_metric(report, "odr_afn", 1, 2, status="breach")
    check_metric(report, "odr", 0, 1, status="ok", headroom=0)
    check_metric(report, "refund_rate", 0, 3, status="info", headroom=None)


# ------------------------------------------------------------------------------------ cancellation and LSR


def test_buyer_versus_seller_cancellation(make) -> None:
    # Orders placed 11-15 (pfcr window 11-14..11-20), all with ship_by 11-17:
    #   P1 seller cancel -> counts.   P2 marketplace (auto) cancel -> counts.   P3 buyer cancel -> not.
    #   P4 shipped 11-16 10:00, seller cancel 12:00 (after shipment) -> ignored.
    #   P5 shipped and seller-cancelled at the same instant -> ignored (at or after the shipment).
    #   P6 seller cancel 09:00, shipped 10:00 -> counts (strictly before the first shipment).
    #   P7 AFN, seller cancel -> not in the MFN population.
    # pfcr = 3 / 6 (P1, P2, P6).
    # lsr_10d (11-11..11-20): P1, P2, P3, P6 are cancelled before shipping -> out; P4, P5 shipped on time
    # -> 0 / 2. orders_to_ship: nothing (cancelled or shipped).
    ship_by = "2026-11-17T00:00:00Z"
    events = [placed(f"P{i}", "2026-11-15T08:00:00Z", ship_by=ship_by) for i in range(1, 7)]
    events.append(placed("P7", "2026-11-15T08:00:00Z", channel="AFN"))
    events += [
        ev("order_cancelled", "2026-11-15T09:00:00Z", "P1", by="seller"),
        ev("order_cancelled", "2026-11-15T09:00:00Z", "P2", by="marketplace"),
        ev("order_cancelled", "2026-11-15T09:00:00Z", "P3", by="buyer"),
        ev("order_shipped", "2026-11-16T10:00:00Z", "P4", tracking="1Z4"),
        ev("order_cancelled", "2026-11-16T12:00:00Z", "P4", by="seller"),
        ev("order_shipped", "2026-11-16T10:00:00Z", "P5", tracking="1Z5"),
        ev("order_cancelled", "2026-11-16T10:00:00Z", "P5", by="seller"),
        ev("order_cancelled", "2026-11-16T09:00:00Z", "P6", by="seller"),
        ev("order_shipped", "2026-11-16T10:00:00Z", "P6", tracking="1Z6"),
        ev("order_cancelled", "2026-11-15T09:00:00Z", "P7", by="seller"),
    ]
    report = report_of(make, events)
    check_metric(report, "pfcr", 3, 6, status="breach", headroom=0)
    check_metric(report, "lsr_10d", 0, 2, status="ok")
    check_queue(report, "orders_to_ship", 0, 0, 0)


def test_late_and_unshipped_orders(make) -> None:
    # All MFN, placed 11-15 10:00. at = 11-20 15:30 UTC; lsr_10d 11-11..11-20, lsr_30d 10-22..11-20.
    #   L1 ship_by 11-18 12:00, shipped exactly then             -> in, not late ("after" is >)
    #   L2 ship_by 11-18 12:00, shipped 1 microsecond later      -> in, late
    #   L3 ship_by 11-19 12:00, never shipped                    -> in, late (ship_by < at)
    #   L4 ship_by 11-20 19:30 (later today), not shipped        -> in, not late
    #   L5 ship_by = at exactly, not shipped                     -> in, not late (ship_by < at is false)
    #   L6 ship_by 11-21 10:00 (tomorrow)                        -> out (attributed to 11-21)
    #   L7 ship_by 11-10 23:59:59, shipped 11-12                 -> lsr_30d only, late
    #   L8 no ship_by, not shipped                               -> out
    #   L9 AFN with ship_by 11-18                                -> out
    #   L10 ship_by 11-18, buyer-cancelled 11-16, never shipped  -> out
    # lsr_10d = 2 / 5 (L2, L3); lsr_30d = 3 / 6 (+ L7).
    # perfect_order_rate (MFN placed in 08-23..11-20: L1..L8, L10 = 9): imperfect L2, L3, L7 -> 6 / 9.
    # orders_to_ship (MFN, ship_by, not shipped, not cancelled): L3, L4, L5, L6 -> count 4;
    #   overdue (deadline < at): L3; due_soon (at <= deadline <= at + 4 h = 19:30): L4 (exactly 19:30), L5.
    placed_at = "2026-11-15T10:00:00Z"
    events = [
        placed("L1", placed_at, ship_by="2026-11-18T12:00:00Z"),
        ev("order_shipped", "2026-11-18T12:00:00Z", "L1", tracking="1Z"),
        placed("L2", placed_at, ship_by="2026-11-18T12:00:00Z"),
        ev("order_shipped", "2026-11-18T12:00:00.000001Z", "L2", tracking="1Z"),
        placed("L3", placed_at, ship_by="2026-11-19T12:00:00Z"),
        placed("L4", placed_at, ship_by="2026-11-20T19:30:00Z"),
        placed("L5", placed_at, ship_by=AT),
        placed("L6", placed_at, ship_by="2026-11-21T10:00:00Z"),
        placed("L7", "2026-11-08T10:00:00Z", ship_by="2026-11-10T23:59:59Z"),
        ev("order_shipped", "2026-11-12T00:00:00Z", "L7", tracking="1Z"),
        placed("L8", placed_at),
        placed("L9", placed_at, channel="AFN", ship_by="2026-11-18T12:00:00Z"),
        placed("L10", placed_at, ship_by="2026-11-18T00:00:00Z"),
        ev("order_cancelled", "2026-11-16T00:00:00Z", "L10", by="buyer"),
    ]
    report = report_of(make, events)
    check_metric(report, "lsr_10d", 2, 5, status="breach", headroom=0)
    check_metric(report, "lsr_30d", 3, 6, status="breach")
    check_metric(report, "perfect_order_rate", 6, 9, status="breach", headroom=0)
    check_queue(report, "orders_to_ship", 4, 1, 2)
    # One hour earlier (14:30): L3 is late already; L4's deadline (19:30) is 5 h away (not due soon) and
    # L5's (15:30) is 1 h away (due soon). lsr_10d 2 / 5 still.
    report = report_of(make, events, "2026-11-20T14:30:00Z")
    check_metric(report, "lsr_10d", 2, 5)
    check_queue(report, "orders_to_ship", 4, 1, 1)


# -------------------------------------------------------------------------------------- tracking, delivery


def test_valid_tracking_uses_the_first_shipment(make) -> None:
    # vtr window 10-22..11-20 by the first shipment's day.
    #   V1 shipped 11-01 with tracking -> good.    V2 shipped 11-01 without -> bad.
    #   V3 no tracking on 11-01, tracking on 11-02 -> the first shipment counts: bad.
    #   V4 two shipments at the same instant, one with tracking -> good (ties prefer the tracked one).
    #   V5 shipped 10-21 23:59 -> out.   V6 AFN -> out.
    #   V7 untracked 10-21 22:00, tracked 10-22 01:00 -> first shipment on 10-21: out.
    # vtr = 2 / 4 good.
    events = [placed(f"V{i}", "2026-10-20T00:00:00Z") for i in (1, 2, 3, 4, 5, 7)]
    events.append(placed("V6", "2026-10-20T00:00:00Z", channel="AFN"))
    events += [
        ev("order_shipped", "2026-11-01T10:00:00Z", "V1", tracking="1Z1"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "V2"),
        ev("order_shipped", "2026-11-02T10:00:00Z", "V3", tracking="1Z3"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "V3"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "V4", tracking="1Z4"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "V4"),
        ev("order_shipped", "2026-10-21T23:59:00Z", "V5", tracking="1Z5"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "V6", tracking="1Z6"),
        ev("order_shipped", "2026-10-21T22:00:00Z", "V7"),
        ev("order_shipped", "2026-10-22T01:00:00Z", "V7", tracking="1Z7"),
    ]
    report = report_of(make, events)
    # above 0.95: 2/4 breaches; headroom max(0, floor(4 * 0.05) - 2) = 0.
    check_metric(report, "vtr", 2, 4, status="breach", headroom=0)


def test_on_time_delivery_with_lag(make) -> None:
    # otdr covers deliver_by days 10-31..11-13. All MFN, placed 10-25, shipped 10-26 with tracking unless said.
    #   D1 deliver_by 11-05 12:00, delivered exactly then        -> good
    #   D2 deliver_by 11-05 12:00, delivered 1 s later           -> bad
    #   D3 deliver_by 11-12 12:00, never delivered               -> bad (deliver_by < at)
    #   D4 deliver_by 11-14 12:00                                -> out (in the 7-day lag)
    #   D5 deliver_by 10-30 23:59:59                             -> out
    #   D6 shipped without tracking                              -> out (no valid tracking)
    #   D7 no deliver_by                                         -> out
    #   D8 never shipped, deliver_by 11-05                       -> out (not shipped)
    #   D9 deliver_by 10-31 00:00:00, delivered 10-30            -> good (first day of the window)
    # otdr = 2 / 4 good; above 0.97 -> breach; headroom max(0, floor(4 * 0.03) - 2) = 0.
    # vtr (first shipments 10-26, window 10-22..11-20): D1..D7, D9 shipped = 8, D6 untracked -> 7 / 8.
    rows = {
        "D1": "2026-11-05T12:00:00Z",
        "D2": "2026-11-05T12:00:00Z",
        "D3": "2026-11-12T12:00:00Z",
        "D4": "2026-11-14T12:00:00Z",
        "D5": "2026-10-30T23:59:59Z",
        "D6": "2026-11-05T12:00:00Z",
        "D7": None,
        "D8": "2026-11-05T12:00:00Z",
        "D9": "2026-10-31T00:00:00Z",
    }
    events = []
    for order_id, deliver_by in rows.items():
        extra = {"deliver_by": deliver_by} if deliver_by else {}
        events.append(placed(order_id, "2026-10-25T00:00:00Z", **extra))
        if order_id != "D8":
            tracking = "" if order_id == "D6" else "1Z" + order_id
            events.append(ev("order_shipped", "2026-10-26T00:00:00Z", order_id, tracking=tracking))
    events += [
        ev("order_delivered", "2026-11-05T12:00:00Z", "D1"),
        ev("order_delivered", "2026-11-05T12:00:01Z", "D2"),
        ev("order_delivered", "2026-10-30T12:00:00Z", "D9"),
    ]
    report = report_of(make, events)
    check_metric(report, "otdr", 2, 4, status="breach", headroom=0, window=("2026-10-31", "2026-11-13"))
    check_metric(report, "vtr", 7, 8, status="breach")


# ------------------------------------------------------------------------------------------ messages, CRT


def test_contact_response_pending_versus_late_and_dismissed(make) -> None:
    # crt window 10-22..11-20; messages need no order. at = 11-20 15:30.
    #   M1 received 11-19 10:00, replied 11-20 10:00 (exactly 24 h)         -> good
    #   M2 received 11-19 10:00, replied 24 h + 1 microsecond later         -> bad
    #   M3 received 11-20 10:00, no reply (5.5 h ago)                       -> pending: left out
    #   M4 received 11-19 15:30, no reply (exactly 24 h ago)                -> pending (<= 24 h): left out
    #   M5 received 11-19 15:29:59, no reply (24 h + 1 s ago)               -> bad
    #   M6 received 11-18, dismissed, never replied                         -> left out
    #   M7 received 11-18 00:00, replies at 20:00 and 01:00 (fed in that order) -> first reply 1 h: good
    #   M8 received 10-21 23:00, replied 10-22 01:00                        -> out of the window
    # crt = 2 / 4 good (M1, M7); above 0.90 -> breach.
    # avg_response_hours: replied, not dismissed, in the window: M1 24 h, M2 24 h + 1 us, M7 1 h
    #   -> (49 h + 1 us) / 3 = 49/3 + 1/(3 * 3.6e9) hours, denominator 3, numerator null.
    # messages_awaiting_reply (no reply, not dismissed): M3 (deadline 11-21 10:00), M4 (deadline = at:
    #   due soon, not overdue), M5 (deadline 1 s before at: overdue) -> count 3, overdue 1, due_soon 1.
    events = [
        ev("message_received", "2026-11-19T10:00:00Z", ref="M1"),
        ev("message_replied", "2026-11-20T10:00:00Z", ref="M1"),
        ev("message_received", "2026-11-19T10:00:00Z", ref="M2"),
        ev("message_replied", "2026-11-20T10:00:00.000001Z", ref="M2"),
        ev("message_received", "2026-11-20T10:00:00Z", ref="M3"),
        ev("message_received", "2026-11-19T15:30:00Z", ref="M4"),
        ev("message_received", "2026-11-19T15:29:59Z", ref="M5"),
        ev("message_received", "2026-11-18T00:00:00Z", ref="M6"),
        ev("message_dismissed", "2026-11-18T01:00:00Z", ref="M6"),
        ev("message_received", "2026-11-18T00:00:00Z", ref="M7"),
        ev("message_replied", "2026-11-18T20:00:00Z", ref="M7"),
        ev("message_replied", "2026-11-18T01:00:00Z", ref="M7"),
        ev("message_received", "2026-10-21T23:00:00Z", ref="M8"),
        ev("message_replied", "2026-10-22T01:00:00Z", ref="M8"),
    ]
    report = report_of(make, events)
    check_metric(report, "crt", 2, 4, status="breach", headroom=0)
    hours = Fraction(49 * 3_600_000_000 + 1, 3 * 3_600_000_000)
    check_metric(report, "avg_response_hours", None, 3, value=hours)
    assert report["default"]["metrics"]["avg_response_hours"]["numerator"] is None
    check_queue(report, "messages_awaiting_reply", 3, 1, 1)


def test_late_reply_then_dismissed_is_left_out(make) -> None:
    # A message unanswered for 3 days is late; once dismissed it leaves crt and the queue.
    events = [ev("message_received", "2026-11-17T00:00:00Z", ref="M1")]
    report = report_of(make, events)
    check_metric(report, "crt", 0, 1, status="breach")
    check_queue(report, "messages_awaiting_reply", 1, 1, 0)
    events.append(ev("message_dismissed", "2026-11-20T12:00:00Z", ref="M1"))
    report = report_of(make, events)
    check_metric(report, "crt", 0, 0, status="no_data", value=None, headroom=None)
    check_metric(report, "avg_response_hours", None, 0, status="no_data", value=None)
    check_queue(report, "messages_awaiting_reply", 0, 0, 0)


# ----------------------------------------------------------------------------------------------- returns


def test_return_dissatisfaction_three_causes(make) -> None:
    # rdr window 09-22..11-20, every return whose order exists, both channels. Orders placed 09-20.
    #   R1 requested 11-01, responded 11-02 (24 h), return feedback 5          -> good
    #   R2 requested 11-01 00:00, responded 11-03 00:00 (exactly 48 h)         -> good (> 48 h is late)
    #   R3 requested 11-01 00:00, responded 11-03 00:00:01                     -> bad: late response
    #   R4 responded in 1 h, return feedback 2                                 -> bad: negative feedback
    #   R5 responded (rejected) in 1 h, then ruled an invalid rejection        -> bad: invalid rejection
    #   R6 requested 11-20 05:30 (10 h before at), no response                 -> in, not bad yet
    #   R7 requested 11-18 15:30 (exactly 48 h before at), no response         -> not bad
    #   R8 requested 11-18 15:29:59, no response                               -> bad: no response > 48 h
    #   R9 return feedback 1 then 4 (later): latest is 4, responded in 1 h     -> good
    #   R10 on an order that was never placed                                  -> orphan, out
    #   R11 on an AFN order, responded in 1 h                                  -> good
    #   R12 requested 09-21 23:00, responded                                   -> out of the window
    # rdr = 4 / 10 bad (R3, R4, R5, R8); below 0.10 -> breach, headroom max(0, ceil(1) - 1 - 4) = 0.
    # returns_awaiting_response (no response): R6 (deadline 11-22 05:30), R7 (deadline = at: due soon),
    #   R8 (1 s overdue); R10 is an orphan -> count 3, overdue 1, due_soon 1.
    events = [placed(f"O{i}", "2026-09-20T00:00:00Z") for i in range(1, 13) if i not in (10, 11)]
    events.append(placed("O11", "2026-09-20T00:00:00Z", channel="AFN"))
    requested = {
        1: "2026-11-01T00:00:00Z",
        2: "2026-11-01T00:00:00Z",
        3: "2026-11-01T00:00:00Z",
        4: "2026-11-01T00:00:00Z",
        5: "2026-11-01T00:00:00Z",
        6: "2026-11-20T05:30:00Z",
        7: "2026-11-18T15:30:00Z",
        8: "2026-11-18T15:29:59Z",
        9: "2026-11-01T00:00:00Z",
        10: "2026-11-01T00:00:00Z",
        11: "2026-11-01T00:00:00Z",
        12: "2026-09-21T23:00:00Z",
    }
    for i, ts in requested.items():
        events.append(ev("return_requested", ts, f"O{i}", ref=f"R{i}"))
    soon = "2026-11-01T01:00:00Z"
    events += [
        ev("return_responded", "2026-11-02T00:00:00Z", ref="R1", outcome="authorized"),
        ev("return_feedback", "2026-11-05T00:00:00Z", ref="R1", rating=5),
        ev("return_responded", "2026-11-03T00:00:00Z", ref="R2", outcome="refunded"),
        ev("return_responded", "2026-11-03T00:00:01Z", ref="R3", outcome="authorized"),
        ev("return_responded", soon, ref="R4", outcome="closed"),
        ev("return_feedback", "2026-11-05T00:00:00Z", ref="R4", rating=2),
        ev("return_responded", soon, ref="R5", outcome="rejected"),
        ev("return_invalid_rejection", "2026-11-06T00:00:00Z", ref="R5"),
        ev("return_responded", soon, ref="R9", outcome="authorized"),
        ev("return_feedback", "2026-11-05T00:00:00Z", ref="R9", rating=1),
        ev("return_feedback", "2026-11-06T00:00:00Z", ref="R9", rating=4),
        ev("return_responded", soon, ref="R11", outcome="authorized"),
        ev("return_responded", "2026-09-22T01:00:00Z", ref="R12", outcome="authorized"),
    ]
    report = report_of(make, events)
    check_metric(report, "rdr", 4, 10, status="breach", headroom=0, window=("2026-09-22", "2026-11-20"))
    check_queue(report, "returns_awaiting_response", 3, 1, 1)


# --------------------------------------------------------------------------------- refunds, perfect orders


def test_refund_rate_counts_both_channels(make) -> None:
    # refund_rate window 10-22..11-20 (order date). F1 MFN refunded; F2 AFN refunded twice; F3 MFN and
    # F4 AFN not refunded; F5 placed 10-21 refunded -> out. refund_rate = 2 / 4, informational.
    # perfect_order_rate (MFN, 08-23..11-20): F1 (refund: imperfect), F3 (perfect), F5 (refund) -> 1 / 3.
    events = [
        placed("F1", "2026-11-01T00:00:00Z"),
        placed("F2", "2026-11-01T00:00:00Z", channel="AFN"),
        placed("F3", "2026-11-01T00:00:00Z"),
        placed("F4", "2026-11-01T00:00:00Z", channel="AFN"),
        placed("F5", "2026-10-21T00:00:00Z"),
        ev("refund", "2026-11-03T00:00:00Z", "F1", amount="5.00"),
        ev("refund", "2026-11-03T00:00:00Z", "F2", amount="5.00"),
        ev("refund", "2026-11-04T00:00:00Z", "F2", amount="2.50"),
        ev("refund", "2026-11-03T00:00:00Z", "F5", amount="5.00"),
    ]
    report = report_of(make, events)
    check_metric(
        report, "refund_rate", 2, 4, status="info", headroom=None, window=("2026-10-22", "2026-11-20")
    )
    assert report["default"]["metrics"]["refund_rate"]["value"] == 0.5
    check_metric(report, "perfect_order_rate", 1, 3)


def test_perfect_order_rate(make) -> None:
    # MFN orders placed 11-01 (window 08-23..11-20); ship_by 11-02 12:00 where given.
    #   Q1 shipped 11-01 on time                             -> perfect
    #   Q2 feedback 2 stars                                  -> defect
    #   Q3 seller-cancelled                                  -> imperfect
    #   Q4 shipped 11-03 (after ship_by)                     -> late
    #   Q5 shipped on time, refunded                         -> imperfect
    #   Q6 buyer-cancelled, never shipped, ship_by passed    -> perfect (cancelled: never late)
    #   Q7 no ship_by, never shipped                         -> perfect (without ship_by: never late)
    #   Q8 AFN with feedback 1                               -> not in the population
    #   Q9 claim withdrawn, shipped on time                  -> perfect
    #   Q10 placed 08-22 23:59:59                            -> out of the window
    # perfect_order_rate = 4 / 8 (Q1, Q6, Q7, Q9); above 0.95 -> breach, headroom 0.
    # odr_afn = 1 / 1 (Q8: 11-01 is in 09-08..11-06).
    ship_by = "2026-11-02T12:00:00Z"
    day = "2026-11-01T00:00:00Z"
    events = [placed(f"Q{i}", day, ship_by=ship_by) for i in (1, 2, 3, 4, 5, 6, 9)]
    events += [
        placed("Q7", day),
        placed("Q8", day, channel="AFN"),
        placed("Q10", "2026-08-22T23:59:59Z", ship_by="2026-08-24T00:00:00Z"),
        ev("order_shipped", "2026-08-23T00:00:00Z", "Q10", tracking="1Z"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "Q1", tracking="1Z"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "Q2", tracking="1Z"),
        ev("feedback", "2026-11-05T00:00:00Z", "Q2", rating=2),
        ev("order_cancelled", "2026-11-01T05:00:00Z", "Q3", by="seller"),
        ev("order_shipped", "2026-11-03T00:00:00Z", "Q4", tracking="1Z"),
        ev("order_shipped", "2026-11-01T10:00:00Z", "Q5", tracking="1Z"),
        ev("refund", "2026-11-06T00:00:00Z", "Q5", amount="3.00"),
        ev("order_cancelled", "2026-11-01T05:00:00Z", "Q6", by="buyer"),
        ev("feedback", "2026-11-05T00:00:00Z", "Q8", rating=1),
        ev("order_shipped", "2026-11-01T10:00:00Z", "Q9", tracking="1Z"),
        ev("claim_opened", "2026-11-04T00:00:00Z", "Q9", ref="AZ9"),
        ev("claim_closed", "2026-11-05T00:00:00Z", ref="AZ9", outcome="withdrawn"),
    ]
    report = report_of(make, events)
    check_metric(report, "perfect_order_rate", 4, 8, status="breach", headroom=0)
    check_metric(report, "odr_afn", 1, 1)


# ------------------------------------------------------------------------------------------ violations


def test_policy_violations_window_and_resolution(make) -> None:
    # Window 05-25..11-20 (180 days, by the violation's ts).
    #   V1 2026-05-25 00:00 open -> counts.   V2 05-24 23:59:59 open -> out.   V3 resolved -> no.
    #   V4 11-01 open -> counts.   V5 resolved, the resolution fed before the violation -> no.
    #   V6 only a violation_resolved (orphan) -> nothing.
    # policy_violations: value = numerator = 2, denominator null, headroom null, breach (ok only at 0).
    events = [
        ev("violation", "2026-05-25T00:00:00Z", ref="V1", severity="high"),
        ev("violation", "2026-05-24T23:59:59Z", ref="V2"),
        ev("violation", "2026-11-01T00:00:00Z", ref="V3", severity="low"),
        ev("violation_resolved", "2026-11-03T00:00:00Z", ref="V3"),
        ev("violation", "2026-11-01T00:00:00Z", ref="V4"),
        ev("violation_resolved", "2026-11-03T00:00:00Z", ref="V5"),
        ev("violation", "2026-11-01T00:00:00Z", ref="V5"),
        ev("violation_resolved", "2026-11-03T00:00:00Z", ref="V6"),
    ]
    report = report_of(make, events)
    check_metric(report, "policy_violations", 2, None, value=2, status="breach", headroom=None)
    assert report["default"]["metrics"]["policy_violations"]["denominator"] is None
    # After V1 and V4 are resolved: 0 -> ok.
    events += [ev("violation_resolved", "2026-11-19T00:00:00Z", ref=r) for r in ("V1", "V4")]
    report = report_of(make, events)
    check_metric(report, "policy_violations", 0, None, value=0, status="ok", headroom=None)


# --------------------------------------------------------------------------------- status and headroom


def clean_orders(count: int, defects: int, day: str = "2026-10-01T00:00:00Z") -> list[Event]:
    """``count`` MFN orders placed on ``day``, the first ``defects`` of them with 1-star feedback."""
    events = [placed(f"H{i}", day) for i in range(count)]
    events += [ev("feedback", "2026-10-02T00:00:00Z", f"H{i}", rating=1) for i in range(defects)]
    return events


@pytest.mark.parametrize(
    ("count", "defects", "status", "headroom"),
    [
        # METRICS.md: 150 orders, 0 defects -> headroom 1 (1/150 = 0.67 % < 1 %, 2/150 = 1.33 %).
        (150, 0, "ok", 1),
        # 1/150 = 0.0067 < warn 0.0075: ok; one more would breach -> headroom ceil(1.5) - 1 - 1 = 0.
        (150, 1, "ok", 0),
        (150, 2, "breach", 0),
        # 1/120 = 0.0083: >= warn 0.0075 and < 0.01 -> warning; headroom ceil(1.2) - 1 - 1 = 0.
        (120, 1, "warning", 0),
        # 1/100 = 0.01 exactly = target: below is strict -> breach.
        (100, 1, "breach", 0),
        # 3/400 = 0.0075 exactly = warn -> warning; headroom ceil(4) - 1 - 3 = 0.
        (400, 3, "warning", 0),
        # 2/400 = 0.005 -> ok; headroom ceil(4) - 1 - 2 = 1.
        (400, 2, "ok", 1),
    ],
)
def test_below_direction_status_and_headroom(
    make, count: int, defects: int, status: str, headroom: int
) -> None:
    report = report_of(make, clean_orders(count, defects))
    check_metric(report, "odr", defects, count, status=status, headroom=headroom)


@pytest.mark.parametrize(
    ("shipped", "untracked", "status", "headroom"),
    [
        # 40/40: headroom floor(40 * 0.05) - 0 = 2.
        (40, 0, "ok", 2),
        # 39/40 = 0.975 >= warn 0.96: ok; headroom 2 - 1 = 1.
        (40, 1, "ok", 1),
        # 38/40 = 0.95 exactly = target: above is not strict -> healthy, but < warn 0.96 -> warning.
        (40, 2, "warning", 0),
        # 37/40 = 0.925 -> breach.
        (40, 3, "breach", 0),
        # 24/25 = 0.96 exactly = warn -> ok (warning is value < warn); headroom floor(1.25) - 1 = 0.
        (25, 1, "ok", 0),
    ],
)
def test_above_direction_status_and_headroom(
    make, shipped: int, untracked: int, status: str, headroom: int
) -> None:
    events = []
    for i in range(shipped):
        events.append(placed(f"S{i}", "2026-11-01T00:00:00Z"))
        tracking = "" if i < untracked else f"1Z{i}"
        events.append(ev("order_shipped", "2026-11-02T00:00:00Z", f"S{i}", tracking=tracking))
    report = report_of(make, events)
    check_metric(report, "vtr", shipped - untracked, shipped, status=status, headroom=headroom)


def test_crt_headroom_is_exact(make) -> None:
    # 10 messages all replied within an hour: crt 10/10, headroom floor(10 * (1 - 0.90)) - 0 = 1
    # (in floats 10 * (1 - 0.9) is 0.9999999999999998: a float implementation says 0).
    events = []
    for i in range(10):
        events.append(ev("message_received", "2026-11-10T00:00:00Z", ref=f"M{i}"))
        events.append(ev("message_replied", "2026-11-10T01:00:00Z", ref=f"M{i}"))
    report = report_of(make, events)
    check_metric(report, "crt", 10, 10, status="ok", headroom=1)
    check_metric(report, "avg_response_hours", None, 10, value=1, status="info")


def test_targets_compare_exactly_not_in_floats(make) -> None:
    # With odr's target overridden to "0.3" (warn "0.2"): 3 defects of 10 orders is exactly 0.3 -> breach
    # (float(3/10) < Decimal("0.3") is True, an inexact comparison would say healthy). 2 of 10 = 0.2 =
    # warn -> warning; headroom ceil(3) - 1 - 2 = 0. 0 of 10: headroom ceil(3) - 1 = 2.
    # With vtr's target "0.7" (warn "0.8"): 7 of 10 tracked is exactly 0.7 -> warning, not breach (in floats
    # 7/10 is below Decimal("0.7")); headroom floor(10 * 0.3) - 3 = 0.
    profile = builtin_profile("amazon").with_overrides(
        {"metrics": {"odr": {"target": "0.3", "warn": "0.2"}, "vtr": {"target": "0.7", "warn": "0.8"}}}
    )
    check_metric(
        report_of(make, clean_orders(10, 3), profile=profile), "odr", 3, 10, status="breach", headroom=0
    )
    check_metric(
        report_of(make, clean_orders(10, 2), profile=profile), "odr", 2, 10, status="warning", headroom=0
    )
    check_metric(report_of(make, clean_orders(10, 0), profile=profile), "odr", 0, 10, status="ok", headroom=2)
    events = []
    for i in range(10):
        events.append(placed(f"S{i}", "2026-11-01T00:00:00Z"))
        events.append(ev("order_shipped", "2026-11-02T00:00:00Z", f"S{i}", tracking="1Z" if i < 7 else ""))
    check_metric(report_of(make, events, profile=profile), "vtr", 7, 10, status="warning", headroom=0)


def test_profile_windows_and_deadlines_are_read_from_the_profile(make) -> None:
    # odr with lag_days 7 instead of 14 covers 09-15..11-13; messages_awaiting_reply with a 12 h deadline:
    # a message received 11-20 03:00 is overdue at 15:30 (deadline 15:00) instead of due 11-21 03:00.
    # An order of 11-10 with a claim is in the window only with the shorter lag: 1 / 1.
    profile = builtin_profile("amazon").with_overrides(
        {"metrics": {"odr": {"lag_days": 7}}, "queues": {"messages_awaiting_reply": {"deadline_hours": 12}}}
    )
    events = [
        placed("O1", "2026-11-10T00:00:00Z"),
        ev("claim_opened", "2026-11-11T00:00:00Z", "O1", ref="AZ1"),
        ev("message_received", "2026-11-20T03:00:00Z", ref="M1"),
    ]
    report = report_of(make, events, profile=profile)
    check_metric(report, "odr", 1, 1, window=("2026-09-15", "2026-11-13"))
    check_queue(report, "messages_awaiting_reply", 1, 1, 0)
    report = report_of(make, events)
    check_metric(report, "odr", 0, 0, status="no_data", window=("2026-09-08", "2026-11-06"))
    check_queue(report, "messages_awaiting_reply", 1, 0, 0)


def test_no_data(make) -> None:
    # One AFN order and nothing else: every MFN rate and crt/rdr have denominator 0 -> value null, no_data,
    # headroom null; odr_afn 0/1 ok; refund_rate 0/1 info; no violations -> 0, ok.
    report = report_of(make, [placed("A1", "2026-11-01T00:00:00Z", channel="AFN")])
    for metric in ("odr", "odr_recent", "pfcr", "lsr_10d", "vtr", "otdr", "crt", "rdr", "perfect_order_rate"):
        check_metric(report, metric, None, 0, value=None, status="no_data", headroom=None)
    check_metric(report, "avg_response_hours", None, 0, value=None, status="no_data", headroom=None)
    check_metric(report, "odr_afn", 0, 1, status="ok")
    check_metric(report, "refund_rate", 0, 1, status="info", headroom=None)
    check_metric(report, "policy_violations", 0, None, value=0, status="ok")


# ------------------------------------------------------------------------------------------------ queues


def test_claims_queue_overdue_and_due_soon_boundaries(make) -> None:
    # Deadline = opened + 48 h; at = 11-20 15:30; due soon = at <= deadline <= at + 4 h.
    #   Z1 opened 11-18 15:30 -> deadline = at: due soon.       Z2 opened 1 us earlier -> overdue.
    #   Z3 opened 11-18 19:30 -> deadline at + 4 h: due soon.   Z4 1 us later -> neither.
    #   Z5 responded, Z6 closed without response -> not waiting.  Z7's order was never placed -> not a claim.
    # count 4, overdue 1, due_soon 2.
    opened = {
        "Z1": "2026-11-18T15:30:00Z",
        "Z2": "2026-11-18T15:29:59.999999Z",
        "Z3": "2026-11-18T19:30:00Z",
        "Z4": "2026-11-18T19:30:00.000001Z",
        "Z5": "2026-11-18T10:00:00Z",
        "Z6": "2026-11-18T10:00:00Z",
        "Z7": "2026-11-18T10:00:00Z",
    }
    events = [placed("O" + ref, "2026-11-10T00:00:00Z") for ref in opened if ref != "Z7"]
    events += [ev("claim_opened", ts, "O" + ref, ref=ref) for ref, ts in opened.items()]
    events += [
        ev("claim_responded", "2026-11-19T10:00:00Z", ref="Z5"),
        ev("claim_closed", "2026-11-19T10:00:00Z", ref="Z6", outcome="denied"),
    ]
    report = report_of(make, events)
    check_queue(report, "claims_awaiting_response", 4, 1, 2)
    # a_to_z_rate counts Z1..Z5 as active claims (Z6 denied); none is in odr's window (11-10 > 11-06),
    # odr_recent: 5 / 6 orders.
    check_metric(report, "odr_recent", 5, 6)


# -------------------------------------------------------------------------------- orphans and duplicates


def test_orphans_apply_when_their_parent_arrives(make) -> None:
    # First batch: only events whose parents are missing. They change nothing and fill no queue.
    runner = make()
    runner.feed(
        [
            ev("feedback", "2026-10-05T00:00:00Z", "O1", rating=1),
            ev("claim_closed", "2026-10-09T00:00:00Z", ref="AZ1", outcome="denied"),
            ev("message_replied", "2026-11-19T02:00:00Z", ref="M1"),
            ev("return_responded", "2026-11-19T00:00:00Z", ref="R1", outcome="authorized"),
            ev("order_shipped", "2026-10-02T00:00:00Z", "O2", tracking="1Z"),
            ev("violation_resolved", "2026-11-01T00:00:00Z", ref="V1"),
            ev("claim_opened", "2026-11-19T15:30:00Z", "O3", ref="AZ2"),
            ev("return_requested", "2026-11-20T00:00:00Z", "O3", ref="R2"),
        ]
    )
    report = runner.report(AT)
    check_metric(report, "odr", 0, 0, status="no_data")
    check_metric(report, "vtr", 0, 0, status="no_data")
    check_metric(report, "rdr", 0, 0, status="no_data")
    check_metric(report, "policy_violations", 0, None, value=0)
    for queue in ("claims_awaiting_response", "returns_awaiting_response", "messages_awaiting_reply"):
        check_queue(report, queue, 0, 0, 0)
    # Second batch: the parents. Now O1 (placed 10-01) has negative feedback and a denied claim AZ1 (not
    # active); O3 has a pending claim AZ2 (active) -> odr 2 / 3 (O1, O2, O3 placed 10-01), a_to_z 1 / 3.
    # vtr: O2 shipped 10-02 with tracking -> out of 10-22..11-20: no data. M1 received 11-19 00:00 and
    # replied 2 h later: crt 1 / 1, nothing awaiting. R1 responded in 24 h, R2 waiting (deadline 11-22):
    # returns queue 1, rdr 0 / 2. AZ2 waiting (deadline 11-21 15:30): claims queue 1. V1 resolved: 0.
    runner.feed(
        [
            placed("O1", "2026-10-01T00:00:00Z"),
            ev("claim_opened", "2026-10-03T00:00:00Z", "O1", ref="AZ1"),
            ev("message_received", "2026-11-19T00:00:00Z", ref="M1"),
            ev("return_requested", "2026-11-18T00:00:00Z", "O1", ref="R1"),
            placed("O2", "2026-10-01T00:00:00Z"),
            ev("violation", "2026-10-30T00:00:00Z", ref="V1"),
            placed("O3", "2026-10-01T00:00:00Z"),
        ]
    )
    report = runner.report(AT)
    check_metric(report, "odr", 2, 3)
    check_metric(report, "a_to_z_rate", 1, 3)
    check_metric(report, "negative_feedback_rate", 1, 3)
    check_metric(report, "crt", 1, 1, status="ok")
    check_metric(report, "rdr", 0, 2, status="ok")
    check_metric(report, "policy_violations", 0, None, value=0, status="ok")
    check_queue(report, "claims_awaiting_response", 1, 0, 0)
    check_queue(report, "returns_awaiting_response", 1, 0, 0)
    check_queue(report, "messages_awaiting_reply", 0, 0, 0)


def test_duplicates_by_event_id_are_ignored(make) -> None:
    # e1 is seen twice in account "default": the second order_placed (O2) is a duplicate and ignored, even
    # though it names another order. The same event_id in account "other" is a different event.
    # Rows without event_id repeated exactly (refund, feedback) count once per order anyway.
    # default: odr_recent 1 / 1 (O1, negative feedback counted once); refund_rate 1 / 1.
    # other: O2 exists: odr_recent 0 / 1.
    events = [
        placed("O1", "2026-11-01T00:00:00Z", event_id="e1"),
        placed("O2", "2026-11-01T00:00:00Z", event_id="e1"),
        placed("O2", "2026-11-01T00:00:00Z", event_id="e1", account="other"),
        ev("feedback", "2026-11-02T00:00:00Z", "O1", rating=1),
        ev("feedback", "2026-11-02T00:00:00Z", "O1", rating=1),
        ev("refund", "2026-11-03T00:00:00Z", "O1", amount="1.00"),
        ev("refund", "2026-11-03T00:00:00Z", "O1", amount="1.00"),
    ]
    runner = make()
    runner.feed(events)
    report = runner.report(AT)
    check_metric(report, "odr_recent", 1, 1)
    check_metric(report, "refund_rate", 1, 1)
    check_metric(report, "odr_recent", 0, 1, account="other")
    # Replaying the whole stream changes nothing.
    runner.feed(events)
    again = runner.report(AT)
    check_metric(again, "odr_recent", 1, 1)
    check_metric(again, "odr_recent", 0, 1, account="other")
    check_metric(again, "refund_rate", 1, 1)


def test_several_accounts_do_not_mix(make) -> None:
    # Accounts "a" and "b" use the same order ids and refs. a: O1 with claim AZ1 (pending) -> a_to_z 1 / 1,
    # claims queue 1. b: O1 plus a denial of "AZ1" -- b has no claim AZ1, so it is an orphan in b and a's
    # claim stays active; b's a_to_z is 0 / 1 and its claims queue is empty.
    events = [
        placed("O1", "2026-10-01T00:00:00Z", account="a"),
        ev("claim_opened", "2026-11-19T00:00:00Z", "O1", ref="AZ1", account="a"),
        placed("O1", "2026-10-01T00:00:00Z", account="b"),
        ev("claim_closed", "2026-11-19T12:00:00Z", ref="AZ1", account="b", outcome="denied"),
    ]
    report = report_of(make, events)
    assert sorted(report) == ["a", "b"]
    check_metric(report, "a_to_z_rate", 1, 1, account="a")
    check_queue(report, "claims_awaiting_response", 1, 0, 0, account="a")
    check_metric(report, "a_to_z_rate", 0, 1, account="b")
    check_queue(report, "claims_awaiting_response", 0, 0, 0, account="b")
