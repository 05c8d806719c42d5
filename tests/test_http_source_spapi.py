"""The ``http`` source on SP-API Orders v0 ``getOrders``: status changes become order events, once each.

The example server derives getOrders pages from an event file; moving its ``as_of`` forward lets orders
ship and cancel between polls, as on a live marketplace.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.options import validate_options
from sellerpulse.core.sources import Batch
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant
from sellerpulse.plugins.http_source import HttpSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import http_server

T0 = parse_instant("2026-10-01T08:00:00Z")
H = US_PER_HOUR


def at(hours: float) -> int:
    return T0 + int(hours * H)


def order(number: int, hours: float, channel: str = "MFN") -> Event:
    promises = (
        {"ship_by": at(hours) + US_PER_DAY, "deliver_by": at(hours) + 4 * US_PER_DAY}
        if channel == "MFN"
        else {}
    )
    return Event(
        ts=at(hours), kind="order_placed", account="acme-us", order_id=f"O-{number}", channel=channel,
        amount=f"{10 + number}.50", **promises,
    )  # fmt: skip


def change(kind: str, number: int, hours: float, **fields: object) -> Event:
    return Event(ts=at(hours), kind=kind, account="acme-us", order_id=f"O-{number}", **fields)


STORY = [
    order(0, 0), change("order_shipped", 0, 6, tracking="1Z1"),
    order(1, 1), change("order_cancelled", 1, 3, by="seller"),
    order(2, 2), change("order_shipped", 2, 4, tracking="1Z2"), change("order_cancelled", 2, 5, by="buyer"),
    order(3, 3, "AFN"), change("order_shipped", 3, 8, tracking="TBA3"),
    order(4, 7),
    order(5, 4),
]  # fmt: skip


@pytest.fixture
def server(tmp_path):
    path = tmp_path / "story.jsonl"
    path.write_text("".join(json.dumps(event.to_json()) + "\n" for event in STORY), encoding="utf-8")
    running = http_server.serve_in_thread(path, page_size=2, as_of=at(5))
    yield running
    running.shutdown()
    running.server_close()


def sp_source(url: str) -> HttpSource:
    table = {
        "url": url + "/orders/v0/orders",
        "format": "sp-api-orders",
        "account": "acme-us",
        "params": {"MarketplaceIds": "ATVPDKIKX0DER", "CreatedAfter": "2026-09-01T00:00:00Z"},
        "headers": {"x-amz-access-token": "token-abc"},
        "backoff": 0.01,
    }
    return HttpSource("sp-api", validate_options(HttpSource.options, table, "test"))


async def poll(src: HttpSource) -> list[Event]:
    events: list[Event] = []
    async for batch in src.batches(follow=False):
        assert batch.rejections == []
        events.extend(batch.events)
    return events


async def test_status_changes_become_events_once_across_polls(server):
    src = sp_source(server.url)
    first = await poll(src)
    assert sorted((e.order_id, e.kind) for e in first) == [
        ("O-0", "order_placed"), ("O-1", "order_cancelled"), ("O-1", "order_placed"),
        ("O-2", "order_placed"), ("O-2", "order_shipped"), ("O-3", "order_placed"), ("O-5", "order_placed"),
    ]  # fmt: skip
    pages = server.api.requests
    assert len(pages) == 3  # five orders, two a page
    assert all(p.query == pages[0].query | {"NextToken": p.query["NextToken"]} for p in pages[1:])
    assert src.position()["cursor"] == format_instant(at(4))

    server.api.as_of = at(9)
    second = await poll(src)
    assert sorted((e.order_id, e.kind) for e in second) == [
        ("O-0", "order_shipped"),
        ("O-3", "order_shipped"),
        ("O-4", "order_placed"),
    ]
    query = server.api.requests[-1].query
    assert "CreatedAfter" not in query and query["LastUpdatedAfter"] == format_instant(at(4))

    assert await poll(src) == []  # nothing changed since: no event repeats
    everything = first + second
    assert all(count == 1 for count in Counter(e.event_id for e in everything).values())

    by_id = {e.event_id: e for e in everything}
    placed = by_id["O-0:placed"]
    assert (placed.ts, placed.channel, placed.amount) == (at(0), "MFN", "10.50")
    assert (placed.ship_by, placed.deliver_by) == (at(0) + US_PER_DAY, at(0) + 4 * US_PER_DAY)
    assert by_id["O-3:placed"].channel == "AFN" and by_id["O-3:placed"].ship_by is None
    assert (by_id["O-1:cancelled"].ts, by_id["O-1:cancelled"].by) == (at(3), "seller")
    assert by_id["O-0:shipped"].ts == at(6)
    assert all(e.account == "acme-us" for e in everything)

    # The engine sees the seller's state: O-4 and O-5 still to ship, one seller cancellation in seven days.
    engine = Engine()
    engine.ingest(everything)
    snapshot = engine.snapshot(at(9))
    account = snapshot.accounts["acme-us"]
    assert account.queues["orders_to_ship"].count == 2
    assert (account.metrics["pfcr"].numerator, account.metrics["pfcr"].denominator) == (1, 5)


def test_pending_orders_wait_and_partial_shipments_count_once():
    src = sp_source("http://127.0.0.1:9")

    def page(status: str, updated: str) -> list[tuple[str, str]]:
        body = {
            "payload": {
                "Orders": [
                    {
                        "AmazonOrderId": "111-1", "PurchaseDate": "2026-10-01T08:00:00Z",
                        "LastUpdateDate": updated, "OrderStatus": status, "FulfillmentChannel": "MFN",
                        "LatestShipDate": "2026-10-03T07:59:59Z",
                    },
                    {"AmazonOrderId": "111-2", "OrderStatus": "Unshipped"},
                ]
            }
        }  # fmt: skip
        batch = Batch()
        assert src._read_page(json.dumps(body), "page", batch) is None
        assert [r.reason for r in batch.rejections] == ["order has no LastUpdateDate"]
        return [(e.kind, format_instant(e.ts)) for e in batch.events]

    assert page("Pending", "2026-10-01T08:00:00Z") == []
    assert page("Unshipped", "2026-10-01T08:30:00Z") == [("order_placed", "2026-10-01T08:00:00Z")]
    assert page("Unshipped", "2026-10-01T09:00:00Z") == []
    assert page("PartiallyShipped", "2026-10-02T09:00:00Z") == [("order_shipped", "2026-10-02T09:00:00Z")]
    assert page("Shipped", "2026-10-02T15:00:00Z") == []
    assert page("Canceled", "2026-10-02T16:00:00Z") == []  # shipped orders do not cancel
