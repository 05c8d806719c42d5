"""A seller on the local SP-API stand-in (examples/spapi_server.py), and sp-api sources pointed at it."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sellerpulse.core.options import validate_options
from sellerpulse.core.sources import Batch
from sellerpulse.plugins.spapi.source import SpApiSource

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import spapi_server

FEEDBACK = "GET_SELLER_FEEDBACK_DATA"
RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
ACCOUNT_HEALTH = "GET_V2_SELLER_PERFORMANCE_REPORT"
FAST = {"getOrders": "100", "createReport": "100", "getReport": "100", "getReportDocument": "100"}
NOW = datetime.now(UTC).replace(microsecond=0)


def iso(days_ago: float) -> str:
    return spapi_server.iso(NOW - timedelta(days=days_ago))


def order(number: int, placed: float, updated: float, status: str, channel: str = "MFN") -> dict[str, Any]:
    """An SP-API Order (Orders v0 model) placed and last updated ``placed`` / ``updated`` days ago."""
    return {
        "AmazonOrderId": f"111-000000{number}-000000{number}", "PurchaseDate": iso(placed),
        "LastUpdateDate": iso(updated), "OrderStatus": status, "FulfillmentChannel": channel,
        "LatestShipDate": iso(placed - 2), "LatestDeliveryDate": iso(placed - 6),
        "OrderTotal": {"CurrencyCode": "USD", "Amount": f"{20 + number}.00"},
        "MarketplaceId": "ATVPDKIKX0DER",
    }  # fmt: skip


def seller() -> spapi_server.Marketplace:
    """Three orders (one cancelled, one waiting to ship), one 1-star feedback, one return with a claim."""
    market = spapi_server.Marketplace(rate_limit=dict(FAST), page_size=2, polls_to_done=2)
    market.orders = [
        order(1, placed=9, updated=8, status="Shipped"),
        order(2, placed=7, updated=6.5, status="Canceled"),
        order(3, placed=3, updated=2.9, status="Unshipped", channel="AFN"),
    ]
    market.feedback = [{"date": iso(4), "rating": 1, "order_id": "111-0000001-0000001"}]
    market.returns = [
        {
            "order_id": "111-0000001-0000001",
            "date": iso(5),
            "rma": "DQX123",
            "status": "Pending",
            "claim": True,
        }
    ]
    return market


def source(server: spapi_server.SpApiServer, name: str = "amazon-us", **overrides: Any) -> SpApiSource:
    table: dict[str, Any] = {
        "endpoint": server.url, "lwa_endpoint": server.url + "/auth/o2/token",
        "marketplace_ids": ["ATVPDKIKX0DER"], "account": "acme-us",
        "client_id": spapi_server.CLIENT_ID, "client_secret": spapi_server.CLIENT_SECRET,
        "refresh_token": spapi_server.REFRESH_TOKEN,
        "lookback_days": 20, "report_poll": 0.01, "backoff": 0.01, "max_backoff": 0.05, "interval": 0,
    }  # fmt: skip
    table.update(overrides)
    return SpApiSource(name, validate_options(SpApiSource.options, table, "test"))


async def read_all(spapi: SpApiSource) -> list[Batch]:
    return [batch async for batch in spapi.batches(False)]


def secrets_of(market: spapi_server.Marketplace) -> list[str]:
    """The three credentials and every access token the stand-in issued."""
    return [spapi_server.CLIENT_ID, spapi_server.CLIENT_SECRET, spapi_server.REFRESH_TOKEN, *market.tokens]
