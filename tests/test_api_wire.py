"""The wire format of ``sellerpulse serve``: the worked example's live view, its drill-down rows and its
source health go through JSON text and come back equal, field for field; a damaged document is refused
with the path of what is wrong."""

from __future__ import annotations

import json

import pytest
from mixed_fixtures import AT as MIXED_AT
from mixed_fixtures import EBAY, WALMART, mixed_engine
from official_fixtures import EVENTS_CSV, US, marketplace, odr, report
from sellerpulse.core.api import wire
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.official_compare import compare
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.sources import SourceHealth
from sellerpulse.core.timeutil import parse_instant
from tui_fixtures import AT, SOURCE, example_engine


def through_json(doc: object) -> object:
    return json.loads(json.dumps(doc))


def test_the_live_snapshot_with_history_items_and_weekly_figures_comes_back_equal() -> None:
    engine, _ = example_engine()
    snapshot = engine.snapshot(AT, items=5, history_days=30, weekly=True)
    acc = snapshot.accounts["acme-us"]
    # what the comparison covers: history, queue items, weekly weeks and rejected counts are all there
    assert any(m.history for m in acc.metrics.values())
    assert any(q.items for q in acc.queues.values())
    assert acc.weekly and snapshot.rejected[SOURCE] > 0
    assert wire.decode_snapshot(through_json(wire.encode_snapshot(snapshot))) == snapshot


def test_a_changed_field_is_not_equal_after_the_round_trip() -> None:
    """The equality above can fail: one number changed in the JSON gives another snapshot."""
    engine, _ = example_engine()
    snapshot = engine.snapshot(AT, items=5, history_days=30)
    doc = through_json(wire.encode_snapshot(snapshot))
    doc["accounts"]["acme-us"]["metrics"]["odr"]["numerator"] += 1
    assert wire.decode_snapshot(doc) != snapshot


def test_drill_down_rows_queue_items_and_rejections_come_back_equal() -> None:
    engine, rejections = example_engine()
    rows = engine.bad_outcomes("acme-us", "odr", AT)
    items = engine.queue_items("acme-us", "orders_to_ship", AT)
    assert rows and items and rejections
    assert wire.decode_bad_outcomes(through_json(wire.encode_bad_outcomes(rows))) == rows
    encoded = through_json([wire.encode_queue_item(item) for item in items])
    assert wire.decode_queue_items(encoded) == items
    assert wire.decode_rejections(through_json(wire.encode_rejections(rejections))) == rejections


def test_the_view_document_gives_back_snapshot_health_alerts_and_metric_ids() -> None:
    engine, _ = example_engine()
    snapshot = engine.snapshot(AT, items=5, history_days=30)
    health = {SOURCE: SourceHealth("failing", "boom", 12, 3, AT, "line 9"), "api": SourceHealth("ok")}
    alerts = [{"rule": "odr-breach", "labels": {"account": "acme-us"}, "state": "firing", "value": 0.03}]
    rules = {"acme-us": {"odr": "order_defect", "lsr_10d": "late_shipment"}}
    view = wire.View(snapshot, health, alerts, ["odr", "lsr_10d"], rules)
    assert wire.decode_view(through_json(wire.encode_view(view))) == view


def test_marketplaces_seller_levels_and_allowed_counts_come_back_equal() -> None:
    """A mixed seller: an eBay account's level and its metrics' allowed counts, a Walmart account's
    marketplace; what the header and the picker of an attached view show."""
    snapshot = mixed_engine("unresolved-cases").snapshot(MIXED_AT, items=5)
    ebay = snapshot.accounts[EBAY]
    assert ebay.level is not None and ebay.marketplace == "eBay"
    assert any(m.allowed_count is not None for m in ebay.metrics.values())
    assert snapshot.accounts[WALMART].marketplace == "Walmart"
    assert wire.decode_snapshot(through_json(wire.encode_snapshot(snapshot))) == snapshot


def test_amazons_numbers_beside_ours_come_back_equal(tmp_path) -> None:
    engine = Engine()
    (tmp_path / "events.csv").write_text(EVENTS_CSV)
    engine.ingest(item for item in read_event_file(tmp_path / "events.csv") if isinstance(item, Event))
    mfn = odr(5, 1, 0, 1, "2026-09-01", "2026-09-10", fulfillmentType="mfn")
    parsed = parse_account_health(report(marketplace(US, orderDefectRate={"mfn": mfn})), "acme")
    comparisons = compare(engine, parsed.records, parse_instant("2026-10-15T09:00:00Z"))
    assert comparisons and any(c.explanation for c in comparisons)
    view = wire.View(engine.snapshot(parse_instant("2026-10-15T09:00:00Z")), {}, [], [], {}, comparisons)
    assert wire.decode_view(through_json(wire.encode_view(view))).account_health == comparisons


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d["accounts"]["acme-us"]["metrics"]["odr"].pop("value"),
         "snapshot.accounts.acme-us.metrics.odr: missing value"),
        (lambda d: d["accounts"]["acme-us"]["queues"]["orders_to_ship"]["items"].__setitem__(0, "x"),
         "snapshot.accounts.acme-us.queues.orders_to_ship.items[0]: expected [ref, order_id, since, deadline]"),
        (lambda d: d.__setitem__("accounts", []), "snapshot.accounts: expected dict, got list"),
    ],
)  # fmt: skip
def test_a_damaged_document_is_refused_with_where_and_why(damage, message: str) -> None:
    engine, _ = example_engine()
    doc = through_json(wire.encode_snapshot(engine.snapshot(AT, items=5)))
    damage(doc)
    with pytest.raises(wire.WireError) as caught:
        wire.decode_snapshot(doc)
    assert str(caught.value) == message


def test_a_view_of_another_wire_version_is_refused() -> None:
    engine, _ = example_engine()
    doc = through_json(wire.encode_view(wire.View(engine.snapshot(AT), {}, [], [])))
    doc["version"] = 99
    with pytest.raises(wire.WireError, match="wire version 99"):
        wire.decode_view(doc)
