"""The ``http`` source against the example API server (examples/http_server.py) on 127.0.0.1.

Each test starts its own server on a free port, with the faults it needs, and reads it with the real
source: paging, the cursor, ETags, retries, 429 with Retry-After, timeouts, malformed bodies and masked
secrets. Intervals and back-off are tiny so the whole file runs in a few seconds.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sellerpulse.core.backoff import retry_after
from sellerpulse.core.events import Event
from sellerpulse.core.options import validate_options
from sellerpulse.core.sources import Batch
from sellerpulse.core.timeutil import US_PER_HOUR, format_instant, parse_instant
from sellerpulse.plugins.http_source import HttpSource, HttpSourceError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import http_server

T0 = parse_instant("2026-10-01T08:00:00Z")


def placed(number: int, hours: float, event_id: str = "") -> Event:
    return Event(
        ts=T0 + int(hours * US_PER_HOUR), kind="order_placed", account="acme-us", order_id=f"O-{number}",
        event_id=event_id or f"p{number}",
    )  # fmt: skip


def write_events(path: Path, events: list[Event], mode: str = "w") -> None:
    with path.open(mode, encoding="utf-8") as handle:
        for event in events:
            handle.write(json.dumps(event.to_json()) + "\n")


@pytest.fixture
def serve(tmp_path):
    """``serve(events, **api_options)`` -> a running example server over a JSON Lines file of events."""
    servers = []

    def start(events: list[Event], **options: object) -> http_server.ApiServer:
        path = tmp_path / "events.jsonl"
        write_events(path, events)
        server = http_server.serve_in_thread(path, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def source(url: str, **options: object) -> HttpSource:
    table = {"url": url, "backoff": 0.01, "interval": 0.05, **options}
    return HttpSource("api", validate_options(HttpSource.options, table, "test"))


async def poll(src: HttpSource) -> tuple[list[Event], list]:
    """One complete poll (every page), as ``sellerpulse report`` does."""
    events, rejections = [], []
    async for batch in src.batches(follow=False):
        events.extend(batch.events)
        rejections.extend(batch.rejections)
    return events, rejections


async def test_pages_are_followed_with_the_same_filters_and_the_cursor_advances(serve):
    server = serve([placed(n, n) for n in range(10)], page_size=4)
    src = source(server.url + "/events", params={"since": "2026-01-01T00:00:00Z"})
    events, rejections = await poll(src)
    assert [e.order_id for e in events] == [f"O-{n}" for n in range(10)]
    assert rejections == []
    pages = server.api.requests
    assert len(pages) == 3
    assert all(page.query["since"] == "2026-01-01T00:00:00Z" for page in pages)
    assert "next" not in pages[0].query and pages[1].query["next"] and pages[2].query["next"]
    assert src.position()["cursor"] == format_instant(T0 + 9 * US_PER_HOUR)

    # The next poll asks from the cursor (inclusive) and does not deliver the order at the cursor again.
    write_events(server.api.path, [placed(9, 9, event_id="p9-twin"), placed(10, 10)], mode="a")
    events, _ = await poll(src)
    assert server.api.requests[-1].query["since"] == format_instant(T0 + 9 * US_PER_HOUR)
    assert sorted(e.event_id for e in events) == ["p10", "p9-twin"]
    assert src.position()["cursor"] == format_instant(T0 + 10 * US_PER_HOUR)


async def test_etag_gives_304_until_the_data_changes(serve):
    server = serve([placed(n, n) for n in range(3)])
    src = source(server.url + "/events")
    assert len((await poll(src))[0]) == 3
    assert (await poll(src))[0] == []  # the cursor moved: new URL, only the order at the cursor, dropped
    assert (await poll(src))[0] == []
    assert server.api.requests[-1].if_none_match == src.position()["etag"]
    assert server.api.requests[-1].status == 304
    old_etag = src.position()["etag"]

    write_events(server.api.path, [placed(3, 5)], mode="a")
    events, _ = await poll(src)
    assert server.api.requests[-1].status == 200
    assert [e.order_id for e in events] == ["O-3"]
    assert src.position()["etag"] != old_etag


async def test_429_waits_for_retry_after_then_succeeds(serve):
    server = serve([placed(1, 1)])
    server.api.faults.fail_429 = 1
    server.api.faults.retry_after = "1"
    src = source(server.url + "/events", backoff=0.0)
    began = time.monotonic()
    polling = asyncio.create_task(poll(src))
    await asyncio.sleep(0.4)
    health = src.health()  # waiting as asked: lagging, with the reason
    assert (health.state, health.last_error) == ("lagging", "HTTP 429 Too Many Requests; retry 1/5 in 1.0 s")
    events, _ = await polling
    assert time.monotonic() - began >= 0.9
    assert [e.order_id for e in events] == ["O-1"]
    assert [r.status for r in server.api.requests] == [429, 200]
    assert src.health().state == "ok"


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after("3") == 3.0
    assert retry_after(None) is None
    assert retry_after("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after(later) <= 31
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert retry_after(past) == 0.0


async def test_500_is_retried_with_backoff_then_succeeds(serve):
    server = serve([placed(1, 1), placed(2, 2)])
    server.api.faults.fail_500 = 2
    src = source(server.url + "/events", max_retries=3)
    events, _ = await poll(src)
    assert len(events) == 2
    assert [r.status for r in server.api.requests] == [500, 500, 200]


async def test_repeated_failures_mark_the_source_failing_and_it_recovers(serve):
    server = serve([placed(1, 1)])
    server.api.faults.fail_500 = 1000
    src = source(server.url + "/events", max_retries=1)
    seen: list[Event] = []

    async def follow() -> None:
        async for batch in src.batches(follow=True):
            seen.extend(batch.events)

    task = asyncio.create_task(follow())
    try:
        for _ in range(100):
            await asyncio.sleep(0.02)
            if src.health().state == "failing":
                break
        health = src.health()
        assert health.state == "failing"
        assert "HTTP 500" in health.last_error and "gave up after 2 tries" in health.last_error
        server.api.faults.fail_500 = 0
        for _ in range(100):
            await asyncio.sleep(0.02)
            if seen:
                break
        assert [e.order_id for e in seen] == ["O-1"]
        assert src.health().state == "ok" and src.health().last_error is None
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_slow_server_times_out(serve):
    server = serve([placed(1, 1)])
    server.api.faults.slow = 0.5
    src = source(server.url + "/events", timeout=0.1, max_retries=1)
    with pytest.raises(HttpSourceError, match=r"timed out after 0\.1 s"):
        await poll(src)
    assert len(server.api.requests) == 2  # tried, retried once, gave up


async def test_malformed_json_is_a_rejection_and_the_next_poll_goes_on(serve):
    server = serve([placed(1, 1), placed(2, 2)])
    server.api.faults.malformed = 1
    src = source(server.url + "/events")
    events, rejections = await poll(src)
    assert events == []
    assert len(rejections) == 1
    assert rejections[0].source == "api" and rejections[0].position == "poll 1 page 1"
    assert "malformed JSON" in rejections[0].reason
    assert src.position() == {}  # nothing was read: the cursor did not move
    events, rejections = await poll(src)
    assert [e.order_id for e in events] == ["O-1", "O-2"] and rejections == []


async def test_a_bad_page_in_the_middle_keeps_the_cursor_and_the_next_poll_reads_all(serve):
    server = serve([placed(n, n) for n in range(5)], page_size=2)
    server.api.faults.after = 1
    server.api.faults.malformed = 1
    src = source(server.url + "/events")
    events, rejections = await poll(src)
    assert [e.order_id for e in events] == ["O-0", "O-1"]
    assert [r.position for r in rejections] == ["poll 1 page 2"]
    assert src.position() == {}
    events, rejections = await poll(src)
    assert [e.order_id for e in events] == [f"O-{n}" for n in range(5)] and rejections == []
    assert src.position()["cursor"] == format_instant(T0 + 4 * US_PER_HOUR)


async def test_array_and_json_lines_bodies(serve):
    server = serve([placed(1, 1), placed(2, 2)])
    for path in ("/events/array", "/events/jsonl"):
        events, rejections = await poll(source(server.url + path))
        assert [e.order_id for e in events] == ["O-1", "O-2"], path
        assert rejections == []


def test_bad_items_in_a_body_are_rejections_and_the_rest_is_read():
    src = source("http://127.0.0.1:9/events", account="shop-1")
    lines = Batch()
    text = '{"ts": "2026-10-01T09:00:00Z", "kind": "order_placed", "order_id": "A"}\nnot json\n'
    src._read_page(text, "poll 1 page 1", lines)
    assert [(e.order_id, e.account) for e in lines.events] == [("A", "shop-1")]
    assert [r.position for r in lines.rejections] == ["poll 1 page 1 line 2"]
    wrapped = Batch()
    body = {"events": [{"ts": "2026-10-01T09:00:00Z", "kind": "order_placed"}, 7, placed(3, 1).to_json()]}
    assert src._read_page(json.dumps(body | {"next": "t2"}), "poll 1 page 1", wrapped) == "t2"
    assert [e.order_id for e in wrapped.events] == ["O-3"]
    assert [(r.position, r.reason) for r in wrapped.rejections] == [
        ("poll 1 page 1 item 0", "order_placed needs order_id"),
        ("poll 1 page 1 item 1", "expected an object"),
    ]


async def test_secrets_never_appear_in_errors_or_health(serve):
    server = serve([placed(1, 1)], token="right-token-123")
    wrong = source(server.url + "/events?key=abc", headers={"x-amz-access-token": "wrong-token-456"})
    with pytest.raises(HttpSourceError) as caught:
        await poll(wrong)
    message = str(caught.value)
    assert "HTTP 403" in message
    assert "wrong-token-456" not in message and "***" in message  # the server echoed it; we masked it
    assert "key=abc" not in message
    assert server.api.requests[0].query == {"key": "abc"}  # the URL's own query is sent (httpx would drop it)

    # While retrying and after giving up, health carries the masked text only.
    server.api.token = None
    server.api.faults.fail_500 = 5
    failing = source(server.url + "/events", headers={"Authorization": "Bearer s3cret-value"}, max_retries=1)
    with pytest.raises(HttpSourceError) as caught:
        await poll(failing)
    assert "s3cret-value" not in str(caught.value) and "s3cret-value" not in str(failing.health())

    server.api.token = "right-token-123"
    server.api.faults.fail_500 = 0
    ok = source(server.url + "/events", headers={"x-amz-access-token": "right-token-123"})
    assert len((await poll(ok))[0]) == 1


async def test_restored_position_resumes_from_the_cursor(serve):
    server = serve([placed(n, n) for n in range(5)])
    first = source(server.url + "/events")
    await poll(first)
    second = source(server.url + "/events")
    second.restore(first.position())
    write_events(server.api.path, [placed(5, 6)], mode="a")
    events, _ = await poll(second)
    assert server.api.requests[-1].query["since"] == format_instant(T0 + 4 * US_PER_HOUR)
    assert [e.order_id for e in events if e.order_id != "O-4"] == ["O-5"]
