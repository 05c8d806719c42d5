"""The ``http`` source against a hostile server on 127.0.0.1: nothing a server answers may stop the source,
hang it, fill memory or take a configured secret elsewhere.

Each test starts its own :class:`HostileServer` (a real HTTP server on a free port) whose answers are
written by the test: redirects to other origins, bodies nested 100,000 deep, numbers of 5,000 digits,
dates out of range, a page token that never ends, a body that drips one byte at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from sellerpulse.core.options import validate_options
from sellerpulse.core.sources import Batch
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.http_source import HttpSource, HttpSourceError
from sellerpulse.plugins.testing import collect

TOKEN = "tok-Zq81-secret"
KEY = "qkey-4471-secret"


@dataclass
class Seen:
    """One request as the server received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class Answer:
    """What the server sends back. ``drip`` > 0 sends the body (or, with ``drip_headers``, the whole
    answer) one byte at a time, ``drip`` seconds apart."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0
    drip_headers: bool = False


def events_body(*events: dict[str, object], next_token: str | None = None) -> bytes:
    return json.dumps({"events": list(events), "next": next_token}).encode()


def placed(order_id: str, ts: str = "2026-10-01T08:00:00Z") -> dict[str, object]:
    return {"ts": ts, "kind": "order_placed", "order_id": order_id, "event_id": f"{order_id}:placed"}


class HostileServer(ThreadingHTTPServer):
    """Answers every GET with ``answer(request_number, seen)``, on its own thread."""

    daemon_threads = True

    def __init__(self, answer: Callable[[int, Seen], Answer], tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        self.answer = answer
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self.scheme = "https" if tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        seen = Seen(parts.path, dict(parse_qsl(parts.query)), {k.lower(): v for k, v in self.headers.items()})
        self.server.requests.append(seen)
        answer = self.server.answer(len(self.server.requests), seen)
        head = f"HTTP/1.1 {answer.status} Whatever\r\nContent-Length: {len(answer.body)}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in answer.headers.items()) + "\r\n"
        if not answer.drip:
            self.wfile.write(head.encode() + answer.body)
            return
        dripped = head.encode() + answer.body if answer.drip_headers else answer.body
        if not answer.drip_headers:
            self.wfile.write(head.encode())
        for index in range(len(dripped)):
            if self.server.stopping.wait(answer.drip):
                return
            try:
                self.wfile.write(dripped[index : index + 1])
                self.wfile.flush()
            except OSError:  # the client gave up
                return

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileServer]]:
    servers: list[HostileServer] = []

    def start(answer: Callable[[int, Seen], Answer], tls: ssl.SSLContext | None = None) -> HostileServer:
        server = HostileServer(answer, tls)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def always(answer: Answer) -> Callable[[int, Seen], Answer]:
    return lambda _number, _seen: answer


def in_turn(*answers: Answer) -> Callable[[int, Seen], Answer]:
    """The answers in order, then the last one again and again."""
    return lambda number, _seen: answers[min(number, len(answers)) - 1]


def source(url: str, **options: object) -> HttpSource:
    table = {
        "url": url,
        "backoff": 0.01,
        "interval": 0.05,
        "headers": {"x-amz-access-token": TOKEN},
        "params": {"api_key": KEY},
        **options,
    }
    return HttpSource("api", validate_options(HttpSource.options, table, "test"))


async def poll(src: HttpSource) -> Batch:
    """One poll to its end (``follow=False``), as ``sellerpulse report`` reads."""
    return await collect(src, follow=False, timeout=20)


async def follow_until(src: HttpSource, done: Callable[[Batch], bool], timeout: float = 10.0) -> Batch:
    """Follow the source (as the dashboard does) until ``done(everything so far)``."""
    return await collect(src, follow=True, until=done, timeout=timeout)


@contextlib.asynccontextmanager
async def following(src: HttpSource) -> AsyncIterator[Batch]:
    """Follow the source in the background while the test watches it; yields what it read so far."""
    read = Batch()

    async def run() -> None:
        async for batch in src.batches(follow=True):
            read.events.extend(batch.events)
            read.rejections.extend(batch.rejections)
            src.record_batch(batch, 0)

    task = asyncio.create_task(run())
    try:
        yield read
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def wait_for(condition: Callable[[], object], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def assert_no_secret(text: str | None) -> None:
    assert text is not None
    assert TOKEN not in text and KEY not in text, text
    assert "\x1b" not in text, text


# -- 1. redirects never carry a configured header or query to another origin ---------------------------


def redirect_to(location: str) -> Answer:
    return Answer(302, headers={"Location": location})


@pytest.mark.parametrize("where", ["another port", "another host", "another scheme", "a file", "ftp"])
async def test_a_redirect_to_another_origin_is_refused_and_nothing_is_sent_there(hostile, where):
    thief = hostile(always(Answer(200, b"[]")))
    thief_port = thief.server_address[1]
    location = {
        "another port": f"{thief.url}/steal?api_key={KEY}",
        "another host": f"http://localhost:{thief_port}/steal",  # the same machine, another name
        "another scheme": f"https://127.0.0.1:{thief_port}/steal",
        "a file": "file:///etc/passwd",
        "ftp": f"ftp://127.0.0.1:{thief_port}/steal",
    }[where]
    api = hostile(always(redirect_to(location)))
    src = source(api.url + "/events", max_retries=3)
    with pytest.raises(HttpSourceError) as caught:
        await poll(src)
    message = str(caught.value)
    assert "redirect" in message and "refused" in message, message
    assert_no_secret(message)
    assert thief.requests == []  # nothing, not even a connection that sends a header
    assert len(api.requests) == 1  # refused at once: a redirect elsewhere is not retried


async def test_a_refused_redirect_is_a_masked_error_in_health_and_the_next_poll_happens(hostile):
    thief = hostile(always(Answer(200, b"[]")))
    api = hostile(in_turn(redirect_to(f"{thief.url}/?api_key={KEY}"), Answer(200, events_body(placed("A")))))
    src = source(api.url + "/events", interval=0.3)
    async with following(src) as read:
        await wait_for(lambda: src.health().state == "failing")
        error = src.health().last_error
        await wait_for(lambda: read.events)
    assert error is not None and "redirect" in error and "refused" in error, error
    assert_no_secret(error)
    assert [e.order_id for e in read.events] == ["A"]
    assert src.health().state == "ok"
    assert thief.requests == []


async def test_a_redirect_within_the_origin_is_followed_with_the_headers(hostile):
    def answer(_number: int, seen: Seen) -> Answer:
        if seen.path == "/events":
            return redirect_to("/v2/events?page=1")
        return Answer(200, events_body(placed("A")))

    api = hostile(answer)
    batch = await poll(source(api.url + "/events"))
    assert [e.order_id for e in batch.events] == ["A"]
    assert [r.path for r in api.requests] == ["/events", "/v2/events"]
    assert api.requests[1].headers["x-amz-access-token"] == TOKEN


async def test_redirects_are_bounded(hostile):
    api = hostile(lambda number, _seen: redirect_to(f"/hop{number}"))
    with pytest.raises(HttpSourceError, match="more than 5 redirects") as caught:
        await poll(source(api.url + "/events", max_retries=2))
    assert_no_secret(str(caught.value))
    assert len(api.requests) == 6  # the request and five redirects, once: not retried


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


async def test_an_https_api_redirecting_to_plain_http_is_refused(hostile, tls_files, monkeypatch):
    key, cert = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the source trusts the test's certificate
    plain = hostile(always(Answer(200, b"[]")))
    secure = hostile(always(redirect_to(f"http://127.0.0.1:{plain.server_address[1]}/events")), tls=context)
    with pytest.raises(HttpSourceError, match="refused") as caught:
        await poll(source(secure.url + "/events"))
    assert_no_secret(str(caught.value))
    assert len(secure.requests) == 1 and secure.requests[0].headers["x-amz-access-token"] == TOKEN
    assert plain.requests == []


# -- 2. a bad body is a rejection, and the next poll happens --------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
HUGE_NUMBER = b'{"events": [{"ts": "2026-10-01T08:00:00Z", "kind": "feedback", "order_id": "X", "rating": ' + (
    b"7" * 5000
) + b"}]}"  # fmt: skip


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (DEEP, "nested"),
        (b'{"events": ' + DEEP + b"}", "nested"),
        (HUGE_NUMBER, "digits"),
        (b'{"events": [], "next": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"ts": "2026-10-01T08:00:00Z", "kind": "order_placed", "order_id": "J"}\n' + DEEP, "nested"),
    ],
    ids=["deep-array", "deep-in-object", "huge-number", "huge-token", "deep-json-line"],
)
async def test_a_bad_body_is_a_rejection_and_the_next_poll_happens(hostile, body, reason):
    api = hostile(in_turn(Answer(200, body), Answer(200, events_body(placed("A")))))
    src = source(api.url + "/events")
    began = time.monotonic()
    batch = await follow_until(src, lambda b: any(e.order_id == "A" for e in b.events))
    assert time.monotonic() - began < 5
    assert len(api.requests) >= 2
    assert [r.position for r in batch.rejections][:1] in (["poll 1 page 1"], ["poll 1 page 1 line 2"])
    assert reason in batch.rejections[0].reason, batch.rejections[0].reason
    assert src.health().state == "ok"


@pytest.mark.parametrize("charset", ["rot13", "base64", "utf-16", "idna", "undefined"])
async def test_a_charset_that_cannot_decode_is_ignored_json_is_utf8(hostile, charset):
    headers = {"Content-Type": f"application/json; charset={charset}"}
    api = hostile(
        in_turn(
            Answer(200, events_body(placed("Ä-1")), headers=headers),
            Answer(404, f"no such page \x1b[2J key {KEY}".encode(), headers=headers),
        )
    )
    src = source(api.url + "/events")
    batch = await poll(src)
    assert [e.order_id for e in batch.events] == ["Ä-1"]
    with pytest.raises(HttpSourceError, match="HTTP 404") as caught:
        await poll(src)
    assert "no such page" in str(caught.value)
    assert_no_secret(str(caught.value))


@pytest.mark.parametrize(
    "ts",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z"],
)
async def test_an_event_dated_out_of_range_is_a_rejection_and_the_rest_is_read(hostile, ts):
    first = events_body(placed("BAD", ts), {**placed("NOID", ts), "event_id": ""}, placed("A"))
    api = hostile(in_turn(Answer(200, first), Answer(200, events_body(placed("B", "2026-10-02T08:00:00Z")))))
    src = source(api.url + "/events")
    batch = await follow_until(src, lambda b: any(e.order_id == "B" for e in b.events))
    assert [e.order_id for e in batch.events] == ["A", "B"]
    assert [r.position for r in batch.rejections] == ["poll 1 page 1 item 0", "poll 1 page 1 item 1"]
    assert src.position()["cursor"] == "2026-10-02T08:00:00Z"
    assert api.requests[1].query["since"] == "2026-10-01T08:00:00Z"


def sp_order(order_id: str, **fields: str) -> dict[str, object]:
    return {
        "AmazonOrderId": order_id, "PurchaseDate": "2026-10-01T08:00:00Z",
        "LastUpdateDate": "2026-10-01T09:00:00Z", "OrderStatus": "Unshipped", "FulfillmentChannel": "MFN",
        "LatestShipDate": "2026-10-03T07:59:59Z", "LatestDeliveryDate": "2026-10-08T07:59:59Z", **fields,
    }  # fmt: skip


async def test_sp_api_orders_dated_out_of_range_are_rejections_and_the_source_goes_on(hostile):
    early, late = "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"
    orders = [
        sp_order("1-EARLY", PurchaseDate=early),
        sp_order("2-LATE", OrderStatus="Shipped", LastUpdateDate=late),
        sp_order("3-SHIP", LatestShipDate=early, LatestDeliveryDate=late),
        sp_order("4-GOOD"),
    ]
    pages = [{"payload": {"Orders": orders}}, {"payload": {"Orders": [sp_order("5-NEXT")]}}]
    api = hostile(in_turn(*(Answer(200, json.dumps(page).encode()) for page in pages)))
    src = source(api.url + "/orders/v0/orders", format="sp-api-orders")
    batch = await follow_until(src, lambda b: any(e.order_id == "5-NEXT" for e in b.events))
    read = {e.event_id for e in batch.events}
    assert {"4-GOOD:placed", "5-NEXT:placed"} <= read
    assert not read & {"1-EARLY:placed", "2-LATE:placed", "2-LATE:shipped"}
    rejected = [r.position for r in batch.rejections]
    assert rejected[:2] == ["poll 1 page 1 order 0", "poll 1 page 1 order 1"]
    assert src.health().state == "ok"
    assert parse_instant(src.position()["cursor"]) == parse_instant("2026-10-01T08:00:00Z")


# -- 3. rejections cost bounded memory ------------------------------------------------------------------


async def test_a_body_of_100000_empty_objects_is_counted_and_only_a_sample_kept(hostile):
    count = 100_000
    api = hostile(always(Answer(200, b"[" + b",".join([b"{}"] * count) + b"]")))
    src = source(api.url + "/events")
    stream = src.batches(follow=False)
    batches = [batch async for batch in stream]
    rejections = batches[0].rejections
    assert len(rejections) == count  # every one counted...
    kept = list(iter(rejections))
    assert len(kept) <= 200  # ...a bounded sample kept, with positions and reasons
    assert kept[0].position == "poll 1 page 1 item 0"
    assert rejections[-1].position == f"poll 1 page 1 item {count - 1}"  # the latest is among them
    assert all(r.reason == "missing kind" for r in kept)
    src.record_batch(batches[0], 0)
    assert src.health().rejected == count


# -- 4. a page token that never ends --------------------------------------------------------------------


async def test_an_endless_page_token_stops_at_max_pages_and_says_so(hostile):
    api = hostile(lambda number, _seen: Answer(200, events_body(next_token=f"t{number}")))
    src = source(api.url + "/events", max_pages=20)
    with pytest.raises(HttpSourceError) as caught:
        await poll(src)
    assert len(api.requests) == 20
    assert "max_pages" in str(caught.value) and "20 pages" in str(caught.value)
    assert src.position() == {}  # the poll did not end: the cursor stays


async def test_an_endless_page_token_is_bounded_per_poll_while_following(hostile):
    api = hostile(lambda number, _seen: Answer(200, events_body(next_token=f"t{number}")))
    src = source(api.url + "/events", max_pages=5, interval=0.3)
    async with following(src):
        await wait_for(lambda: src.health().state == "failing")
        error = src.health().last_error
        assert len(api.requests) == 5  # the poll stopped; the next one waits for the interval
        await wait_for(lambda: len(api.requests) == 10)
    assert error is not None and "max_pages" in error and "5 pages" in error


async def test_a_repeated_page_token_is_a_loop_and_says_so(hostile):
    tokens = ["a", "b", "a", "b"]
    api = hostile(
        lambda number, _seen: Answer(
            200, events_body(placed(f"O{number}"), next_token=tokens[(number - 1) % 4])
        )
    )
    src = source(api.url + "/events")
    with pytest.raises(HttpSourceError, match=r"page 3 .*page token of page 1") as caught:
        await poll(src)
    assert len(api.requests) == 3
    assert "loop" in str(caught.value)


# -- 5. timeout bounds the whole request ----------------------------------------------------------------


@pytest.mark.parametrize("drip_headers", [False, True], ids=["body", "headers"])
async def test_a_server_dripping_one_byte_at_a_time_times_out_in_about_the_timeout(hostile, drip_headers):
    body = events_body(*(placed(f"D{n}") for n in range(50)))
    api = hostile(always(Answer(200, body, drip=0.05, drip_headers=drip_headers)))
    src = source(api.url + "/events", timeout=0.5, max_retries=0)
    began = time.monotonic()
    with pytest.raises(HttpSourceError, match=r"timed out after 0\.5 s"):
        async with asyncio.timeout(5):
            await poll(src)
    assert 0.45 <= time.monotonic() - began < 1.5


# -- error text from a server's body ----------------------------------------------------------------------


async def test_an_error_body_echoing_secrets_and_escapes_is_masked_and_cleaned(hostile):
    body = f"\x1b]52;c;{TOKEN}\x07 denied: key {KEY} token {TOKEN}\x1b[2J".encode()
    api = hostile(always(Answer(403, body)))
    with pytest.raises(HttpSourceError, match="HTTP 403") as caught:
        await poll(source(api.url + "/events"))
    assert_no_secret(str(caught.value))
    assert "***" in str(caught.value) and "\\x1b" in str(caught.value)
