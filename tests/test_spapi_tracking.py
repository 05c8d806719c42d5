"""getOrders carries no tracking numbers: a seller read through the ``sp-api`` source alone (the local
stand-in, examples/spapi_server.py) has Late Shipment counted from its shipments and Valid Tracking with
no data, not a 0 % breach (Amazon's own figure for such a seller is 100 %)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.profile import builtin_profile
from spapi_fixtures import order, read_all, seller, source, spapi_server


@pytest.fixture
def server():
    market = seller()
    # besides A1 (shipped a day before its ship-by): A4, shipped two days after it
    market.orders.append(order(4, placed=10, updated=6, status="Shipped"))
    running = spapi_server.serve_in_thread(market)
    yield running
    running.shutdown()
    running.server_close()


async def test_getorders_shipments_count_for_late_shipment_and_not_for_valid_tracking(server):
    batches = await read_all(source(server))
    events = [event for batch in batches for event in batch.events]
    shipments = [event for event in events if event.kind == "order_shipped"]
    assert len(shipments) == 2 and all(event.tracking is None for event in shipments)
    engine = Engine(profile=builtin_profile("amazon"))
    engine.ingest(events)
    now = int(datetime.now(UTC).timestamp() * 1_000_000)
    metrics = engine.snapshot(now).to_json()["accounts"]["acme-us"]["metrics"]
    # VTR: no shipment's tracking is known -> no data
    vtr = metrics["vtr"]
    assert (vtr["numerator"], vtr["denominator"], vtr["value"]) == (0, 0, None)
    assert vtr["status"] != "breach"
    # LSR (MFN): A1 on time, A4 late; A2 cancelled before shipping, A3 AFN -> 1 / 2
    lsr = metrics["lsr_30d"]
    assert (lsr["numerator"], lsr["denominator"]) == (1, 2)
