"""The Prometheus collector on three marketplaces' stores (the mock's mixed seller): each store's seller
level and the headroom to the level below, as the snapshot has them, through prometheus_client's own
exposition and parser."""

from __future__ import annotations

from mixed_fixtures import AT, mixed_engine
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sellerpulse.core.api.prometheus import Reading, SellerPulseCollector
from sellerpulse.core.sources import SourceHealth


def test_seller_levels_and_their_headroom_are_exported_per_store() -> None:
    snapshot = mixed_engine().snapshot(AT)
    registry = CollectorRegistry()
    registry.register(
        SellerPulseCollector(lambda: Reading(snapshot, {"mock": SourceHealth("ok", events=5)}, []))
    )
    samples = [
        s for f in text_string_to_metric_families(generate_latest(registry).decode()) for s in f.samples
    ]
    levels = {s.labels["account"]: s.labels for s in samples if s.name == "sellerpulse_account_level"}
    room = {s.labels["account"]: s for s in samples if s.name == "sellerpulse_account_level_headroom"}
    with_level = {name: acc for name, acc in snapshot.accounts.items() if acc.level is not None}
    assert with_level and set(levels) == set(with_level)
    for name, acc in with_level.items():
        assert levels[name]["level"] == acc.level.level_id and levels[name]["marketplace"] == acc.marketplace
        if acc.level.headroom is not None:
            assert (
                room[name].value == acc.level.headroom and room[name].labels["binding"] == acc.level.binding
            )
    assert room  # at least one store has a level below it
    ingested = [s.value for s in samples if s.name == "sellerpulse_events_ingested_total"]
    assert ingested == [5]
