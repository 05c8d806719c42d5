"""One order placed by several sources (issue 18): hand-worked cases, each checked against the engine AND
the reference (the ``make`` fixture of ``test_engine_rules``).

The rule (EVENTS.md, "One order, several sources"): the order date is the earliest ``ts`` of its
placements; ``channel``, ``ship_by`` and ``deliver_by`` each come from the earliest placement that carries
a value for it, and at the same instant the earlier date, and MFN before AFN, win. A report row lacks the
API's ship-by and delivery dates and may be cut to the minute (so it can be the earlier placement): it
must never erase them. The windows at ``AT`` (2026-11-20T15:30:00Z) are listed in ``test_engine_rules``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sellerpulse.core.checkpoint import encode_events, restore_engine
from sellerpulse.core.engine import Engine, state_file
from sellerpulse.core.events import Event, parse_event
from sellerpulse.core.poa import causes_of
from sellerpulse.core.state_store import StateStore
from sellerpulse.core.timeutil import format_instant, parse_instant
from test_engine_rules import AT, check_metric, check_queue, ev, make, report_of

__all__ = ["make"]  # the fixture, used by name


def api(order_id: str, ts: str, channel: str = "MFN", **fields: Any) -> Event:
    """The orders API's placement: seconds, channel and dates."""
    return ev("order_placed", ts, order_id, event_id=f"api:{order_id}", channel=channel, **fields)


def report_row(order_id: str, ts: str) -> Event:
    """A flat-file report's placement of the same order: no channel, no dates."""
    return ev("order_placed", ts, order_id, event_id=f"report:{order_id}")


def minute(ts: str) -> str:
    """``ts`` cut to the minute, as the all-orders report gives it."""
    return ts[:17] + "00Z"


def arrive(order: str, reports: list[Event], others: list[Event], apis: list[Event]) -> list[Event]:
    return {
        "report, events, api": reports + others + apis,
        "api, events, report": apis + others + reports,
        "events, report, api": others + reports + apis,
    }[order]


ARRIVALS = ["report, events, api", "api, events, report", "events, report, api"]


# M1: shipped 2 h after its ship-by; M2: not shipped, ship-by today 18:00; M3: delivered 38 h late.
M_API = {
    "M1": ("2026-11-15T10:00:07Z", {"ship_by": "2026-11-17T10:00:00Z", "deliver_by": "2026-11-19T10:00:00Z"}),
    "M2": ("2026-11-16T09:00:42Z", {"ship_by": "2026-11-20T18:00:00Z"}),
    "M3": ("2026-11-03T08:15:30Z", {"ship_by": "2026-11-05T08:00:00Z", "deliver_by": "2026-11-10T20:00:00Z"}),
}
M_EVENTS = [
    ev("order_shipped", "2026-11-17T12:00:00Z", "M1", tracking="1Z1"),
    ev("order_delivered", "2026-11-18T09:00:00Z", "M1"),
    ev("order_shipped", "2026-11-04T10:00:00Z", "M3", tracking="1Z3"),
    ev("order_delivered", "2026-11-12T10:00:00Z", "M3"),
]


@pytest.mark.parametrize("cut", ["cut to the minute", "same instant"])
@pytest.mark.parametrize("order", ARRIVALS)
def test_a_placement_without_dates_never_erases_them(make, order: str, cut: str) -> None:
    # Each order is placed by the API (seconds, ship-by, deliver-by) and by a report row without dates,
    # either cut to the minute (so 7 to 42 s earlier: the earliest placement) or at the same instant.
    #   lsr_10d (ship-by 11-11..11-20): M1 (11-17, shipped 2 h late), M2 (11-20 18:00, not due yet) -> 1 / 2
    #   lsr_30d (10-22..11-20): + M3 (ship-by 11-05, shipped 11-04)                                  -> 1 / 3
    #   otdr (deliver-by 10-31..11-13): M3 (promised 11-10 20:00, delivered 11-12) late -> on time 0 / 1
    #   vtr (first shipment 10-22..11-20): M1, M3 with tracking                                      -> 2 / 2
    #   perfect_order_rate: M1 late; M2 and M3 perfect -> 2 / 3;  pfcr (placed 11-14..11-20) M1, M2 -> 0 / 2
    #   orders_to_ship: M2 (deadline 18:00, within at + 4 h)                                 -> 1, 0 overdue, 1 due soon
    # Follow-ups that arrive before the dated placement are judged once it arrives.
    apis = [api(o, ts, **fields) for o, (ts, fields) in M_API.items()]
    reports = [
        report_row(o, minute(ts) if cut == "cut to the minute" else ts) for o, (ts, _) in M_API.items()
    ]
    report = report_of(make, arrive(order, reports, M_EVENTS, apis))
    check_metric(report, "lsr_10d", 1, 2)
    check_metric(report, "lsr_30d", 1, 3)
    check_metric(report, "otdr", 0, 1)
    check_metric(report, "vtr", 2, 2)
    check_metric(report, "perfect_order_rate", 2, 3)
    check_metric(report, "pfcr", 0, 2)
    check_queue(report, "orders_to_ship", 1, 0, 1)


@pytest.mark.parametrize("order", ARRIVALS)
def test_cancelled_orders_placed_twice(make, order: str) -> None:
    # C1: cancelled by the seller before shipping -> pfcr bad; out of lsr and of the queue.
    # C2: shipped 6 h after its ship-by, then cancelled by the buyer (after shipping: ignored) -> lsr late.
    # C3: cancelled by the buyer, never shipped, ship-by tomorrow -> not in the queue, not in lsr.
    #   pfcr (placed 11-14..11-20): C1 bad, C2, C3 -> 1 / 3;  lsr_10d: C2 (ship-by 11-16) late -> 1 / 1
    #   perfect_order_rate: C1 (seller cancel) and C2 (late) imperfect, C3 perfect -> 1 / 3; queue empty
    placements = {
        "C1": ("2026-11-15T10:00:30Z", "2026-11-17T10:00:00Z"),
        "C2": ("2026-11-14T09:00:12Z", "2026-11-16T09:00:00Z"),
        "C3": ("2026-11-18T10:00:05Z", "2026-11-21T10:00:00Z"),
    }
    apis = [api(o, ts, ship_by=ship_by) for o, (ts, ship_by) in placements.items()]
    reports = [report_row(o, minute(ts)) for o, (ts, _) in placements.items()]
    others = [
        ev("order_cancelled", "2026-11-15T12:00:00Z", "C1", by="seller"),
        ev("order_shipped", "2026-11-16T15:00:00Z", "C2", tracking="1Z2"),
        ev("order_cancelled", "2026-11-17T08:00:00Z", "C2", by="buyer"),
        ev("order_cancelled", "2026-11-18T11:00:00Z", "C3", by="buyer"),
    ]
    report = report_of(make, arrive(order, reports, others, apis))
    check_metric(report, "pfcr", 1, 3)
    check_metric(report, "lsr_10d", 1, 1)
    check_metric(report, "perfect_order_rate", 1, 3)
    check_queue(report, "orders_to_ship", 0, 0, 0)


@pytest.mark.parametrize("order", ARRIVALS)
def test_an_afn_order_the_report_placed_without_a_channel(make, order: str) -> None:
    # A1: the report's row (no channel) is 9 s earlier than the API's, which says AFN and gives a ship-by
    #     (10-22); a 1-star feedback. It is AFN: in odr_afn, and never in lsr or the orders-to-ship queue.
    # A2: the API says MFN; shipped on time.  A3: only the report placed it, no channel -> MFN.
    #   odr_afn (AFN placed 09-08..11-06): A1 -> 1 / 1;  odr: A2, A3 -> 0 / 2
    #   lsr_30d (ship-by 10-22..11-20): A2 (10-23) on time -> 0 / 1;  orders_to_ship: none
    apis = [
        api("A1", "2026-10-20T10:00:09Z", channel="AFN", ship_by="2026-10-22T10:00:00Z"),
        api("A2", "2026-10-21T10:00:03Z", channel="MFN", ship_by="2026-10-23T10:00:00Z"),
    ]
    reports = [
        report_row("A1", "2026-10-20T10:00:00Z"),
        report_row("A2", "2026-10-21T10:00:00Z"),
        report_row("A3", "2026-10-22T10:00:00Z"),
    ]
    others = [
        ev("feedback", "2026-10-25T10:00:00Z", "A1", rating=1),
        ev("order_shipped", "2026-10-22T16:00:00Z", "A2", tracking="1Z2"),
    ]
    report = report_of(make, arrive(order, reports, others, apis))
    check_metric(report, "odr_afn", 1, 1)
    check_metric(report, "odr", 0, 2)
    check_metric(report, "lsr_30d", 0, 1)
    check_queue(report, "orders_to_ship", 0, 0, 0)


@pytest.mark.parametrize("first", ["a", "b"])
def test_same_instant_ties_are_broken_by_value(make, first: str) -> None:
    # Two placements at one instant that disagree: each field's earlier value wins (the earlier date,
    # MFN before AFN), whichever arrives first.
    # T1: ship-by 11-17 10:00 or 11-18 10:00; shipped 11-17 12:00 -> late by the earlier ship-by.
    # T2: AFN with ship-by 11-21, or MFN without one -> MFN with ship-by 11-21: in the queue, not due soon.
    #   lsr_10d: T1 late (T2's ship-by 11-21 is after the window) -> 1 / 1;  orders_to_ship: T2 -> 1, 0, 0
    #   perfect_order_rate: T1 late, T2 pending -> 1 / 2
    at_t1, at_t2 = "2026-11-15T10:00:00Z", "2026-11-16T10:00:00Z"
    a = [
        ev("order_placed", at_t1, "T1", event_id="a1", channel="MFN", ship_by="2026-11-17T10:00:00Z"),
        ev("order_placed", at_t2, "T2", event_id="a2", channel="AFN", ship_by="2026-11-21T10:00:00Z"),
    ]
    b = [
        ev("order_placed", at_t1, "T1", event_id="b1", channel="MFN", ship_by="2026-11-18T10:00:00Z"),
        ev("order_placed", at_t2, "T2", event_id="b2", channel="MFN"),
    ]
    shipped = [ev("order_shipped", "2026-11-17T12:00:00Z", "T1", tracking="1Z")]
    report = report_of(make, (a + b if first == "a" else b + a) + shipped)
    check_metric(report, "lsr_10d", 1, 1)
    check_metric(report, "perfect_order_rate", 1, 2)
    check_queue(report, "orders_to_ship", 1, 0, 0)


def test_the_order_date_is_the_earliest_placement_even_without_fields(make) -> None:
    # The report's row (no channel, no dates) is a day earlier than the API's: the order date is 11-13,
    # outside pfcr's 11-14..11-20, while the ship-by still comes from the API (lsr_10d: 11-16, late).
    events = [
        report_row("D1", "2026-11-13T23:00:00Z"),
        api("D1", "2026-11-14T01:00:00Z", ship_by="2026-11-16T10:00:00Z"),
        ev("order_cancelled", "2026-11-14T02:00:00Z", "D1", by="seller"),
        report_row("D2", "2026-11-14T08:00:00Z"),
        api("D2", "2026-11-14T09:00:00Z", ship_by="2026-11-16T10:00:00Z"),
        ev("order_shipped", "2026-11-16T11:00:00Z", "D2", tracking="1Z"),
    ]
    report = report_of(make, events)
    check_metric(report, "pfcr", 0, 1)  # D2 only: D1 was placed on 11-13
    check_metric(report, "lsr_10d", 1, 1)  # D2; D1 was cancelled before shipping


# ------------------------------------------------------------------------------------------- drill-down


def bad(events: list[Event], metric: str, timezone: str = "UTC") -> list:
    engine = Engine(timezone=timezone)
    engine.ingest(events)
    return engine.bad_outcomes("default", metric, parse_instant(AT))


def test_the_drill_down_shows_which_placement_gave_which_field() -> None:
    # M1 of the first test, the report's row cut to the minute, in an account on Berlin time (UTC+1 in
    # November): the order date comes from the report's row (11:00:00 local), the rest from the API's.
    ts, fields = M_API["M1"]
    events = [report_row("M1", minute(ts)), api("M1", ts, **fields), *M_EVENTS[:2]]
    for arrival in (events, events[::-1]):
        (row,) = bad(arrival, "lsr_10d", "Europe/Berlin")
        assert row.order_id == "M1"
        assert row.placed_by == (
            (parse_instant("2026-11-15T10:00:00Z"), ("date",)),
            (parse_instant("2026-11-15T10:00:07Z"), ("channel", "ship_by", "deliver_by")),
        )
        assert row.reason == (
            "shipped 2 h after ship-by; order date from the placement of 2026-11-15 11:00:00, "
            "channel, ship-by and deliver-by from the one of 2026-11-15 11:00:07"
        )
        assert causes_of(row.reason) == ["shipped_late"]  # the plan of action still reads the cause


def test_the_drill_down_names_each_giver_once_and_stays_quiet_when_one_placement_gave_all() -> None:
    # R1: the report's row gives the date, an API placement the channel, and a third source the ship-by
    #     (its API placement had none); refunded.  R2: placed twice at the same instant: nothing to tell.
    events = [
        report_row("R1", "2026-11-15T10:00:00Z"),
        api("R1", "2026-11-15T10:00:07Z"),
        ev("order_placed", "2026-11-15T10:05:00Z", "R1", event_id="x:R1", ship_by="2026-11-17T10:00:00Z"),
        ev("refund", "2026-11-16T10:00:00Z", "R1"),
        report_row("R2", "2026-11-15T10:00:00Z"),
        api("R2", "2026-11-15T10:00:00Z", ship_by="2026-11-17T10:00:00Z"),
        ev("refund", "2026-11-16T10:00:00Z", "R2"),
    ]
    rows = {row.order_id: row for row in bad(events, "refund_rate")}
    assert rows["R1"].reason == (
        "refunded; order date from the placement of 2026-11-15 10:00:00, channel from the one of "
        "2026-11-15 10:00:07, ship-by from the one of 2026-11-15 10:05:00"
    )
    assert causes_of(rows["R1"].reason) == ["refunded"]
    assert (rows["R2"].reason, rows["R2"].placed_by) == ("refunded", ())


def test_a_placement_without_a_channel_is_read_as_not_saying() -> None:
    # The canonical reader keeps "no channel" apart from "MFN" (the engine needs to know who said what).
    placed = parse_event({"ts": "2026-11-15T10:00:00Z", "kind": "order_placed", "order_id": "1"})
    assert placed.channel == ""
    assert "channel" not in placed.to_json()
    said = parse_event(
        {"ts": "2026-11-15T10:00:00Z", "kind": "order_placed", "order_id": "1", "channel": "afn"}
    )
    assert said.channel == "AFN" and said.to_json()["channel"] == "AFN"


# ---------------------------------------------------------------------------------------------- restarts


def test_a_restart_between_the_two_placements_keeps_what_each_gave(tmp_path: Path) -> None:
    # The report's rows, M3's API placement (merged before the restart) and M1's shipment arrive; the
    # engine is saved and restarts from its saved state; then the rest, M1's and M2's API placements
    # last: the numbers of the first test (cut to the minute), and the same drill-down as an engine that
    # never stopped, for M3 (merged before) and M1 (after); a full journal replay gives the same again.
    reports = [report_row(o, minute(ts)) for o, (ts, _) in M_API.items()]
    apis = [api(o, ts, **fields) for o, (ts, fields) in M_API.items()]
    before = reports + apis[2:] + M_EVENTS[:1]
    after = M_EVENTS[1:] + apis[:2]
    at = parse_instant(AT)
    store = StateStore(tmp_path / "state.sqlite")
    engine = Engine(seed=7)
    engine.ingest(before)
    store.checkpoint(encode_events(before), {}, {})
    store.save_engine(store.next_seq() - 1, state_file.dump(engine))
    restarted = Engine()
    restore_engine(store, restarted)
    restarted.ingest(after)
    store.checkpoint(encode_events(after), {}, {})
    report = restarted.snapshot(at).to_json()["accounts"]
    check_metric(report, "lsr_10d", 1, 2)
    check_metric(report, "otdr", 0, 1)
    check_queue(report, "orders_to_ship", 1, 0, 1)
    (m1,) = restarted.bad_outcomes("default", "lsr_10d", at)
    (m3,) = restarted.bad_outcomes("default", "otdr", at)
    assert m1.reason.startswith(
        "shipped 2 h after ship-by; order date from the placement of 2026-11-15 10:00:00"
    )
    assert m3.placed_by == (
        (parse_instant("2026-11-03T08:15:00Z"), ("date",)),
        (parse_instant("2026-11-03T08:15:30Z"), ("channel", "ship_by", "deliver_by")),
    )
    straight = Engine()
    straight.ingest(before + after)
    store.drop_engine()
    replayed = Engine()
    restore_engine(store, replayed)
    store.close()
    for other in (straight, replayed):
        assert other.snapshot(at).to_json() == restarted.snapshot(at).to_json()
        for metric in ("lsr_10d", "otdr", "perfect_order_rate"):
            assert other.bad_outcomes("default", metric, at) == restarted.bad_outcomes("default", metric, at)
        assert other.queue_items("default", "orders_to_ship", at) == restarted.queue_items(
            "default", "orders_to_ship", at
        )


def test_a_placement_older_than_the_retention_lets_the_order_go_whichever_came_first() -> None:
    # Months later, the report dates an order a minute before the retention cutoff while the API dates it
    # 30 s after: the order is older than the retention, so it is let go at once (as a first placement
    # that old is), and both arrival orders give the same state: not held, counted nowhere.
    now = "2027-06-01T12:00:00Z"
    snapshots = []
    for order in ("report first", "api first"):
        engine = Engine()
        engine.ingest([ev("message_received", now, ref="M-now")])  # the watermark
        cutoff = engine.account("default").cutoffs[0]
        report = report_row("OLD", format_instant(cutoff - 60_000_000))
        dated = api(
            "OLD", format_instant(cutoff + 30_000_000), ship_by=format_instant(cutoff + 3_600_000_000)
        )
        engine.ingest([report, dated] if order == "report first" else [dated, report])
        snapshots.append(engine.snapshot(parse_instant(now)).to_json())
        assert engine.snapshot(parse_instant(now)).accounts["default"].orders_held == 0, order
    assert snapshots[0] == snapshots[1]
