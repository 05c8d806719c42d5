"""A local stand-in for Amazon's Selling Partner API, for trying (and testing) the ``sp-api`` source.

It plays the three parties the source talks to, on one port, with answers shaped as Amazon's public
models describe them (Orders v0, Reports 2021-06-30, Login with Amazon):

``POST /auth/o2/token``
    Login with Amazon: the form ``grant_type=refresh_token``, ``refresh_token``, ``client_id``,
    ``client_secret`` gives ``{"access_token", "token_type": "bearer", "expires_in"}``; a wrong refresh
    token gives 400 ``invalid_grant``, wrong client credentials 401 ``invalid_client``.
``GET /orders/v0/orders``
    ``getOrders``: ``MarketplaceIds`` and exactly one of ``CreatedAfter`` / ``LastUpdatedAfter``;
    ``{"payload": {"Orders": [...], "NextToken"?, "LastUpdatedBefore"?}}``, ``--page-size`` orders a page.
``POST /reports/2021-06-30/reports``, ``GET .../reports/{id}``, ``GET .../documents/{id}``
    ``createReport`` (202 ``{"reportId"}``), ``getReport`` (``IN_QUEUE``, ``IN_PROGRESS``, then ``DONE``
    with ``reportDocumentId``, or ``FATAL``), ``getReportDocument`` (``url``, and ``compressionAlgorithm:
    GZIP`` with ``--gzip``). The report is built from the marketplace's data within its range, as a
    tab-separated flat file: all orders by last update, seller feedback (1-3 stars), returns; and the
    Account Health report (``GET_V2_SELLER_PERFORMANCE_REPORT``, JSON) with Amazon's own figures.
``GET /s3/{id}?X-Amz-Signature=...``
    the pre-signed document URL. It refuses a request without the signature the URL was given, or carrying
    ``x-amz-access-token``: the real host is another company's (S3), and the token must not go there.

Every SP-API call needs a valid ``x-amz-access-token``: an expired one gets 403 ``Unauthorized`` with
"The access token you provided has expired." in ``details``, an unknown one a 403 that quotes it (as
careless servers do, so a client's masking is checked). Answers carry ``x-amzn-RateLimit-Limit``.

Fault switches (command line, or at run time with ``GET /_control?...``, same names):
``throttle=OPERATION:N`` answers the next N calls of an operation with 429 (``getOrders``,
``createReport``, ``getReport``, ``getReportDocument``, ``token``); ``expire=1`` expires every access token
issued; ``fatal=REPORT_TYPE`` makes that type's next reports FATAL (``fatal=`` clears); ``hold=1`` keeps
reports IN_PROGRESS until ``hold=0``; ``revoke=1`` refuses the refresh token.

Try it::

    python examples/spapi_server.py --port 8766 --orders 400
    sellerpulse run --config examples/spapi.toml
    curl 'http://127.0.0.1:8766/_control?throttle=getOrders:3'
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import itertools
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "amzn1.application-oa2-client.example"
CLIENT_SECRET = "example-client-secret-0123456789"
REFRESH_TOKEN = "Atzr|example-refresh-token-0123456789"
REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
RATE_LIMITS = {
    "getOrders": "0.0167",
    "createReport": "0.0167",
    "getReport": "2.0",
    "getReportDocument": "0.0167",
}
ORDER_COLUMNS = (
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "sku", "quantity", "currency", "item-price",
)  # fmt: skip
FEEDBACK_COLUMNS = ("Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email")
RETURN_COLUMNS = (
    "Order ID", "Order date", "Return request date", "Return request status", "Amazon RMA ID",
    "Merchant SKU", "Return quantity", "Return reason", "A-to-Z Claim",
)  # fmt: skip


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Report:
    report_id: str
    report_type: str
    start: datetime
    end: datetime
    polls: int = 0
    status: str = "IN_QUEUE"
    document_id: str | None = None


@dataclass
class Marketplace:
    """What the stand-in serves, and its fault switches; tests change both between calls."""

    orders: list[dict[str, Any]] = field(default_factory=list)  # SP-API Order objects
    feedback: list[dict[str, Any]] = field(default_factory=list)  # {"date", "rating", "order_id", "comments"}
    returns: list[dict[str, Any]] = field(
        default_factory=list
    )  # {"order_id", "date", "status", "rma", "claim"}
    page_size: int = 100
    token_lifetime: int = 3600
    polls_to_done: int = 2
    gzip: bool = False
    rate_limit: dict[str, str] = field(default_factory=lambda: dict(RATE_LIMITS))
    retry_after: str | None = None
    throttle: dict[str, int] = field(default_factory=dict)
    fatal: set[str] = field(default_factory=set)
    hold: bool = False
    revoked: bool = False
    extra_rows: dict[str, list[str]] = field(default_factory=dict)  # report type -> raw lines appended
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> when it ends (time.time())
    reports: dict[str, Report] = field(default_factory=dict)
    documents: dict[str, bytes] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)  # document id -> its URL's signature
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (operation, what it was given)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(50001))

    def count(self, operation: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.calls if name == operation)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def control(self, query: dict[str, str]) -> dict[str, Any]:
        """Flip the fault switches (``/_control`` and the command line use the same names)."""
        with self.lock:
            if query.get("throttle"):
                operation, _, times = query["throttle"].partition(":")
                self.throttle[operation] = int(times or 1)
            if query.get("expire") == "1":
                self.tokens = dict.fromkeys(self.tokens, 0.0)
            if "fatal" in query:
                self.fatal = {name for name in query["fatal"].split(",") if name}
            if "hold" in query:
                self.hold = query["hold"] == "1"
            if "revoke" in query:
                self.revoked = query["revoke"] == "1"
            return {
                "throttle": self.throttle, "fatal": sorted(self.fatal), "hold": self.hold,
                "revoked": self.revoked, "tokens": len(self.tokens), "reports": len(self.reports),
            }  # fmt: skip

    # -- Login with Amazon ------------------------------------------------------------------------

    def sign_in(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "refresh_token":
            return 400, {"error": "unsupported_grant_type", "error_description": "grant_type"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "Client authentication failed"}
        if self.revoked or form.get("refresh_token") != REFRESH_TOKEN:
            # echoes what it got, as a careless server might: the client must not repeat it
            given = form.get("refresh_token", "")
            return 400, {"error": "invalid_grant", "error_description": f"invalid refresh_token {given}"}
        token = "Atza|" + secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + self.token_lifetime
        return 200, {"access_token": token, "token_type": "bearer", "expires_in": self.token_lifetime}

    def refused(self, token: str | None) -> dict[str, Any] | None:
        """The 403 body for a token that is not valid now, None for a valid one."""
        ends = self.tokens.get(token or "")
        if ends is not None and ends > time.time():
            return None
        if ends is not None:
            details = "The access token you provided has expired."
        else:
            details = f"The access token you provided is revoked, malformed or invalid: {token}"
        return {
            "errors": [
                {
                    "code": "Unauthorized",
                    "message": "Access to requested resource is denied.",
                    "details": details,
                }
            ]
        }

    # -- Orders v0 --------------------------------------------------------------------------------

    def get_orders(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not query.get("MarketplaceIds"):
            return 400, _error("InvalidInput", "MarketplaceIds is required")
        created, updated = query.get("CreatedAfter"), query.get("LastUpdatedAfter")
        if bool(created) == bool(updated):
            return 400, _error("InvalidInput", "exactly one of CreatedAfter and LastUpdatedAfter is required")
        try:
            since = parse_iso(created or updated or "")
        except ValueError:
            return 400, _error("InvalidInput", "CreatedAfter / LastUpdatedAfter is not an ISO 8601 date")
        if since > datetime.now(UTC) - timedelta(minutes=2):
            return 400, _error("InvalidInput", "the date must be at least 2 minutes before now")
        key = "PurchaseDate" if created else "LastUpdateDate"
        chosen = sorted(
            (order for order in self.orders if parse_iso(order[key]) >= since),
            key=lambda order: (order["LastUpdateDate"], order["AmazonOrderId"]),
        )
        filters = {name: value for name, value in query.items() if name != "NextToken"}
        digest = hashlib.sha256(json.dumps(filters, sort_keys=True).encode()).hexdigest()[:12]
        offset = 0
        if query.get("NextToken"):
            try:
                given, _, number = base64.urlsafe_b64decode(query["NextToken"]).decode().partition(":")
                offset = int(number)
            except ValueError:
                return 400, _error("InvalidInput", "NextToken is not valid")
            if given != digest:
                return 400, _error("InvalidInput", "NextToken was given with other filters")
        page = chosen[offset : offset + self.page_size]
        payload: dict[str, Any] = {"Orders": page}
        if offset + self.page_size < len(chosen):
            token = f"{digest}:{offset + self.page_size}"
            payload["NextToken"] = base64.urlsafe_b64encode(token.encode()).decode()
        payload["LastUpdatedBefore" if updated else "CreatedBefore"] = iso(
            datetime.now(UTC) - timedelta(minutes=2)
        )
        return 200, {"payload": payload}

    # -- Reports 2021-06-30 -----------------------------------------------------------------------

    def create_report(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        report_type = body.get("reportType")
        if report_type not in BUILDERS:
            return 400, _error("InvalidInput", f"reportType {report_type!r} is not served here")
        if not body.get("marketplaceIds"):
            return 400, _error("InvalidInput", "marketplaceIds is required")
        try:
            end = parse_iso(body["dataEndTime"]) if body.get("dataEndTime") else datetime.now(UTC)
            start = (
                parse_iso(body["dataStartTime"]) if body.get("dataStartTime") else end - timedelta(days=30)
            )
        except ValueError:
            return 400, _error("InvalidInput", "dataStartTime / dataEndTime is not an ISO 8601 date")
        report_id = str(next(self._ids))
        self.reports[report_id] = Report(report_id, report_type, start, end)
        return 202, {"reportId": report_id}

    def get_report(self, report_id: str) -> tuple[int, dict[str, Any]]:
        report = self.reports.get(report_id)
        if report is None:
            return 404, _error("NotFound", f"no report {report_id}")
        report.polls += 1
        if report.status in ("IN_QUEUE", "IN_PROGRESS") and not self.hold:
            if report.polls >= self.polls_to_done:
                self._finish(report)
            else:
                report.status = "IN_PROGRESS"
        answer = {
            "reportId": report.report_id, "reportType": report.report_type, "marketplaceIds": ["ATVPDKIKX0DER"],
            "dataStartTime": iso(report.start), "dataEndTime": iso(report.end),
            "createdTime": iso(report.start), "processingStatus": report.status,
        }  # fmt: skip
        if report.document_id:
            answer["reportDocumentId"] = report.document_id
        return 200, answer

    def _finish(self, report: Report) -> None:
        document_id = f"amzn1.spdoc.1.4.na.{report.report_id}.{secrets.token_hex(4)}"
        if report.report_type in self.fatal:
            report.status = "FATAL"
            text = json.dumps({"errorDetails": "The report could not be generated."}).encode()
        else:
            report.status = "DONE"
            text = BUILDERS[report.report_type](self, report.start, report.end)
            text = "".join(
                [text, *(row + "\n" for row in self.extra_rows.get(report.report_type, []))]
            ).encode()
        report.document_id = document_id
        self.documents[document_id] = gzip.compress(text) if self.gzip else text

    def get_document(self, document_id: str, base: str) -> tuple[int, dict[str, Any]]:
        if document_id not in self.documents:
            return 404, _error("NotFound", f"no document {document_id}")
        signature = self.signatures[document_id] = secrets.token_hex(16)
        url = (
            f"{base}/s3/{document_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2Fs3"
            f"&X-Amz-Expires=300&X-Amz-Signature={signature}"
        )
        answer: dict[str, Any] = {"reportDocumentId": document_id, "url": url}
        if self.gzip:
            answer["compressionAlgorithm"] = "GZIP"
        return 200, answer

    # -- report contents ----------------------------------------------------------------------------

    def orders_report(self, start: datetime, end: datetime) -> str:
        statuses = {"Canceled": "Cancelled", "Unshipped": "Pending", "PartiallyShipped": "Shipped"}
        rows = ["\t".join(ORDER_COLUMNS)]
        for order in self.orders:
            if start <= parse_iso(order["LastUpdateDate"]) <= end:
                total = order.get("OrderTotal") or {}
                rows.append("\t".join((
                    order["AmazonOrderId"], "", order["PurchaseDate"], order["LastUpdateDate"],
                    statuses.get(order["OrderStatus"], order["OrderStatus"]),
                    {"AFN": "Amazon", "MFN": "Merchant"}.get(order.get("FulfillmentChannel", ""), ""),
                    "Amazon.com", "SKU-1", "1", total.get("CurrencyCode", "USD"), total.get("Amount", ""),
                )))  # fmt: skip
        return "\n".join(rows) + "\n"

    def feedback_report(self, start: datetime, end: datetime) -> str:
        rows = ["\t".join(FEEDBACK_COLUMNS)]
        for item in self.feedback:
            when = parse_iso(item["date"])
            if start <= when <= end:
                rows.append("\t".join((
                    when.strftime("%m/%d/%y"), str(item["rating"]), item.get("comments", ""), "",
                    item["order_id"], "buyer@example.com",
                )))  # fmt: skip
        return "\n".join(rows) + "\n"

    def returns_report(self, start: datetime, end: datetime) -> str:
        rows = ["\t".join(RETURN_COLUMNS)]
        for item in self.returns:
            when = parse_iso(item["date"])
            if start <= when <= end:
                rows.append("\t".join((
                    item["order_id"], item.get("order_date", item["date"]), iso(when),
                    item.get("status", "Approved"), item["rma"], "SKU-1", "1", "DEFECTIVE",
                    "Y" if item.get("claim") else "N",
                )))  # fmt: skip
        return "\n".join(rows) + "\n"

    def account_health_report(self, _start: datetime, end: datetime) -> str:
        """Amazon's own numbers (accountHealthReport-2020-11-18 shape) from this marketplace's data: ODR
        by channel over 60 days ending 14 days ago, LSR over 30 days, PFCR over 7, VTR over 30 (every
        shipment counted as tracked: Amazon sees tracking that getOrders does not carry)."""
        day = end.replace(hour=0, minute=0, second=0, microsecond=0)

        def within(order: dict[str, Any], days: int, lag: int = 0) -> bool:
            placed = parse_iso(order["PurchaseDate"])
            return day - timedelta(days=days + lag) <= placed < day - timedelta(days=lag)

        def dates(days: int, lag: int = 0) -> dict[str, str]:
            start, last = day - timedelta(days=days + lag), day - timedelta(days=lag + 1)
            return {
                "reportingDateFrom": start.strftime("%Y-%m-%dT00:00Z"),
                "reportingDateTo": last.strftime("%Y-%m-%dT23:59Z"),
            }

        negative = {item["order_id"] for item in self.feedback if int(item["rating"]) <= 2}
        claims = {item["order_id"] for item in self.returns if item.get("claim")}

        def odr(channel: str) -> dict[str, Any]:
            orders = [o for o in self.orders if o.get("FulfillmentChannel") == channel and within(o, 60, 14)]
            ids = {o["AmazonOrderId"] for o in orders}
            defects = len(ids & (negative | claims))
            return {
                "reportingDateRange": dates(60, 14), "orderCount": len(ids), "fulfillmentType": channel.lower(),
                "orderWithDefects": {"count": defects, "status": "GOOD"},
                "claims": {"count": len(ids & claims), "status": "NONE"},
                "chargebacks": {"count": 0, "status": "NONE"},
                "negativeFeedback": {"count": len(ids & negative), "status": "NONE"},
                "rate": round(defects / len(ids), 4) if ids else 0, "status": "GOOD",
                "targetValue": 0.01, "targetCondition": "LESS_THAN",
            }  # fmt: skip

        mfn30 = [o for o in self.orders if o.get("FulfillmentChannel") == "MFN" and within(o, 30)]
        shipped = [o for o in mfn30 if o["OrderStatus"] == "Shipped"]
        late = [o for o in shipped if o["LastUpdateDate"] > o["LatestShipDate"]]
        week = [o for o in self.orders if o.get("FulfillmentChannel") == "MFN" and within(o, 7)]
        cancelled = [o for o in week if o["OrderStatus"] == "Canceled"]
        report = {
            "accountStatuses": [{"marketplaceId": "ATVPDKIKX0DER", "status": "NORMAL"}],
            "performanceMetrics": [{
                "marketplaceId": "ATVPDKIKX0DER",
                "orderDefectRate": {"mfn": odr("MFN"), "afn": odr("AFN")},
                "lateShipmentRate": {
                    "reportingDateRange": dates(30), "orderCount": len(shipped), "lateShipmentCount": len(late),
                    "rate": round(len(late) / len(shipped), 4) if shipped else 0, "status": "GOOD",
                    "targetValue": 0.04, "targetCondition": "LESS_THAN",
                },
                "preFulfillmentCancellationRate": {
                    "reportingDateRange": dates(7), "orderCount": len(week), "cancellationCount": len(cancelled),
                    "rate": round(len(cancelled) / len(week), 4) if week else 0, "status": "GOOD",
                    "targetValue": 0.025, "targetCondition": "LESS_THAN",
                },
                "validTrackingRate": {
                    "reportingDateRange": dates(30), "shipmentCount": len(shipped),
                    "validTrackingCount": len(shipped), "rate": 1 if shipped else 0, "status": "GOOD",
                    "targetValue": 0.95, "targetCondition": "GREATER_THAN",
                },
                "accountHealthRating": {"ahrStatus": "GREAT", "reportingDateRange": dates(180)},
            }],
        }  # fmt: skip
        return json.dumps(report, indent=1)


BUILDERS = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": Marketplace.orders_report,
    "GET_SELLER_FEEDBACK_DATA": Marketplace.feedback_report,
    "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE": Marketplace.returns_report,
    "GET_V2_SELLER_PERFORMANCE_REPORT": Marketplace.account_health_report,
}


def _error(code: str, message: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message}]}


def synthetic(count: int, seed: int, now: datetime | None = None) -> Marketplace:
    """A seller's last 60 days: ``count`` orders (some late, cancelled or still to ship), negative
    feedback on a few, returns and an A-to-z claim or two; the same for the same seed."""
    rng = random.Random(seed)
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    market = Marketplace()
    for number in range(count):
        placed = now - timedelta(days=60) + timedelta(seconds=rng.randrange(60 * 86400 - 3600))
        channel = "AFN" if rng.random() < 0.3 else "MFN"
        ship_by = placed + timedelta(days=2)
        roll = rng.random()
        if roll < 0.04:
            status, updated = "Canceled", placed + timedelta(hours=rng.randrange(1, 20))
        elif placed > now - timedelta(days=2) and roll < 0.5:
            status, updated = "Unshipped", placed + timedelta(minutes=5)
        else:
            late = rng.random() < 0.05
            status = "Shipped"
            updated = placed + timedelta(hours=rng.randrange(60, 90) if late else rng.randrange(2, 40))
        updated = min(updated, now - timedelta(minutes=5))
        order_id = f"{111 + number % 800:03d}-{rng.randrange(10**7):07d}-{rng.randrange(10**7):07d}"
        market.orders.append({
            "AmazonOrderId": order_id, "PurchaseDate": iso(placed), "LastUpdateDate": iso(updated),
            "OrderStatus": status, "FulfillmentChannel": channel, "SalesChannel": "Amazon.com",
            "LatestShipDate": iso(ship_by), "LatestDeliveryDate": iso(ship_by + timedelta(days=5)),
            "OrderTotal": {"CurrencyCode": "USD", "Amount": f"{rng.randrange(800, 9000) / 100:.2f}"},
            "MarketplaceId": "ATVPDKIKX0DER",
        })  # fmt: skip
        if status == "Shipped" and rng.random() < 0.02:
            when = min(updated + timedelta(days=rng.randrange(3, 12)), now - timedelta(hours=1))
            market.feedback.append({"date": iso(when), "rating": rng.choice((1, 2, 3)), "order_id": order_id})
        if status == "Shipped" and rng.random() < 0.03:
            when = min(updated + timedelta(days=rng.randrange(4, 20)), now - timedelta(hours=1))
            market.returns.append({
                "order_id": order_id, "date": iso(when), "rma": f"D{rng.randrange(10**9):09d}",
                "status": rng.choice(("Approved", "Pending", "Closed")), "claim": rng.random() < 0.2,
            })  # fmt: skip
    return market


class Handler(BaseHTTPRequestHandler):
    server: SpApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        market = self.server.market
        if parts.path == "/_control":
            status, headers, body = _json(200, market.control(query))
        else:
            with market.lock:
                status, headers, body = self._answer(method, parts.path, query, raw)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(
        self, method: str, path: str, query: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        market = self.server.market
        if path.startswith("/s3/"):
            if self.headers.get("x-amz-access-token"):
                return (
                    400,
                    {},
                    b"<Error><Code>InvalidArgument</Code><Message>unexpected header</Message></Error>",
                )
            document_id = path.removeprefix("/s3/")
            data = market.documents.get(document_id)
            if data is None:
                return 404, {}, b""
            if query.get("X-Amz-Signature") != market.signatures.get(document_id):
                return 403, {}, b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
            return 200, {"Content-Type": "text/plain"}, data
        operation = _operation(method, path)
        if operation is None:
            return _json(404, _error("NotFound", "no such operation"))
        if operation == "token":
            form = {key: values[-1] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}
            market.calls.append(("token", {}))
            if self._throttled(market, "token"):
                return _json(429, {"error": "slow_down", "error_description": "too many requests"})
            return _json(*market.sign_in(form))
        refusal = market.refused(self.headers.get("x-amz-access-token"))
        if refusal is not None:
            market.calls.append(("refused", {"operation": operation}))
            return _json(403, refusal)
        extra = {"x-amzn-RateLimit-Limit": market.rate_limit.get(operation, "1")}
        if self._throttled(market, operation):
            market.calls.append(("throttled", {"operation": operation}))
            if market.retry_after is not None:
                extra["Retry-After"] = market.retry_after
            return _json(
                429, _error("QuotaExceeded", "You exceeded your quota for the requested resource."), extra
            )
        given: dict[str, Any] = dict(query)
        if operation == "getOrders":
            answer = market.get_orders(query)
        elif operation == "createReport":
            try:
                given = json.loads(raw)
            except ValueError:
                return _json(400, _error("InvalidInput", "the body is not JSON"), extra)
            answer = market.create_report(given)
        elif operation == "getReport":
            given = {"reportId": path.rsplit("/", 1)[1]}
            answer = market.get_report(given["reportId"])
        else:
            answer = market.get_document(path.rsplit("/", 1)[1], self.server.url)
        market.calls.append((operation, given))
        return _json(*answer, extra)

    @staticmethod
    def _throttled(market: Marketplace, operation: str) -> bool:
        left = market.throttle.get(operation, 0)
        if left <= 0:
            return False
        market.throttle[operation] = left - 1
        return True


def _operation(method: str, path: str) -> str | None:
    if method == "POST" and path == "/auth/o2/token":
        return "token"
    if method == "GET" and path == "/orders/v0/orders":
        return "getOrders"
    if method == "POST" and path == REPORTS:
        return "createReport"
    if method == "GET" and path.startswith(REPORTS + "/") and path.count("/") == 4:
        return "getReport"
    if method == "GET" and path.startswith(DOCUMENTS + "/") and path.count("/") == 4:
        return "getReportDocument"
    return None


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode("utf-8")


class SpApiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], market: Marketplace, quiet: bool = True) -> None:
        super().__init__(address, Handler)
        self.market = market
        self.quiet = quiet

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def serve_in_thread(market: Marketplace, host: str = "127.0.0.1", port: int = 0) -> SpApiServer:
    """Start a stand-in on a background thread; ``server.url`` is its base URL (LWA at
    ``/auth/o2/token``). Stop it with ``server.shutdown(); server.server_close()``."""
    server = SpApiServer((host, port), market)
    threading.Thread(target=server.serve_forever, args=(0.05,), name="spapi-stand-in", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--orders", type=int, default=400, help="synthetic orders over the last 60 days")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--token-lifetime", type=int, default=3600, help="expires_in of access tokens")
    parser.add_argument("--polls-to-done", type=int, default=2, help="getReport polls before DONE")
    parser.add_argument("--gzip", action="store_true", help="compress report documents (GZIP)")
    parser.add_argument("--throttle", action="append", default=[], metavar="OPERATION:N")
    parser.add_argument("--retry-after", help="Retry-After of the 429 answers (seconds)")
    parser.add_argument("--fatal", default="", metavar="REPORT_TYPE[,...]")
    parser.add_argument(
        "--hold", action="store_true", help="keep reports IN_PROGRESS (release: /_control?hold=0)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    market = synthetic(args.orders, args.seed)
    market.page_size, market.token_lifetime = args.page_size, args.token_lifetime
    market.polls_to_done, market.gzip, market.retry_after = args.polls_to_done, args.gzip, args.retry_after
    for switch in args.throttle:
        market.control({"throttle": switch})
    market.control({"fatal": args.fatal, "hold": "1" if args.hold else "0"})
    server = SpApiServer((args.host, args.port), market, quiet=not args.verbose)
    print(f"SP-API stand-in on {server.url} (LWA: {server.url}/auth/o2/token); {len(market.orders)} orders")
    print(f"client_id = {CLIENT_ID!r}\nclient_secret = {CLIENT_SECRET!r}\nrefresh_token = {REFRESH_TOKEN!r}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
