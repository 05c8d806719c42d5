"""The bulk loader on streams built by hand: the cases where only the order of arrival decides, so the
loader must leave them to the engine; that it folds what it can; and the engine's own counters."""

from __future__ import annotations

from sellerpulse.core.bulk import BulkLoader
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.timeutil import parse_instant
from test_engine_merge_property import shown

D = 86_400_000_000
AT = parse_instant("2026-10-01T12:00:00Z")


def both(events: list[Event], **engine_args: object) -> tuple[Engine, Engine, BulkLoader]:
    """(the engine fed one by one, the engine fed by a loader in one slice, that loader)."""
    straight = Engine(**engine_args)
    straight.ingest(events)
    bulk = Engine(**engine_args)
    loader = BulkLoader(bulk)
    loader.ingest_slice(events)
    return straight, bulk, loader


def test_a_claim_ref_two_orders_open_goes_to_the_order_there_when_it_arrived() -> None:
    # The claim on X arrives before X is placed and is held; the same ref on Y (placed) opens the claim
    # on Y; X's placement then releases the held one, which finds the claim open. Folding X and Y first
    # would give the claim to X: the loader leaves orders that a claim opens on to the engine.
    events = [
        Event(AT - 25 * D, "claim_opened", "acme", "X", ref="R"),
        Event(AT - 30 * D, "order_placed", "acme", "Y", ship_by=AT - 29 * D),
        Event(AT - 25 * D, "claim_opened", "acme", "Y", ref="R"),
        Event(AT - 40 * D, "order_placed", "acme", "X", ship_by=AT - 39 * D),
    ]
    straight, bulk, loader = both(events)
    assert [row.order_id for row in straight.bad_outcomes("acme", "a_to_z_rate", AT)] == ["Y"]
    assert shown(bulk, AT) == shown(straight, AT)
    assert loader.folded == 0 and loader.applied == 4


def test_an_account_with_events_older_than_the_retention_goes_one_by_one() -> None:
    # X is placed 181 days before the latest event: the engine evicts it when Z arrives, and X's
    # shipment, arriving after that, is held as an orphan. Folded, the shipment would vanish with X.
    events = [
        Event(AT - 181 * D, "order_placed", "acme", "X", ship_by=AT - 179 * D),
        Event(AT, "order_placed", "acme", "Z", ship_by=AT + D),
        Event(AT - 179 * D, "order_shipped", "acme", "X", tracking="1Z1"),
    ]
    straight, bulk, loader = both(events)
    assert straight.snapshot(AT).accounts["acme"].orphans == 1
    assert shown(bulk, AT) == shown(straight, AT)
    assert loader.folded == 0 and loader.applied == 3


def test_an_account_stops_being_folded_once_a_slice_reaches_past_its_retention() -> None:
    engine = Engine()
    loader = BulkLoader(engine)
    loader.ingest_slice([Event(AT - 181 * D, "order_placed", "acme", "X", ship_by=AT - 179 * D)])
    assert loader.folded == 1
    loader.ingest_slice([Event(AT, "order_placed", "acme", "Z", ship_by=AT + D)])
    loader.ingest_slice([Event(AT, "order_placed", "acme", "W", ship_by=AT + D)])
    assert (loader.folded, loader.applied) == (1, 2)


def test_an_account_the_engine_had_before_the_loader_is_not_folded() -> None:
    engine = Engine()
    engine.ingest([Event(AT - D, "order_placed", "acme", "X", ship_by=AT)])
    loader = BulkLoader(engine)
    loader.ingest_slice([Event(AT, "order_shipped", "acme", "X", tracking="1Z1")])
    assert (loader.folded, loader.applied) == (0, 1)


def orders(account: str, count: int) -> list[Event]:
    out = []
    for n in range(count):
        placed = AT - (n + 1) * D // 4
        out += [
            Event(placed, "order_placed", account, f"{account}-{n}", f"{account}p{n}", ship_by=placed + D),
            Event(
                placed + D // 2, "order_shipped", account, f"{account}-{n}", f"{account}s{n}", tracking="1Z"
            ),
        ]
    return out


def test_orders_inside_the_retention_are_folded_with_duplicates_and_the_account_limit_counted() -> None:
    events = orders("acme", 30) + orders("bolt", 5)
    events += events[:7]  # duplicates by event id
    straight, bulk, loader = both(events, max_accounts=1)
    assert loader.folded == 60 and loader.applied == 0
    assert shown(bulk, AT) == shown(straight, AT)
    assert (bulk.applied, bulk.duplicates, bulk.rejected) == (60, 7, {bulk.refusal: 10})
    assert (straight.applied, straight.duplicates, straight.rejected) == (60, 7, {straight.refusal: 10})


def test_progress_is_told_the_events_read_after_each_slice() -> None:
    told: list[int] = []
    BulkLoader(Engine(), progress=told.append, slice_events=25).ingest(orders("acme", 30))
    assert told == [25, 50, 60]


def test_an_account_fed_elsewhere_between_slices_is_not_folded_again() -> None:
    engine = Engine()
    loader = BulkLoader(engine)
    loader.ingest_slice([Event(AT - D, "order_placed", "acme", "X", ship_by=AT)])
    engine.ingest([Event(AT - 2 * D, "order_placed", "acme", "Y", ship_by=AT)])
    loader.ingest_slice([Event(AT - D, "order_placed", "acme", "Z", ship_by=AT)])
    assert (loader.folded, loader.applied) == (1, 1)


def test_the_reasons_of_a_folded_orders_refunds_count_as_the_engine_counts_them() -> None:
    # walmart's refund rate counts only refunds of the reasons it lists: the fold keeps every reason given
    events = [
        Event(AT - 10 * D, "order_placed", "acme", "X", ship_by=AT - 9 * D),
        Event(AT - 8 * D, "refund", "acme", "X", amount="1.00"),
        Event(AT - 7 * D, "refund", "acme", "X", amount="1.00", reason="damaged"),
        Event(AT - 10 * D, "order_placed", "acme", "Y", ship_by=AT - 9 * D),
        Event(AT - 8 * D, "refund", "acme", "Y", amount="1.00", reason="late"),
    ]
    straight, bulk, loader = both(events, profile=builtin_profile("walmart"))
    assert loader.folded == 5
    rate = straight.snapshot(AT).accounts["acme"].metrics["refund_rate"]
    assert (rate.numerator, rate.denominator) == (1, 2)
    assert shown(bulk, AT) == shown(straight, AT)
