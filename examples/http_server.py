"""A small local HTTP API that serves seller events, for trying (and testing) the ``http`` source.

It reads a canonical event file (CSV, JSON array or JSON Lines, see EVENTS.md), re-reads it when the file
changes, and serves it in two shapes:

``GET /events?since=ISO&limit=N&next=TOKEN``
    canonical JSON events with ``ts >= since`` in time order, paged: ``{"events": [...], "next": TOKEN}``
    (``next`` is ``null`` on the last page; send it back as ``next=`` with the same ``since``).
    ``/events/array`` and ``/events/jsonl`` serve the same events unpaged as a JSON array / JSON Lines.
``GET /orders/v0/orders?MarketplaceIds=...&CreatedAfter=ISO`` (or ``LastUpdatedAfter=ISO``)
    the SP-API Orders v0 ``getOrders`` shape derived from the same events: ``{"payload": {"Orders": [...],
    "NextToken": ...}}`` with ``AmazonOrderId``, ``PurchaseDate``, ``LastUpdateDate``, ``OrderStatus``
    (Unshipped, Shipped, Canceled), ``FulfillmentChannel``, ``LatestShipDate``, ``LatestDeliveryDate`` and
    ``OrderTotal``. Exactly one of ``CreatedAfter`` / ``LastUpdatedAfter`` is required (as in SP-API);
    ``MaxResultsPerPage`` sets the page size; a ``NextToken`` is only accepted with the same filters.

Every 200 answer carries a strong ``ETag``; a request whose ``If-None-Match`` matches gets ``304``.
``--as-of ISO`` hides events after that instant (move it forward to let orders ship and cancel).

Fault injection, for clients' retry logic: ``--fail-429 N`` answers the next N requests with 429 and
``Retry-After`` (``--retry-after``, seconds or an HTTP-date), ``--fail-500 N`` with 500, ``--malformed N``
with truncated JSON (``--faults-after N`` answers N requests normally first, to fail a later page),
``--slow SECONDS`` delays every answer; ``--token T`` requires the header
``x-amz-access-token: T`` (or ``Authorization: Bearer T``) and answers 403 otherwise, echoing the token
it got, as careless APIs do, so a client's secret masking can be checked.

Try it::

    python examples/http_server.py examples/small-events.csv --port 8765
    curl 'http://127.0.0.1:8765/events?since=2026-10-01T00:00:00Z&limit=3'
    curl 'http://127.0.0.1:8765/orders/v0/orders?MarketplaceIds=X&CreatedAfter=2026-10-01T00:00:00Z'

and point a source at it (``sellerpulse.toml``)::

    [[sources]]
    type = "http"
    url = "http://127.0.0.1:8765/orders/v0/orders"
    format = "sp-api-orders"
    interval = 5
    params = { MarketplaceIds = "ATVPDKIKX0DER", CreatedAfter = "2026-06-01T00:00:00Z" }

Tests import it and call :func:`serve_in_thread` (port 0 picks a free port). Only the standard library
and sellerpulse's own event reader are used.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.timeutil import TimeError, format_instant, parse_instant

DEFAULT_PAGE = 100


@dataclass
class Faults:
    """Failures to inject; each count is used up by the requests it fails, once ``after`` requests
    have been answered normally."""

    after: int = 0
    fail_429: int = 0
    retry_after: str = "1"
    fail_500: int = 0
    malformed: int = 0
    slow: float = 0.0


@dataclass
class Seen:
    """One request as the server saw it (for tests): path, query and the headers that matter."""

    path: str
    query: dict[str, str]
    if_none_match: str | None
    status: int = 0


@dataclass
class _Order:
    order_id: str
    channel: str
    purchased: int
    ship_by: int | None
    deliver_by: int | None
    amount: str
    status: str = "Unshipped"
    updated: int = 0


class BadRequest(ValueError):
    """A request the API refuses with 400 and an SP-API style error body."""


@dataclass
class EventApi:
    """The data behind the server: the events of one file, reloaded when it changes."""

    path: Path
    page_size: int = DEFAULT_PAGE
    token: str | None = None
    as_of: int | None = None
    faults: Faults = field(default_factory=Faults)
    requests: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stamp: tuple[int, int] | None = None
    _events: list[Event] = field(default_factory=list)

    def events(self) -> list[Event]:
        """The file's valid events in time order (re-read when its size or mtime changed)."""
        stat = os.stat(self.path)
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                loaded = [item for item in read_event_file(self.path) if isinstance(item, Event)]
                loaded.sort(key=lambda event: event.ts)
                self._events, self._stamp = loaded, stamp
            events = self._events
        if self.as_of is not None:
            events = [event for event in events if event.ts <= self.as_of]
        return events

    def take_fault(self) -> tuple[int, dict[str, str], bytes] | None:
        """The injected failure for this request, if one is left."""
        with self._lock:
            if self.faults.after:
                self.faults.after -= 1
                return None
            if self.faults.fail_429:
                self.faults.fail_429 -= 1
                body = _json({"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]})
                return 429, {"Content-Type": "application/json", "Retry-After": self.faults.retry_after}, body
            if self.faults.fail_500:
                self.faults.fail_500 -= 1
                return (
                    500,
                    {"Content-Type": "application/json"},
                    _json({"errors": [{"code": "InternalFailure", "message": "try again"}]}),
                )
            if self.faults.malformed:
                self.faults.malformed -= 1
                return 200, {}, b'{"events": [{"ts": "2026-'
        return None

    # -- /events ------------------------------------------------------------------------------------

    def events_page(self, query: dict[str, str]) -> dict[str, Any]:
        since_text = query.get("since", "")
        since = _instant(since_text, "since") if since_text else None
        limit = _positive(query.get("limit"), self.page_size, "limit")
        offset = _offset(query.get("next"), {"since": since_text}, "next")
        chosen = [event for event in self.events() if since is None or event.ts >= since]
        page = chosen[offset : offset + limit]
        more = offset + limit < len(chosen)
        token = _token(offset + limit, {"since": since_text}) if more else None
        return {"events": [event.to_json() for event in page], "next": token}

    def all_events(self, query: dict[str, str]) -> list[dict[str, Any]]:
        since_text = query.get("since", "")
        since = _instant(since_text, "since") if since_text else None
        return [event.to_json() for event in self.events() if since is None or event.ts >= since]

    # -- /orders/v0/orders --------------------------------------------------------------------------

    def orders(self) -> list[_Order]:
        """Each order's state as SP-API shows it, from its placement, shipment and cancellation."""
        orders: dict[tuple[str, str], _Order] = {}
        for event in self.events():
            key = (event.account, event.order_id)
            if event.kind == "order_placed" and key not in orders:
                orders[key] = _Order(
                    event.order_id, event.channel, event.ts, event.ship_by, event.deliver_by, event.amount,
                    updated=event.ts,
                )  # fmt: skip
                continue
            order = orders.get(key)
            if order is None or order.status != "Unshipped":
                continue  # an orphan, or already shipped or cancelled
            if event.kind == "order_shipped":
                order.status, order.updated = "Shipped", event.ts
            elif event.kind == "order_cancelled":
                order.status, order.updated = "Canceled", event.ts
        return sorted(orders.values(), key=lambda order: (order.updated, order.order_id))

    def orders_page(self, query: dict[str, str]) -> dict[str, Any]:
        if not query.get("MarketplaceIds"):
            raise BadRequest("MarketplaceIds is required")
        created, updated = query.get("CreatedAfter"), query.get("LastUpdatedAfter")
        if bool(created) == bool(updated):
            raise BadRequest("exactly one of CreatedAfter and LastUpdatedAfter is required")
        limit = _positive(query.get("MaxResultsPerPage"), self.page_size, "MaxResultsPerPage")
        filters = {key: value for key, value in query.items() if key != "NextToken"}
        offset = _offset(query.get("NextToken"), filters, "NextToken")
        if created:
            after = _instant(created, "CreatedAfter")
            chosen = [order for order in self.orders() if order.purchased >= after]
        else:
            after = _instant(str(updated), "LastUpdatedAfter")
            chosen = [order for order in self.orders() if order.updated >= after]
        page = chosen[offset : offset + limit]
        payload: dict[str, Any] = {"Orders": [_sp_order(order) for order in page]}
        if offset + limit < len(chosen):
            payload["NextToken"] = _token(offset + limit, filters)
        return {"payload": payload}


def _sp_order(order: _Order) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AmazonOrderId": order.order_id,
        "PurchaseDate": format_instant(order.purchased),
        "LastUpdateDate": format_instant(order.updated),
        "OrderStatus": order.status,
        "FulfillmentChannel": order.channel,
        "MarketplaceId": "ATVPDKIKX0DER",
    }
    if order.ship_by is not None:
        out["LatestShipDate"] = format_instant(order.ship_by)
    if order.deliver_by is not None:
        out["LatestDeliveryDate"] = format_instant(order.deliver_by)
    if order.amount:
        out["OrderTotal"] = {"CurrencyCode": "USD", "Amount": order.amount}
    return out


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _instant(text: str, name: str) -> int:
    try:
        return parse_instant(text)
    except TimeError as exc:
        raise BadRequest(f"{name}: {exc}") from None


def _positive(text: str | None, default: int, name: str) -> int:
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return int(text)


def _digest(filters: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:16]


def _token(offset: int, filters: dict[str, str]) -> str:
    raw = json.dumps({"offset": offset, "filters": _digest(filters)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _offset(token: str | None, filters: dict[str, str], name: str) -> int:
    """The offset a page token stands for; it must come back with the filters it was issued for."""
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(data["offset"])
        digest = data["filters"]
    except (ValueError, KeyError, TypeError):
        raise BadRequest(f"{name} is not a token this server issued") from None
    if digest != _digest(filters):
        raise BadRequest(f"{name} does not match the request's filters (resend the same parameters)")
    return offset


class Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        api = self.server.api
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        seen = Seen(parts.path, query, self.headers.get("If-None-Match"))
        api.requests.append(seen)
        if api.faults.slow:
            time.sleep(api.faults.slow)
        status, headers, body = self._answer(api, parts.path, query)
        seen.status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _answer(self, api: EventApi, path: str, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if api.token is not None:
            given = self.headers.get("x-amz-access-token") or self.headers.get("Authorization", "")
            given = given.removeprefix("Bearer ")
            if given != api.token:
                message = f"Access denied: token {given!r} is not valid"
                return 403, {"Content-Type": "application/json"}, _json({"errors": [{"message": message}]})
        fault = api.take_fault()
        if fault is not None:
            return fault
        content_type = "application/json"
        try:
            if path == "/events":
                body = _json(api.events_page(query))
            elif path == "/events/array":
                body = _json(api.all_events(query))
            elif path == "/events/jsonl":
                body = b"".join(_json(item) + b"\n" for item in api.all_events(query))
                content_type = "application/x-ndjson"
            elif path == "/orders/v0/orders":
                body = _json(api.orders_page(query))
            else:
                return 404, {"Content-Type": content_type}, _json({"errors": [{"message": "no such path"}]})
        except BadRequest as exc:
            error = {"errors": [{"code": "InvalidInput", "message": str(exc)}]}
            return 400, {"Content-Type": content_type}, _json(error)
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            return 304, {"ETag": etag}, b""
        return 200, {"Content-Type": content_type, "ETag": etag}, body


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], api: EventApi, quiet: bool = True) -> None:
        super().__init__(address, Handler)
        self.api = api
        self.quiet = quiet

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def serve_in_thread(
    path: str | Path, host: str = "127.0.0.1", port: int = 0, **api_options: Any
) -> ApiServer:
    """Start a server on a background thread; ``server.url`` is its base URL, ``server.api`` its data
    and faults. Stop it with ``server.shutdown(); server.server_close()``."""
    server = ApiServer((host, port), EventApi(Path(path), **api_options))
    threading.Thread(target=server.serve_forever, args=(0.05,), name="example-http-api", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="canonical event file (CSV, JSON array or JSON Lines)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE)
    parser.add_argument("--as-of", help="hide events after this ISO instant")
    parser.add_argument("--token", help="require this access token")
    parser.add_argument("--fail-429", type=int, default=0, metavar="N")
    parser.add_argument("--retry-after", default="1", help="Retry-After of the 429 answers")
    parser.add_argument("--fail-500", type=int, default=0, metavar="N")
    parser.add_argument("--malformed", type=int, default=0, metavar="N")
    parser.add_argument("--slow", type=float, default=0.0, metavar="SECONDS")
    parser.add_argument(
        "--faults-after", type=int, default=0, metavar="N", help="answer N requests normally first"
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        parser.error(f"no such file: {args.data}")
    faults = Faults(
        args.faults_after, args.fail_429, args.retry_after, args.fail_500, args.malformed, args.slow
    )
    as_of = parse_instant(args.as_of) if args.as_of else None
    api = EventApi(args.data, args.page_size, args.token, as_of, faults)
    server = ApiServer((args.host, args.port), api, quiet=False)
    print(f"serving {args.data} on {server.url} (/events, /orders/v0/orders); Ctrl+C stops", file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
