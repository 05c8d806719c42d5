"""The wire format of ``sellerpulse serve``: the worked example's live view, its drill-down rows and its
source health go through JSON text and come back equal, field for field; a damaged document is refused
with the path of what is wrong."""

from __future__ import annotations

import json

import pytest
from sellerpulse.core.api import wire
from sellerpulse.core.sources import SourceHealth
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
    doc = through_json(wire.encode_view(snapshot, health, alerts, ["odr", "lsr_10d"]))
    assert wire.decode_view(doc) == (snapshot, health, alerts, ["odr", "lsr_10d"])


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
    doc = through_json(wire.encode_view(engine.snapshot(AT), {}, [], []))
    doc["version"] = 99
    with pytest.raises(wire.WireError, match="wire version 99"):
        wire.decode_view(doc)


def test_three_marketplaces_with_seller_levels_and_allowed_counts_come_back_equal() -> None:
    from mixed_fixtures import AT as MIXED_AT
    from mixed_fixtures import mixed_engine

    snapshot = mixed_engine().snapshot(MIXED_AT, items=5, history_days=30, weekly=True)
    accounts = snapshot.accounts.values()
    assert {a.marketplace for a in accounts} == {"Amazon", "Walmart", "eBay"}
    assert any(a.level is not None for a in accounts)
    assert any(m.allowed_count is not None for a in accounts for m in a.metrics.values())
    assert wire.decode_snapshot(through_json(wire.encode_snapshot(snapshot))) == snapshot


def test_a_field_with_a_default_may_be_missing_one_without_may_not() -> None:
    """A view reads a serve one version older: a field the engine added since (with its default) is
    taken as that default; a field every version has is required."""
    engine, _ = example_engine()
    snapshot = engine.snapshot(AT, items=5)
    doc = through_json(wire.encode_snapshot(snapshot))
    del doc["accounts"]["acme-us"]["metrics"]["odr"]["allowed_count"]
    assert wire.decode_snapshot(doc).accounts["acme-us"].metrics["odr"].allowed_count is None
    del doc["accounts"]["acme-us"]["metrics"]["odr"]["status"]
    with pytest.raises(wire.WireError, match=r"metrics\.odr: missing status"):
        wire.decode_snapshot(doc)


def test_amazons_numbers_beside_ours_come_back_equal(tmp_path) -> None:
    from test_official_compare import comparisons, engine

    compared = list(comparisons(engine.__wrapped__(tmp_path)).values())
    assert any(c.ours is not None for c in compared) and any(c.explanation for c in compared)
    ours, _ = example_engine()
    doc = through_json(wire.encode_view(ours.snapshot(AT), {}, [], [], compared))
    assert wire.decode_account_health(doc) == compared
    del doc["account_health"]  # a serve that sends none
    assert wire.decode_account_health(doc) == []
    doc["account_health"] = [{"account": "acme"}]
    with pytest.raises(wire.WireError, match=r"view.account_health\[0\]: KeyError"):
        wire.decode_account_health(doc)
