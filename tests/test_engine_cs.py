"""The engine's customer-service figures (METRICS.md section 6) against hand-worked cases and a reference.

The hand-written cases state their expected numbers, worked out by hand in the comments, and check both
the engine and the brute-force reference (``tests/reference_cs.py``), so the reference is itself tested.
The property test feeds random streams (three accounts in UTC, Europe/Berlin and America/Los_Angeles,
``at`` around DST changes and on local Monday midnights, follow-ups on the 72 h boundary to the
microsecond, shuffled, duplicated, with reused event ids and orphans) to both and compares every week and
every feedback window. ``SELLERPULSE_PROPERTY_EXAMPLES=3000`` runs a longer, random hunt.

The engine is fed only the events with ``ts <= at`` (as ``report --at`` does); the reference gets the
whole list and drops the later ones itself.
"""

from __future__ import annotations

import itertools
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reference_cs import local_date, reference_cs
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.timeutil import parse_instant, to_us

PROFILE = builtin_profile("amazon")
US_S = 1_000_000
US_H = 3_600 * US_S
US_D = 24 * US_H
FEEDBACK_IDS = ("feedback_score_30d", "feedback_score_90d", "feedback_score_365d", "feedback_score_lifetime")
WEEKLY_IDS = ("cs_rating", "weekly_avg_response_hours", "first_contact_resolution")


def ev(ts: str, kind: str, account: str = "acme", **fields: Any) -> Event:
    return Event(ts=parse_instant(ts), kind=kind, account=account, **fields)


def engine_view(events: list[Event], at: int, zones: dict[str, str], timezone: str = "UTC") -> dict[str, Any]:
    """The engine's section 6 figures of every account, fed only the events with ``ts <= at``."""
    engine = Engine(profile=PROFILE, timezone=timezone, account_timezones=zones)
    engine.ingest([e for e in events if e.ts <= at])
    return engine.snapshot(at, weekly=True).to_json()["accounts"]


def assert_same(engine: dict[str, Any], reference: dict[str, Any]) -> None:
    """Every week and feedback window equal: counts exactly, values within 1e-9."""
    assert sorted(engine) == sorted(reference)
    for account, ref in reference.items():
        got = engine[account]
        for metric_id in FEEDBACK_IDS:
            want, have = ref["metrics"][metric_id], got["metrics"][metric_id]
            where = f"{account} {metric_id}"
            assert have["window"] == want["window"], where
            assert (have["numerator"], have["denominator"], have["status"]) == (
                want["numerator"],
                want["denominator"],
                want["status"],
            ), where
            assert_value(have["value"], want["value"], where)
        for metric_id in WEEKLY_IDS:
            weeks_want, weeks_have = ref["weekly"][metric_id], got["weekly"][metric_id]
            assert len(weeks_have) == len(weeks_want) == PROFILE.weeks_back + 1
            for want, have in zip(weeks_want, weeks_have, strict=True):
                where = f"{account} {metric_id} week {want['week']['from']}"
                assert have["week"] == want["week"], where
                assert (have["numerator"], have["denominator"], have["status"], have["partial"]) == (
                    want["numerator"],
                    want["denominator"],
                    want["status"],
                    want["partial"],
                ), where
                assert_value(have["value"], want["value"], where)


def assert_value(have: float | None, want: float | None, where: str) -> None:
    if want is None:
        assert have is None, where
    else:
        assert have is not None and abs(have - want) <= 1e-9, f"{where}: {have} != {want}"


def both(events: list[Event], at: str, zones: dict[str, str]) -> dict[str, Any]:
    """Engine and reference agree; return the engine's accounts for the hand-worked assertions."""
    at_us = parse_instant(at)
    engine = engine_view(events, at_us, zones)
    assert_same(engine, reference_cs(events, at_us, account_timezones=zones, profile=PROFILE))
    return engine


def week(acc: dict[str, Any], metric_id: str, monday: str) -> tuple[Any, ...]:
    """(numerator, denominator, value) of the week starting ``monday``."""
    rows = [row for row in acc["weekly"][metric_id] if row["week"]["from"] == monday]
    assert len(rows) == 1, f"no week {monday} in {[r['week']['from'] for r in acc['weekly'][metric_id]]}"
    return rows[0]["numerator"], rows[0]["denominator"], rows[0]["value"]


# --- hand-worked cases ----------------------------------------------------------------------------------


def response_events(account: str) -> list[Event]:
    """Four replied messages around the Monday midnights of 19 and 26 Oct 2026 (Berlin's DST ends 25 Oct)."""
    return [
        # Sunday 25 Oct 23:59:59.999999 CET in Berlin, 22:59 UTC Sunday: replied after 2 h
        ev("2026-10-25T22:59:59.999999Z", "message_received", account, ref="m1"),
        ev("2026-10-26T00:59:59.999999Z", "message_replied", account, ref="m1"),
        # Monday 26 Oct 00:00 CET in Berlin, still Sunday 23:00 in UTC: replied after 5 h
        ev("2026-10-25T23:00:00Z", "message_received", account, ref="m2"),
        ev("2026-10-26T04:00:00Z", "message_replied", account, ref="m2"),
        # Monday 19 Oct 00:00 CEST in Berlin, Sunday 18 Oct 22:00 in UTC: replied after 4 h
        ev("2026-10-18T22:00:00Z", "message_received", account, ref="m3"),
        ev("2026-10-19T02:00:00Z", "message_replied", account, ref="m3"),
        # Sunday 18 Oct 23:59:59 CEST in Berlin: replied after 1 h (a second reply later does not count)
        ev("2026-10-18T21:59:59Z", "message_received", account, ref="m4"),
        ev("2026-10-18T23:00:00Z", "message_replied", account, ref="m4"),
        ev("2026-10-18T22:59:59Z", "message_replied", account, ref="m4"),
        # dismissed after its reply: not in the average
        ev("2026-10-20T10:00:00Z", "message_received", account, ref="m5"),
        ev("2026-10-20T11:00:00Z", "message_replied", account, ref="m5"),
        ev("2026-10-20T12:00:00Z", "message_dismissed", account, ref="m5"),
        # not replied: not in the average
        ev("2026-10-21T10:00:00Z", "message_received", account, ref="m6"),
    ]


def test_week_boundaries_in_berlin_across_dst_versus_utc() -> None:
    zones = {"bolt": "Europe/Berlin", "acme": "UTC"}
    events = response_events("bolt") + response_events("acme")
    accounts = both(events, "2026-10-28T12:00:00Z", zones)  # Wednesday 28 Oct in both zones
    bolt, acme = accounts["bolt"], accounts["acme"]

    # 9 weeks, oldest first: 8 complete weeks from Monday 31 Aug, then the current one (partial).
    for acc in (bolt, acme):
        rows = acc["weekly"]["weekly_avg_response_hours"]
        assert [r["week"]["from"] for r in rows] == [
            (date(2026, 8, 31) + timedelta(weeks=k)).isoformat() for k in range(9)
        ]
        assert rows[-1]["week"] == {"from": "2026-10-26", "to": "2026-11-01"}
        assert [r["partial"] for r in rows] == [False] * 8 + [True]
        assert all(r["numerator"] is None for r in rows)

    # Berlin: m4 (Sun 18 Oct) alone in week 12 Oct: 1 h; m3 + m1 in the DST week 19 Oct: (4+2)/2 = 3 h;
    # m2 (Mon 26 Oct 00:00 CET) in the current week: 5 h.
    assert week(bolt, "weekly_avg_response_hours", "2026-10-12") == (None, 1, 1.0)
    assert week(bolt, "weekly_avg_response_hours", "2026-10-19") == (None, 2, 3.0)
    assert week(bolt, "weekly_avg_response_hours", "2026-10-26") == (None, 1, 5.0)
    # UTC: m3 (Sun 22:00) and m4 in week 12 Oct: (4+1)/2 = 2.5 h; m1 and m2 (both Sunday 25 Oct) in
    # week 19 Oct: (2+5)/2 = 3.5 h; nothing yet in the current week.
    assert week(acme, "weekly_avg_response_hours", "2026-10-12") == (None, 2, 2.5)
    assert week(acme, "weekly_avg_response_hours", "2026-10-19") == (None, 2, 3.5)
    assert week(acme, "weekly_avg_response_hours", "2026-10-26") == (None, 0, None)
    assert acme["weekly"]["weekly_avg_response_hours"][-1]["status"] == "no_data"
    assert bolt["weekly"]["weekly_avg_response_hours"][-1]["status"] == "info"


def survey_events() -> list[Event]:
    """Answers in Los Angeles around Monday 2 Nov 2026 00:00 PST (= 08:00 UTC; DST ended Sunday 1 Nov)."""
    a = "cove"
    return [
        # s1: "yes" on Tuesday 27 Oct, then "no" on Monday 2 Nov 01:00 PST: the "no" is the latest
        ev("2026-10-26T17:00:00Z", "message_received", a, ref="s1"),
        ev("2026-10-26T18:00:00Z", "message_replied", a, ref="s1"),
        ev("2026-11-02T09:00:00Z", "cs_survey", a, ref="s1", outcome="no"),
        ev("2026-10-27T17:00:00Z", "cs_survey", a, ref="s1", outcome="yes"),
        # s2: "yes" (30 Oct) listed before the older "no" (28 Oct): the latest by ts is "yes"
        ev("2026-10-27T10:00:00Z", "message_received", a, ref="s2"),
        ev("2026-10-30T10:00:00Z", "cs_survey", a, ref="s2", outcome="yes"),
        ev("2026-10-28T10:00:00Z", "cs_survey", a, ref="s2", outcome="no"),
        # s3: message of the week before, answered "yes" on Sunday 1 Nov 23:59:59.999999 PST
        ev("2026-10-22T10:00:00Z", "message_received", a, ref="s3"),
        ev("2026-11-02T07:59:59.999999Z", "cs_survey", a, ref="s3", outcome="yes"),
        # an answer about a message that never arrived: an orphan
        ev("2026-10-29T10:00:00Z", "cs_survey", a, ref="ghost", outcome="no"),
    ]


def test_latest_survey_answer_per_message_in_its_own_week() -> None:
    zones = {"cove": "America/Los_Angeles"}
    # After every answer (Tuesday 3 Nov): s1's "no" in week 2 Nov; s2's "yes" and s3's "yes" in week 26 Oct.
    cove = both(survey_events(), "2026-11-03T20:00:00Z", zones)["cove"]
    assert week(cove, "cs_rating", "2026-10-26") == (2, 2, 1.0)
    assert week(cove, "cs_rating", "2026-11-02") == (0, 1, 0.0)
    assert week(cove, "cs_rating", "2026-10-19") == (0, 0, None)  # s3 was received that week

    # Exactly Monday 2 Nov 00:00 PST: the current week is 2 Nov (empty); s1's "no" (01:00) does not exist
    # yet, so its "yes" counts: week 26 Oct has s1, s2, s3 = 3/3.
    cove = both(survey_events(), "2026-11-02T08:00:00Z", zones)["cove"]
    assert cove["weekly"]["cs_rating"][-1]["week"] == {"from": "2026-11-02", "to": "2026-11-08"}
    assert cove["weekly"]["cs_rating"][0]["week"]["from"] == "2026-09-07"
    assert week(cove, "cs_rating", "2026-10-26") == (3, 3, 1.0)
    assert week(cove, "cs_rating", "2026-11-02") == (0, 0, None)

    # A microsecond earlier the current week is still 26 Oct (partial) and s3's answer is at `at` itself.
    cove = both(survey_events(), "2026-11-02T07:59:59.999999Z", zones)["cove"]
    rows = cove["weekly"]["cs_rating"]
    assert rows[-1]["week"] == {"from": "2026-10-26", "to": "2026-11-01"} and rows[-1]["partial"]
    assert rows[0]["week"]["from"] == "2026-08-31"
    assert week(cove, "cs_rating", "2026-10-26") == (3, 3, 1.0)


def fcr_events() -> list[Event]:
    """Threads in UTC around the week of Monday 2 Nov 2026; every reply 1 h after its message."""
    return [
        # o1: replied 11:00 on 2 Nov; a follow-up exactly 72 h later (5 Nov 11:00) is within: not resolved
        ev("2026-11-02T10:00:00Z", "message_received", ref="o1a", order_id="o1"),
        ev("2026-11-02T11:00:00Z", "message_replied", ref="o1a"),
        ev("2026-11-05T11:00:00Z", "message_received", ref="o1b", order_id="o1"),
        # o2: the same, but the follow-up comes 72 h + 1 us after the reply: resolved
        ev("2026-11-02T10:00:00Z", "message_received", ref="o2a", order_id="o2"),
        ev("2026-11-02T11:00:00Z", "message_replied", ref="o2a"),
        ev("2026-11-05T11:00:00.000001Z", "message_received", ref="o2b", order_id="o2"),
        # q3 and q3b have no order: two threads of their own, each replied with no follow-up: both resolved
        ev("2026-11-03T09:00:00Z", "message_received", ref="q3"),
        ev("2026-11-03T10:00:00Z", "message_replied", ref="q3"),
        ev("2026-11-03T12:00:00Z", "message_received", ref="q3b"),
        ev("2026-11-03T13:00:00Z", "message_replied", ref="q3b"),
        # o4: dismissed ("no response needed"), never replied: no contact, left out
        ev("2026-11-04T08:00:00Z", "message_received", ref="o4a", order_id="o4"),
        ev("2026-11-04T09:00:00Z", "message_dismissed", ref="o4a"),
        # o5: replied 6 Nov 09:00, so its 72 h end 9 Nov 09:00; no follow-up
        ev("2026-11-06T08:00:00Z", "message_received", ref="o5a", order_id="o5"),
        ev("2026-11-06T09:00:00Z", "message_replied", ref="o5a"),
        # o6: the week's first message (12:00) is never replied; the second (13:00) is: not resolved once
        # 72 h have passed since the first (5 Nov 12:00), left out before
        ev("2026-11-02T13:00:00Z", "message_received", ref="o6b", order_id="o6"),
        ev("2026-11-02T14:00:00Z", "message_replied", ref="o6b"),
        ev("2026-11-02T12:00:00Z", "message_received", ref="o6a", order_id="o6"),
        # o7: Friday 30 Oct replied 11:00, follow-up Monday 2 Nov 09:00 (70 h later): week 26 Oct not
        # resolved; in week 2 Nov the follow-up is the thread's first message, replied, no more: resolved
        ev("2026-10-30T10:00:00Z", "message_received", ref="o7a", order_id="o7"),
        ev("2026-10-30T11:00:00Z", "message_replied", ref="o7a"),
        ev("2026-11-02T09:00:00Z", "message_received", ref="o7b", order_id="o7"),
        ev("2026-11-02T10:00:00Z", "message_replied", ref="o7b"),
        # o8: a reply to a message that never arrived does not make a thread
        ev("2026-11-02T10:00:00Z", "message_replied", ref="nobody"),
    ]


def test_first_contact_resolution_threads_72h_edge_and_pending() -> None:
    zones = {"acme": "UTC"}
    # Monday 9 Nov 08:59:59: o5's 72 h have not passed (they end at 09:00): left out; o4 is dismissed.
    # Week 2 Nov: o1 no, o2 yes, q3 yes, q3b yes, o6 no, o7 yes -> 4/6.  Week 26 Oct: o7 no -> 0/1.
    acme = both(fcr_events(), "2026-11-09T08:59:59Z", zones)["acme"]
    assert week(acme, "first_contact_resolution", "2026-11-02") == (4, 6, 4 / 6)
    assert week(acme, "first_contact_resolution", "2026-10-26") == (0, 1, 0.0)
    # Exactly at o5's reply + 72 h it counts, resolved: 5/7.
    acme = both(fcr_events(), "2026-11-09T09:00:00Z", zones)["acme"]
    assert week(acme, "first_contact_resolution", "2026-11-02") == (5, 7, 5 / 7)
    # 5 Nov 12:00: o1 and o2 (replies 2 Nov 11:00) are 72 h old: o1 no, o2 yes (its follow-up came
    # after the 72 h); q3 and q3b still run; o6's unanswered first message is exactly 72 h old: no;
    # o7 yes -> 2/4. A microsecond earlier o6 is still left out -> 2/3.
    acme = both(fcr_events(), "2026-11-05T12:00:00Z", zones)["acme"]
    assert week(acme, "first_contact_resolution", "2026-11-02") == (2, 4, 0.5)
    acme = both(fcr_events(), "2026-11-05T11:59:59.999999Z", zones)["acme"]
    assert week(acme, "first_contact_resolution", "2026-11-02") == (2, 3, 2 / 3)
    # At 5 Nov 10:00 the 72 h of o1, o2 (end 11:00), q3, q3b and o6 (unanswered, ends 12:00) still run;
    # o5 does not exist yet. Only o7, whose reply (2 Nov 10:00) is exactly 72 h old, counts: 1/1.
    acme = both(fcr_events(), "2026-11-05T10:00:00Z", zones)["acme"]
    assert week(acme, "first_contact_resolution", "2026-11-02") == (1, 1, 1.0)
    # A microsecond earlier o7 is pending too: nothing decided.
    acme = both(fcr_events(), "2026-11-05T09:59:59.999999Z", zones)["acme"]
    assert week(acme, "first_contact_resolution", "2026-11-02") == (0, 0, None)


def feedback_events() -> list[Event]:
    """Feedback of a Los Angeles account, scored as of Friday 20 Nov 2026 07:30 PST.

    Each order is placed 10 days before its first feedback event: feedback arrives within the profile's
    horizon (DESIGN.md: older order state is evicted, and later events of it become orphans).
    """
    a = "cove"
    feedback = [
        e for e in _feedback_only(a) if e.kind in ("feedback", "feedback_removed") and e.order_id != "f9"
    ]
    placed = {}
    for e in feedback:
        placed[e.order_id] = min(placed.get(e.order_id, e.ts), e.ts)
    orders = [
        Event(ts=ts - 10 * US_D, kind="order_placed", account=a, order_id=o) for o, ts in placed.items()
    ]
    # In time order: a year-old feedback arriving after newer events is another case (see below).
    return sorted(orders + _feedback_only(a), key=lambda e: e.ts)


def _feedback_only(a: str) -> list[Event]:
    return [
        # f1: 5 stars on 21 Nov 2025 00:00 PST, the first day of the 365-day window
        ev("2025-11-21T08:00:00Z", "feedback", a, order_id="f1", rating=5),
        # f2: 4 stars a microsecond earlier (20 Nov 2025 local): lifetime only
        ev("2025-11-21T07:59:59.999999Z", "feedback", a, order_id="f2", rating=4),
        # f3: 1 star removed, then a new 5 stars after the removal: the 5 counts
        ev("2026-11-10T12:00:00Z", "feedback", a, order_id="f3", rating=1),
        ev("2026-11-11T12:00:00Z", "feedback_removed", a, order_id="f3"),
        ev("2026-11-12T12:00:00Z", "feedback", a, order_id="f3", rating=5),
        # f4: 5 stars replaced by 2 stars
        ev("2026-11-05T12:00:00Z", "feedback", a, order_id="f4", rating=2),
        ev("2026-11-01T12:00:00Z", "feedback", a, order_id="f4", rating=5),
        # f5: neutral 3 stars on 1 Oct: in the 90-day window's denominator, not in the 30-day one
        ev("2026-10-01T12:00:00Z", "feedback", a, order_id="f5", rating=3),
        # f6: removed at the very instant it was left (listed first): gone
        ev("2026-11-15T12:00:00Z", "feedback_removed", a, order_id="f6"),
        ev("2026-11-15T12:00:00Z", "feedback", a, order_id="f6", rating=5),
        # f7: a removal older than the feedback changes nothing: 2 stars count
        ev("2026-11-17T12:00:00Z", "feedback_removed", a, order_id="f7"),
        ev("2026-11-18T12:00:00Z", "feedback", a, order_id="f7", rating=2),
        # f8: feedback after `at` does not exist yet
        ev("2026-11-20T16:00:00Z", "feedback", a, order_id="f8", rating=4),
        # f9: never placed: an orphan
        ev("2026-11-19T12:00:00Z", "feedback", a, order_id="f9", rating=5),
    ]


def test_feedback_score_windows_removal_replacement_neutral() -> None:
    cove = both(feedback_events(), "2026-11-20T15:30:00Z", {"cove": "America/Los_Angeles"})["cove"]
    metrics = cove["metrics"]
    # 30 d (22 Oct..20 Nov): f3 5, f4 2, f7 2 -> 1/3.  90 d (23 Aug..): + f5 3 -> 1/4.
    # 365 d (21 Nov 2025..): + f1 5 -> 2/5.  Lifetime: + f2 4 -> 3/6.
    expected = {
        "feedback_score_30d": (1, 3, "2026-10-22"),
        "feedback_score_90d": (1, 4, "2026-08-23"),
        "feedback_score_365d": (2, 5, "2025-11-21"),
        "feedback_score_lifetime": (3, 6, None),
    }
    for metric_id, (n, d, first) in expected.items():
        m = metrics[metric_id]
        assert (m["numerator"], m["denominator"], m["status"]) == (n, d, "info"), metric_id
        assert m["value"] == pytest.approx(n / d, abs=1e-12), metric_id
        assert m["window"] == {"from": first, "to": "2026-11-20"}, metric_id


def test_feedback_score_without_feedback_is_no_data() -> None:
    events = [ev("2026-11-01T12:00:00Z", "order_placed", order_id="p1")]
    metrics = both(events, "2026-11-20T15:30:00Z", {"acme": "UTC"})["acme"]["metrics"]
    for metric_id in FEEDBACK_IDS:
        assert metrics[metric_id]["status"] == "no_data"
        assert metrics[metric_id]["value"] is None
        assert metrics[metric_id]["denominator"] == 0


def late_old_feedback_events() -> list[Event]:
    """An order of May, a newer order, then the May order's feedback (a feedback report read last)."""
    return [
        ev("2026-05-01T12:00:00Z", "order_placed", order_id="may"),
        ev("2026-11-19T12:00:00Z", "order_placed", order_id="nov"),
        ev("2026-05-05T12:00:00Z", "feedback", order_id="may", rating=5),
    ]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=lambda o: "".join(map(str, o)))
def test_year_old_feedback_counts_whatever_the_arrival_order(order: tuple[int, ...]) -> None:
    # The feedback of 5 May is inside the 365-day window (21 Nov 2025..20 Nov 2026) and the lifetime, its
    # order exists: 1/1 in both, whatever order the events arrive in (EVENTS.md: "Events may arrive in
    # any order"). Engine bug found here: with the feedback arriving last, the May order (more than the
    # retention of 180 days older than the November one) has already been evicted, so the feedback is
    # counted as an orphan and both windows show no data. With the May order arriving after the November
    # one it is older than the retention on arrival: it is remembered as evicted, and its feedback (held
    # until then, or arriving after) still counts.
    events = [late_old_feedback_events()[n] for n in order]
    metrics = both(events, "2026-11-20T15:30:00Z", {"acme": "UTC"})["acme"]["metrics"]
    assert (metrics["feedback_score_30d"]["denominator"], metrics["feedback_score_90d"]["denominator"]) == (
        0,
        0,
    )
    for metric_id in ("feedback_score_365d", "feedback_score_lifetime"):
        assert (metrics[metric_id]["numerator"], metrics[metric_id]["denominator"]) == (1, 1), metric_id


def test_items_older_than_the_retention_are_not_taken_in_when_they_first_arrive_late() -> None:
    """Retention is 180 days by event time (DESIGN.md). An unshipped order of April, a message and a
    return of April, and a shipment for an unknown April order, all sent after a November order: none
    is held, queued or kept as an orphan (the next eviction would drop them, and until then the
    orders-to-ship queue would show a 200-day-old order as overdue). The April order's feedback,
    which buyers still see, counts in the year's feedback score."""
    engine = Engine(profile=PROFILE)
    engine.ingest([
        ev("2026-11-19T12:00:00Z", "order_placed", order_id="nov", ship_by=parse_instant("2026-11-21T12:00:00Z")),
        ev("2026-04-01T12:00:00Z", "order_placed", order_id="apr", ship_by=parse_instant("2026-04-03T12:00:00Z")),
        ev("2026-04-02T12:00:00Z", "message_received", ref="m-apr", order_id="apr"),
        ev("2026-04-02T12:00:00Z", "return_requested", ref="r-apr", order_id="nov"),
        ev("2026-04-02T12:00:00Z", "order_shipped", order_id="unknown-apr"),
        ev("2026-04-06T12:00:00Z", "feedback", order_id="apr", rating=1),
    ])  # fmt: skip
    acc = engine.snapshot(parse_instant("2026-11-20T15:30:00Z")).accounts["acme"]
    assert acc.orders_held == 1 and acc.orphans == 0
    assert [item.order_id for item in acc.queues["orders_to_ship"].items] == ["nov"]
    assert acc.queues["messages_awaiting_reply"].count == 0
    assert acc.queues["returns_awaiting_response"].count == 0
    score = acc.metrics["feedback_score_365d"]
    assert (score.numerator, score.denominator) == (0, 1)  # one negative feedback: 0 of 1 positive


# --- property test ----------------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("SELLERPULSE_PROPERTY_EXAMPLES", "150"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="SELLERPULSE_PROPERTY_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# `at` near the DST changes of Berlin (25 Oct, 29 Mar) and Los Angeles (1 Nov, 8 Mar), and an ordinary day.
AT_ANCHORS = [
    parse_instant(text)
    for text in (
        "2026-10-25T22:30:00Z",
        "2026-11-02T07:30:00Z",
        "2026-03-30T00:15:00Z",
        "2026-03-09T08:00:00Z",
        "2026-11-20T15:30:00Z",
    )
]
# bolt has no entry: it gets the engine's default time zone.
DEFAULT_ZONE = "Europe/Berlin"
ACCOUNT_ZONES = {"acme": "UTC", "cove": "America/Los_Angeles"}
ZONES = {"acme": "UTC", "bolt": DEFAULT_ZONE, "cove": "America/Los_Angeles"}
DELTAS = [0, 1, -1, US_S, -US_S, US_H, -US_H]
FCR = (PROFILE.weekly["first_contact_resolution"].threshold_hours or 0) * US_H
# Follow-up delays after a reply: on the FCR threshold to the microsecond, at the reply itself, or soon.
FOLLOW_UPS = [0, 1, US_H, FCR - 1, FCR, FCR + 1]
# Days before `at`'s day where a feedback window starts (day D-N+1) or just misses it (D-N).
FEEDBACK_EDGES = [0, 1, 29, 30, 89, 90, 364, 365]


def midnight(day: date, zone: str) -> int:
    tz = UTC if zone == "UTC" else ZoneInfo(zone)
    return to_us(datetime.combine(day, time(0), tzinfo=tz))


def monday_midnight(at: int, zone: str, weeks_before: int) -> int:
    today = local_date(at, zone)
    return midnight(today - timedelta(days=today.weekday(), weeks=weeks_before), zone)


@st.composite
def at_instants(draw) -> int:
    anchor = draw(st.sampled_from(AT_ANCHORS))
    how = draw(st.sampled_from(["anchor", "monday", "monday"]))
    if how == "anchor":
        return anchor + draw(st.sampled_from(DELTAS))
    zone = draw(st.sampled_from(sorted(ZONES.values())))
    return monday_midnight(anchor, zone, draw(st.integers(-1, 1))) + draw(st.sampled_from(DELTAS))


@st.composite
def message_instants(draw, at: int, zone: str) -> int:
    """From 10 weeks before `at` to a day after it; often on a local Monday midnight or near `at`."""
    how = draw(st.sampled_from(["uniform", "monday", "monday", "near_at"]))
    if how == "uniform":
        return at - draw(st.integers(-US_D, 70 * US_D))
    if how == "monday":
        return monday_midnight(at, zone, draw(st.integers(0, 9))) + draw(st.sampled_from(DELTAS))
    return at - draw(st.sampled_from([0, US_H, FCR, FCR + US_H])) + draw(st.sampled_from(DELTAS))


class Stream:
    """Unique refs and instants per account, and the events drawn so far."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.n = 0
        self.thread_times: dict[tuple[str, str], set[int]] = {}

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def unique(self, key: tuple[str, str], ts: int) -> int:
        """No two messages of one thread share an instant (the "first" message is then never a tie)."""
        used = self.thread_times.setdefault(key, set())
        while ts in used:
            ts += 1
        used.add(ts)
        return ts


def draw_thread(draw, stream: Stream, account: str, at: int, zone: str) -> None:
    """One to three buyer messages of an order's thread, or without an order (then each message is a
    thread of its own, and a "follow-up" of it is just another thread at that instant)."""
    order_id = draw(st.sampled_from(["", "", "o1", "o2", "o3", "o4"]))
    previous_reply = None
    for _ in range(draw(st.integers(1, 3))):
        ref = stream.name("m")
        if previous_reply is not None and draw(st.booleans()):
            received = previous_reply + draw(st.sampled_from(FOLLOW_UPS))
        else:
            received = draw(message_instants(at, zone))
        received = stream.unique((account, order_id or ref), received)
        add = stream.events.append
        add(Event(ts=received, kind="message_received", account=account, ref=ref, order_id=order_id))
        previous_reply = None
        if draw(st.integers(0, 2)):
            if draw(st.booleans()):
                reply = received + draw(st.sampled_from([0, 1, US_H, 5 * US_H, 24 * US_H, FCR]))
            else:  # `at` lands on (or a microsecond off) the end of the reply's 72 h
                reply = max(received, at - FCR + draw(st.sampled_from(DELTAS)))
            previous_reply = reply
            add(Event(ts=reply, kind="message_replied", account=account, ref=ref))
            if draw(st.integers(0, 3)) == 0:  # a later reply does not count
                add(
                    Event(
                        ts=reply + draw(st.integers(1, 5 * US_D)),
                        kind="message_replied",
                        account=account,
                        ref=ref,
                    )
                )
        if draw(st.integers(0, 3)) == 0:
            dismissed = received + draw(st.integers(0, 3 * US_D))
            add(Event(ts=dismissed, kind="message_dismissed", account=account, ref=ref))
        answers = set()
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                ts = received + draw(st.integers(0, 20 * US_D))
            else:
                ts = max(received, draw(message_instants(at, zone)))
            if ts in answers:
                continue  # two answers at one instant would make "the latest" a tie
            answers.add(ts)
            outcome = draw(st.sampled_from(["yes", "no"]))
            add(Event(ts=ts, kind="cs_survey", account=account, ref=ref, outcome=outcome))


def draw_feedback(draw, stream: Stream, account: str, at: int, zone: str, back_days: int) -> None:
    """Feedback of one order (placed or not), some of it on the first or last day of a window."""
    order_id = stream.name("f")
    if draw(st.booleans()):
        first = at - draw(st.integers(-US_D, back_days * US_D))
    else:
        edge = draw(st.sampled_from([d for d in FEEDBACK_EDGES if d < back_days]))
        first = midnight(local_date(at, zone) - timedelta(days=edge), zone) + draw(st.sampled_from(DELTAS))
    offsets = draw(st.lists(st.integers(0, 20 * US_D), min_size=1, max_size=3, unique=True))
    times = sorted(first + offset for offset in offsets)
    add = stream.events.append
    if draw(st.integers(0, 7)):  # one order in eight is never placed: its feedback is an orphan
        placed = times[0] - draw(st.integers(0, 60 * US_D))
        add(Event(ts=placed, kind="order_placed", account=account, order_id=order_id))
    for ts in times:
        add(Event(ts=ts, kind="feedback", account=account, order_id=order_id, rating=draw(st.integers(1, 5))))
    if draw(st.integers(0, 2)) == 0:
        removed = draw(st.sampled_from(times)) + draw(st.sampled_from([-1, 0, 1, US_D]))
        add(Event(ts=removed, kind="feedback_removed", account=account, order_id=order_id))


@st.composite
def streams(draw, feedback_back_days: int) -> tuple[int, list[Event]]:
    at = draw(at_instants())
    stream = Stream()
    for account, zone in ZONES.items():
        for _ in range(draw(st.integers(0, 6))):
            draw_thread(draw, stream, account, at, zone)
        for _ in range(draw(st.integers(0, 5))):
            draw_feedback(draw, stream, account, at, zone, feedback_back_days)
        if draw(st.booleans()):  # orphans: follow-ups of a message that never arrived
            ghost = at - draw(st.integers(0, 20 * US_D))
            stream.events += [
                Event(ts=ghost, kind="cs_survey", account=account, ref="ghost", outcome="yes"),
                Event(ts=ghost, kind="message_replied", account=account, ref="ghost"),
            ]
    events = stream.events
    # event ids: most events none, some unique, some reused (only the first in list order counts)
    tagged = []
    for event in events:
        tag = draw(st.sampled_from(["", "", "", "own", "reused"]))
        event_id = {"": "", "own": stream.name("e"), "reused": "dup"}[tag]
        tagged.append(Event(**{**_fields(event), "event_id": event_id}))
    copies = draw(st.lists(st.sampled_from(tagged), max_size=6)) if tagged else []
    tagged += [Event(**_fields(e)) for e in copies]  # exact duplicates, with or without an event id
    draw(st.randoms()).shuffle(tagged)
    return at, tagged


def _fields(event: Event) -> dict[str, Any]:
    return {name: getattr(event, name) for name in Event.__slots__}


def check_stream(at: int, events: list[Event]) -> None:
    engine = engine_view(events, at, ACCOUNT_ZONES, timezone=DEFAULT_ZONE)
    reference = reference_cs(
        events, at, timezone=DEFAULT_ZONE, account_timezones=ACCOUNT_ZONES, profile=PROFILE
    )
    assert_same(engine, reference)


@SETTINGS
@given(streams(feedback_back_days=110))
def test_engine_equals_reference_on_random_streams(case: tuple[int, list[Event]]) -> None:
    """Feedback within 110 days of `at` (orders placed at most 60 days before their feedback): every
    event of an order is inside the engine's retention, whatever the arrival order."""
    check_stream(*case)


@settings(SETTINGS, phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(streams(feedback_back_days=400))
def test_engine_equals_reference_with_year_old_feedback(case: tuple[int, list[Event]]) -> None:
    """Feedback on the 365-day window's edges and beyond, shuffled.

    Fails while the engine loses the late feedback of an order it has evicted (the minimal case is
    test_year_old_feedback_counts_whatever_the_arrival_order; every failing stream found passes when
    fed in time order). Not shrunk: shrinking these streams takes most of a minute and the minimal
    case is above.
    """
    check_stream(*case)
