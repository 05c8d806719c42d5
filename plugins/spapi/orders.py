"""``getOrders`` from a cursor: every order updated since, page by page, turned into order events.

The cursor is ``LastUpdatedAfter``: the newest ``LastUpdateDate`` seen, inclusive, as SP-API reads it
(an order updated at that instant comes again and its statuses are not emitted twice). Before the first
answer there is no cursor and the poll asks ``CreatedAfter`` the start of the data the profile needs.
Amazon refuses a time later than two minutes before now, so both are held back to that. A ``NextToken``
page is asked with the same filters. The cursor moves only after the last page, so a poll cut short is
asked again whole; what it delivered twice is dropped (each status once, the engine's event ids).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from sellerpulse.core.events import Rejection
from sellerpulse.core.sources import Batch
from sellerpulse.core.timeutil import US_PER_SECOND, TimeError, format_instant, parse_instant

from ..order_statuses import OrderStatusEvents
from .client import SpApiClient, SpApiError

PATH = "/orders/v0/orders"
HOLD_BACK_US = 2 * 60 * US_PER_SECOND  # SP-API: LastUpdatedAfter / CreatedAfter at least 2 min before now
MAX_TOKEN = 8192


class OrdersFeed:
    """The getOrders state of one source: the cursor and the statuses already turned into events."""

    def __init__(
        self, source: str, marketplace_ids: list[str], statuses: OrderStatusEvents, max_pages: int
    ) -> None:
        self.source = source
        self.marketplace_ids = marketplace_ids
        self.statuses = statuses
        self.max_pages = max_pages
        self.cursor: int | None = None

    async def poll(
        self, client: SpApiClient, http: httpx.AsyncClient, now: int, first_start: int
    ) -> AsyncIterator[Batch]:
        """One poll: a batch per page; the cursor moves with the last one."""
        filters = {"MarketplaceIds": ",".join(self.marketplace_ids)}
        latest = now - HOLD_BACK_US
        if self.cursor is None:
            filters["CreatedAfter"] = format_instant(min(first_start, latest))
        else:
            filters["LastUpdatedAfter"] = format_instant(min(self.cursor, latest))
        newest = self.cursor
        token: str | None = None
        for page in range(1, self.max_pages + 1):
            params = dict(filters, NextToken=token) if token else filters
            answer = await client.call(http, "getOrders", PATH, params)
            payload = answer.get("payload")
            orders = payload.get("Orders") if isinstance(payload, dict) else None
            where = f"getOrders page {page}"
            if not isinstance(orders, list):
                yield Batch(rejections=[Rejection(self.source, where, "expected payload.Orders (a list)")])
                return
            batch = Batch()
            for index, order in enumerate(orders):
                try:
                    batch.events.extend(self.statuses.events(order))
                except (ValueError, OverflowError) as exc:
                    batch.rejections.append(Rejection(self.source, f"{where} order {index}", str(exc)))
                    continue
                updated = _updated(order)
                if updated is not None and updated <= now and (newest is None or updated > newest):
                    newest = updated
            token = _token(payload)
            if token is None:
                self.cursor = newest
                self.statuses.trim()
                yield batch
                return
            yield batch
        raise SpApiError(
            f"getOrders: more than {self.max_pages} pages in one poll (max_pages): the cursor stays; "
            "raise max_pages if the account really holds that much"
        )


def _updated(order: dict[str, Any]) -> int | None:
    try:
        return parse_instant(str(order.get("LastUpdateDate")))
    except TimeError:
        return None


def _token(payload: dict[str, Any]) -> str | None:
    value = payload.get("NextToken")
    if not value:
        return None
    if not isinstance(value, str) or len(value) > MAX_TOKEN:
        raise SpApiError("getOrders: unreadable NextToken (not text, or too long for a URL)")
    return value
