"""A shipment whose tracking the source cannot see (``tracking`` None, getOrders) counts for Late Shipment
but neither for nor against Valid Tracking, which judges the first shipment whose tracking is known.

Every expected number is worked out by hand in the comments (amazon profile, UTC, ``AT`` 2026-11-20 15:30:
lsr_30d and vtr windows 2026-10-22..2026-11-20, lsr by ship-by day, vtr by the judged shipment's day), and
checked against the engine and the reference (tests/reference.py) alike.
"""

from __future__ import annotations

from typing import Any

from reference import reference_report
from sellerpulse.core.bulk import BulkLoader
from sellerpulse.core.checkpoint import decode_events, encode_events
from sellerpulse.core.engine import Engine, state_file
from sellerpulse.core.events import Event, parse_event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.readers import read_json_text
from sellerpulse.core.timeutil import parse_instant

AT = parse_instant("2026-11-20T15:30:00Z")
PROFILE = builtin_profile("amazon")


def placed(order_id: str, ship_by: str) -> Event:
    return parse_event({"ts": "2026-10-20T00:00:00Z", "kind": "order_placed", "order_id": order_id,
                        "channel": "MFN", "ship_by": ship_by})  # fmt: skip


def shipped(order_id: str, ts: str, tracking: str | None) -> Event:
    """A shipment; ``tracking`` None is sent as JSON null (unknown), as the getOrders mapping gives it."""
    return parse_event({"ts": ts, "kind": "order_shipped", "order_id": order_id, "tracking": tracking})


def two_sources() -> list[Event]:
    """getOrders' shipments (tracking unknown) beside a csv of shipping records (numbers or none)."""
    return [
        *(placed(f"U{i}", "2026-11-02T00:00:00Z") for i in (1, 3, 4, 5, 6)),
        placed("U2", "2026-11-01T00:00:00Z"),
        # U1: unknown at 10:00, then the csv's number at 12:00 -> judged on 12:00, tracked: good
        shipped("U1", "2026-11-01T10:00:00Z", None),
        shipped("U1", "2026-11-01T12:00:00Z", "1Z1"),
        # U2: unknown at 10:00 (after its ship-by: late), the csv says none at 12:00 -> bad
        shipped("U2", "2026-11-01T10:00:00Z", None),
        shipped("U2", "2026-11-01T12:00:00Z", ""),
        # U3: only getOrders -> outside VTR, inside LSR (on time)
        shipped("U3", "2026-11-01T10:00:00Z", None),
        # U4: the csv's number first (08:00), getOrders later -> good
        shipped("U4", "2026-11-01T08:00:00Z", "1Z4"),
        shipped("U4", "2026-11-01T10:00:00Z", None),
        # U5: unknown and none at one instant -> the known one decides: bad
        shipped("U5", "2026-11-01T10:00:00Z", ""),
        shipped("U5", "2026-11-01T10:00:00Z", None),
        # U6: the csv's number (11-03) arrives before getOrders' earlier unknown shipment (11-01) -> good
        shipped("U6", "2026-11-03T10:00:00Z", "1Z6"),
        shipped("U6", "2026-11-01T10:00:00Z", None),
    ]


def getorders_only() -> list[Event]:
    return [
        placed("G1", "2026-11-02T00:00:00Z"),
        placed("G2", "2026-11-01T00:00:00Z"),
        shipped("G1", "2026-11-01T10:00:00Z", None),  # on time
        shipped("G2", "2026-11-01T10:00:00Z", None),  # late
    ]


def metrics(events: list[Event], kind: str) -> dict[str, Any]:
    if kind == "reference":
        return reference_report(events, AT, "UTC", None, PROFILE)["default"]["metrics"]
    engine = Engine(profile=PROFILE)
    engine.ingest(events)
    return engine.snapshot(AT).to_json()["accounts"]["default"]["metrics"]


def figures(metric: dict[str, Any]) -> tuple[int, int, float | None]:
    return metric["numerator"], metric["denominator"], metric["value"]


def test_valid_tracking_judges_the_first_shipment_whose_tracking_is_known() -> None:
    for kind in ("reference", "engine"):
        got = metrics(two_sources(), kind)
        # VTR: U1, U2, U4, U5, U6 judged (U3 has no known tracking); good U1, U4, U6 -> 3 / 5
        assert figures(got["vtr"]) == (3, 5, 3 / 5), kind
        # LSR by the first shipment whatever its tracking: all six in, U2 late -> 1 / 6
        assert figures(got["lsr_30d"]) == (1, 6, 1 / 6), kind


def test_a_seller_whose_only_source_is_getorders_has_no_valid_tracking_data() -> None:
    for kind in ("reference", "engine"):
        got = metrics(getorders_only(), kind)
        assert figures(got["vtr"]) == (0, 0, None), kind
        assert got["vtr"]["status"] != "breach", kind
        assert figures(got["lsr_30d"]) == (1, 2, 1 / 2), kind


def test_any_arrival_order_gives_the_same_valid_tracking() -> None:
    events = two_sources()
    for ordering in (events, events[::-1], sorted(events, key=lambda e: (e.order_id, -e.ts))):
        engine = Engine(profile=PROFILE)
        engine.ingest(ordering)
        got = engine.snapshot(AT).to_json()["accounts"]["default"]["metrics"]
        assert figures(got["vtr"]) == (3, 5, 3 / 5)
        assert figures(got["lsr_30d"]) == (1, 6, 1 / 6)


def test_the_bulk_loader_folds_the_same_rule() -> None:
    for events in (two_sources(), getorders_only()):
        straight, bulk = Engine(profile=PROFILE), Engine(profile=PROFILE)
        straight.ingest(events)
        loader = BulkLoader(bulk)
        loader.ingest_slice(events)
        assert loader.folded == len(events)  # folded, not applied one by one
        want = straight.snapshot(AT).to_json()["accounts"]
        assert bulk.snapshot(AT).to_json()["accounts"] == want
        assert bulk.bad_outcomes("default", "vtr", AT) == straight.bad_outcomes("default", "vtr", AT)


def test_the_drilldown_names_only_shipments_known_to_have_no_tracking() -> None:
    engine = Engine(profile=PROFILE)
    engine.ingest(two_sources())
    bad = engine.bad_outcomes("default", "vtr", AT)
    # by day, then instant: U5's known none at 10:00, U2's at 12:00 (not its unknown 10:00); U3 not at all
    assert [(b.key, b.reason, b.when) for b in bad] == [
        ("U5", "shipped without tracking", parse_instant("2026-11-01T10:00:00Z")),
        ("U2", "shipped without tracking", parse_instant("2026-11-01T12:00:00Z")),
    ]


def test_json_null_is_unknown_and_a_missing_or_empty_tracking_is_none() -> None:
    base = {"ts": "2026-11-01T10:00:00Z", "kind": "order_shipped", "order_id": "A"}
    assert parse_event({**base, "tracking": None}).tracking is None
    assert parse_event(base).tracking == ""
    assert parse_event({**base, "tracking": ""}).tracking == ""
    assert parse_event({**base, "tracking": " 1Z9 "}).tracking == "1Z9"
    unknown = parse_event({**base, "tracking": None})
    assert unknown.to_json()["tracking"] is None
    assert parse_event(unknown.to_json()).tracking is None
    assert "tracking" not in parse_event(base).to_json()
    lines = '{"ts": "2026-11-01T10:00:00Z", "kind": "order_shipped", "order_id": "A", "tracking": null}\n'
    read = list(read_json_text(lines + lines.replace("null", '""'), "shipments.jsonl"))
    assert [getattr(e, "tracking", e) for e in read] == [None, ""]


def test_the_journal_keeps_unknown_apart_from_none_and_reads_old_rows_as_before() -> None:
    events = two_sources()
    (row,) = encode_events(events)
    assert [e.tracking for e in decode_events("default", row.events)] == [e.tracking for e in events]
    # a row written before unknown tracking existed: its empty tracking is still "shipped without"
    old = '[[1761991200000000,"order_shipped","U2","","","",null,null,"","",0,"","",""]]'
    (event,) = decode_events("default", old)
    assert event.tracking == ""


def test_a_saved_engine_state_keeps_unknown_tracking_across_a_restart() -> None:
    engine = Engine(profile=PROFILE)
    engine.ingest(getorders_only())
    restarted = Engine(profile=PROFILE)
    state_file.load(restarted, state_file.dump(engine)).install(restarted)
    got = restarted.snapshot(AT).to_json()["accounts"]["default"]["metrics"]
    assert figures(got["vtr"]) == (0, 0, None)
    # the csv's numbers arrive after the restart: G1's later tracked shipment, G2's earlier none
    restarted.ingest(
        [shipped("G1", "2026-11-01T11:00:00Z", "1Z1"), shipped("G2", "2026-11-01T09:00:00Z", "")]
    )
    got = restarted.snapshot(AT).to_json()["accounts"]["default"]["metrics"]
    assert figures(got["vtr"]) == (1, 2, 1 / 2)
    # G2's first shipment is now 09:00, still after its ship-by (11-01 00:00): late either way
    assert figures(got["lsr_30d"]) == (1, 2, 1 / 2)
