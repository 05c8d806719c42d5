"""What the ``http`` source must not take on trust from a server on 127.0.0.1: a date far in the future
(it would move the cursor there for good), bytes that are not UTF-8 (merged into U+FFFD), a Retry-After
of an hour in a one-shot read, and a URL password echoed back as a Basic credential."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.http_source import HttpSourceError
from test_http_hostile import Answer, Seen, events_body, hostile, in_turn, placed, poll, source, sp_order

__all__ = ["hostile"]  # the fixture, used by name

FAR = "2099-12-31T23:59:59Z"
SKEW_S = 300  # the source never moves its cursor past its now plus this


def _now_s() -> float:
    return time.time()


# -- 1. a far-future item moves the cursor no further than now --------------------------------------------


async def test_a_far_future_sp_api_order_does_not_move_the_cursor_past_now(hostile):
    orders = [
        sp_order("1-NOW", OrderStatus="Shipped"),
        sp_order("2-FUTURE", OrderStatus="Shipped", LastUpdateDate=FAR),
    ]
    later = [sp_order("3-LATER", OrderStatus="Shipped", LastUpdateDate="2026-10-02T09:00:00Z")]
    pages = [{"payload": {"Orders": orders}}, {"payload": {"Orders": later}}]
    api = hostile(in_turn(*(Answer(200, json.dumps(page).encode()) for page in pages)))
    src = source(api.url + "/orders/v0/orders", format="sp-api-orders")
    first = await poll(src)
    assert "2-FUTURE:shipped" in {e.event_id for e in first.events}  # still an event
    cursor = parse_instant(src.position()["cursor"]) / 1e6
    assert cursor <= _now_s() + SKEW_S
    second = await poll(src)
    assert "3-LATER:shipped" in {e.event_id for e in second.events}
    asked = parse_instant(api.requests[1].query["LastUpdatedAfter"]) / 1e6
    assert asked <= _now_s() + SKEW_S
    health = src.health()
    assert health.state == "ok"
    assert "1 item dated in the future" in health.detail, health.detail


async def test_a_far_future_event_is_delivered_once_and_the_cursor_stays_at_now(hostile):
    body = events_body(placed("A"), placed("FUTURE", FAR))
    api = hostile(in_turn(Answer(200, body), Answer(200, body)))
    src = source(api.url + "/events")
    first = await poll(src)
    second = await poll(src)
    assert [e.order_id for e in first.events] == ["A", "FUTURE"]
    assert [e.order_id for e in second.events] == []  # the same answer again holds nothing new
    asked = parse_instant(api.requests[1].query["since"]) / 1e6
    assert parse_instant("2026-10-01T08:00:00Z") / 1e6 <= asked <= _now_s() + SKEW_S
    assert "1 item dated in the future" in src.health().detail


async def test_a_saved_cursor_in_the_future_is_brought_back_to_now(hostile):
    api = hostile(in_turn(Answer(200, events_body(placed("A")))))
    src = source(api.url + "/events")
    src.restore({"cursor": FAR})
    await poll(src)
    assert parse_instant(api.requests[0].query["since"]) / 1e6 <= _now_s() + SKEW_S


# -- 2. bytes that are not UTF-8 reject the item holding them ---------------------------------------------


async def test_orders_with_non_utf8_ids_are_rejected_not_merged(hostile):
    good = json.dumps(sp_order("OK-1")).encode()
    bad1 = json.dumps(sp_order("@@1")).encode().replace(b"@@1", b"\xe9")
    bad2 = json.dumps(sp_order("@@2")).encode().replace(b"@@2", b"\xe8")
    body = b'{"payload": {"Orders": [' + b", ".join([bad1, good, bad2]) + b"]}}"
    api = hostile(in_turn(Answer(200, body)))
    batch = await poll(source(api.url + "/orders/v0/orders", format="sp-api-orders"))
    assert [e.order_id for e in batch.events] == ["OK-1"]
    assert [(r.position, r.reason) for r in batch.rejections] == [
        ("poll 1 page 1 order 0", "not utf-8 text"),
        ("poll 1 page 1 order 2", "not utf-8 text"),
    ]


async def test_events_and_json_lines_with_non_utf8_bytes_are_rejected_with_their_position(hostile):
    array = events_body(placed("@@"), placed("B")).replace(b"@@", b"\xff")
    lines = b"\n".join(json.dumps(placed(name)).encode() for name in ("C", "@@", "D")).replace(
        b"@@", b"\xc3("
    )
    api = hostile(in_turn(Answer(200, array), Answer(200, lines)))
    src = source(api.url + "/events")
    first = await poll(src)
    second = await poll(src)
    assert [e.order_id for e in first.events] == ["B"]
    assert [(r.position, r.reason) for r in first.rejections] == [("poll 1 page 1 item 0", "not utf-8 text")]
    assert [e.order_id for e in second.events] == ["C", "D"]
    assert [(r.position, r.reason) for r in second.rejections] == [("poll 2 page 1 line 2", "not utf-8 text")]


# -- 3. a one-shot read does not wait an hour for Retry-After ---------------------------------------------


async def test_a_one_shot_read_fails_at_once_on_a_retry_after_longer_than_the_timeout(hostile):
    api = hostile(in_turn(Answer(429, b"slow down", headers={"Retry-After": "3600"})))
    began = time.monotonic()
    with pytest.raises(HttpSourceError) as caught:
        await poll(source(api.url + "/events", timeout=5))
    assert time.monotonic() - began < 2
    assert "the server asks to wait 3600 s (Retry-After); a one-shot read does not wait that long" in str(
        caught.value
    )
    assert len(api.requests) == 1


def _cli(*args: str, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TOKEN": "t"}, **popen,
    )  # fmt: skip


def _config(tmp_path: Path, url: str, timeout: float) -> Path:
    path = tmp_path / "sellerpulse.toml"
    path.write_text(
        f'[[sources]]\ntype = "http"\nname = "api"\nurl = "{url}"\ntimeout = {timeout}\nmax_retries = 1\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def test_check_ends_unknown_on_an_hour_of_retry_after(hostile, tmp_path):
    api = hostile(in_turn(Answer(429, b"", headers={"Retry-After": "3600"})))
    config = _config(tmp_path, api.url + "/events", timeout=5)
    process = _cli("check", "--config", str(config))
    out, err = process.communicate(timeout=30)
    assert process.returncode == 3, (out, err)
    assert "UNKNOWN" in out and "3600 s (Retry-After)" in out + err, (out, err)


def test_sigint_interrupts_a_report_waiting_for_retry_after(hostile, tmp_path):
    asked = threading.Event()

    def answer(_number: int, _seen: Seen) -> Answer:
        asked.set()
        return Answer(429, b"", headers={"Retry-After": "25"})

    api = hostile(answer)
    config = _config(tmp_path, api.url + "/events", timeout=30)
    process = _cli("report", "--config", str(config))
    assert asked.wait(20)
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=10)
    assert time.monotonic() - began < 3
    assert process.returncode != 0
    assert "Traceback" not in err, err


# -- 4. the Basic credential derived from the URL is a secret ---------------------------------------------


async def test_the_basic_credential_from_the_url_is_masked_in_an_echoed_error(hostile):
    def answer(_number: int, seen: Seen) -> Answer:
        return Answer(403, f"denied: Authorization: {seen.headers.get('authorization')}".encode())

    api = hostile(answer)
    url = api.url.replace("://", "://user:URLPW321@") + "/events"
    with pytest.raises(HttpSourceError) as caught:
        await poll(source(url))
    message = str(caught.value)
    encoded = base64.b64encode(b"user:URLPW321").decode()
    assert api.requests[0].headers["authorization"] == f"Basic {encoded}"  # it was sent
    assert encoded not in message and "URLPW321" not in message, message
    assert "***" in message


# -- 5. a whole-number page token is followed (APIs page by number) ----------------------------------------


@pytest.mark.parametrize(("token", "sent"), [(5, "5"), ("p5", "p5")])
async def test_a_number_or_text_page_token_is_sent_back_as_text(hostile, token, sent):
    first = json.dumps({"events": [placed("A")], "next": token}).encode()
    api = hostile(in_turn(Answer(200, first), Answer(200, events_body(placed("B")))))
    batch = await poll(source(api.url + "/events"))
    assert [e.order_id for e in batch.events] == ["A", "B"]
    assert api.requests[1].query["next"] == sent


@pytest.mark.parametrize("token", [5.5, True, ["a"], {"p": 1}])
async def test_a_page_token_that_is_neither_text_nor_a_whole_number_is_a_rejection(hostile, token):
    body = json.dumps({"events": [placed("A")], "next": token}).encode()
    api = hostile(in_turn(Answer(200, body)))
    batch = await poll(source(api.url + "/events"))
    assert batch.events == []
    assert [r.position for r in batch.rejections] == ["poll 1 page 1"]
    assert "page token" in batch.rejections[0].reason
