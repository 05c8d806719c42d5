"""The server in this process on 127.0.0.1, over a real engine and alert manager: beyond loopback every
request needs the token; a view that stops reading is dropped once its queue is full while publishing
never waits and the view that reads gets every change."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from sellerpulse.core.alerts.manager import AlertManager
from sellerpulse.core.alerts.rules import default_rules
from sellerpulse.core.alerts.store import Store
from sellerpulse.core.api.stream import Hub, StreamFollower, parse_sse
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.runtime import Runtime
from sellerpulse.tui.data import RuntimeData
from sellerpulse.tui.server import Service, is_loopback, make_runner, parse_listen
from tui_fixtures import AT, example_engine

TOKEN = "s3cret-token"


def service(tmp_path: Path, loopback: bool, limit_hub: Hub | None = None) -> Service:
    engine, _ = example_engine()
    clock = FixedClock(AT)
    manager = AlertManager(default_rules(builtin_profile("amazon")), Store(tmp_path / "s.sqlite3"), {}, clock)
    data = RuntimeData(Runtime(engine, [], clock=clock), alerts=manager.states)
    return Service(data, manager, TOKEN, tmp_path / "serve.token", loopback, hub=limit_hub or Hub())


async def serving(svc: Service) -> tuple[web.AppRunner, str]:
    runner = make_runner(svc)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


def test_listen_addresses() -> None:
    assert parse_listen("127.0.0.1:8710") == ("127.0.0.1", 8710)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("8710", "host:", "host:99999", ":80"):
        with pytest.raises(ValueError, match="expected HOST:PORT"):
            parse_listen(bad)
    assert is_loopback("127.0.0.1") and is_loopback("127.8.0.1") and is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.4")
    assert not is_loopback("myhost.example")  # a name may resolve to anything


async def test_beyond_loopback_every_request_needs_the_token(tmp_path: Path) -> None:
    runner, url = await serving(service(tmp_path, loopback=False))
    try:
        async with aiohttp.ClientSession() as session:
            for path in ("/api/v1/snapshot", "/metrics", "/api/v1/view", "/api/v1/stream"):
                async with session.get(url + path) as response:
                    assert response.status == 401, path
                    assert "beyond loopback every request needs" in (await response.json())["error"]
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with session.get(url + "/api/v1/snapshot", headers=auth) as response:
                assert response.status == 200
                assert set((await response.json())["accounts"]) == {"acme-us", "bolt-eu"}
            async with session.get(url + "/metrics", headers=auth) as response:
                assert response.status == 200 and "sellerpulse_metric_ratio" in await response.text()
            async with session.get(url + "/metrics", headers={"Authorization": "Basic " + TOKEN}) as response:
                assert response.status == 401  # another scheme is a wrong token, not none
    finally:
        await runner.cleanup()


def stalled_client(url: str) -> socket.socket:
    """A view that asks for the stream and then never reads (a tiny receive buffer fills at once)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((host, int(port)))
    sock.sendall(f"GET /api/v1/stream HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    return sock


async def test_a_view_that_stops_reading_is_dropped_and_the_reading_one_gets_everything(
    tmp_path: Path,
) -> None:
    hub = Hub()
    hub.publish({"n": 0, "blob": ""})
    svc = service(tmp_path, loopback=True, limit_hub=hub)
    runner, url = await serving(svc)
    stalled = stalled_client(url)
    follower = StreamFollower()
    try:
        async with aiohttp.ClientSession() as session, session.get(url + "/api/v1/stream") as response:
            while len(hub.subscribers) < 2:
                await asyncio.sleep(0.01)

            async def follow() -> None:
                buffer = ""
                async for chunk in response.content.iter_any():
                    buffer += chunk.decode()
                    *blocks, buffer = buffer.split("\n\n")
                    for event, payload in parse_sse("\n\n".join(blocks) + "\n\n" if blocks else ""):
                        assert follower.feed(event, payload)
                    if follower.document and follower.document.get("n") == 400:
                        return

            reader = asyncio.create_task(follow())
            for n in range(1, 401):  # 400 changes of 20 KB: far more than the stalled view's buffers hold
                hub.publish({"n": n, "blob": f"{n:05d}" * 4000})
                await asyncio.sleep(0.002)  # the publisher's pace; it never waits for a view
            await asyncio.wait_for(reader, 30)
            assert len(hub.subscribers) == 1  # the stalled view was dropped while the other one read on
    finally:
        await runner.cleanup()
    assert follower.document == hub.document and follower.seq == hub.seq
    stalled.settimeout(10)
    received = b""
    try:
        while chunk := stalled.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    stalled.close()
    assert b"event: full" in received
    assert received.count(b"event: patch") < 400  # dropped: it never got the whole run


async def test_a_view_that_disconnects_is_unsubscribed_at_once(tmp_path: Path) -> None:
    hub = Hub()
    hub.publish({"n": 0})
    runner, url = await serving(service(tmp_path, loopback=True, limit_hub=hub))
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/api/v1/stream") as response:
                assert b"\nevent: full\n" in await response.content.readuntil(b"\n\n")
                assert len(hub.subscribers) == 1
            for _ in range(200):  # well before the 15 s heartbeat would find it gone
                if not hub.subscribers:
                    break
                await asyncio.sleep(0.01)
            assert not hub.subscribers
    finally:
        await runner.cleanup()


async def test_a_scraper_asking_for_openmetrics_gets_each_series_unit(tmp_path: Path) -> None:
    runner, url = await serving(service(tmp_path, loopback=True))
    accept = {"Accept": "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5"}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/metrics", headers=accept) as response:
                assert response.headers["Content-Type"].startswith("application/openmetrics-text")
                page = await response.text()
            async with session.get(url + "/metrics") as response:
                assert response.headers["Content-Type"].startswith("text/plain")
    finally:
        await runner.cleanup()
    families = {family.name: family for family in openmetrics_families(page)}
    assert families["sellerpulse_metric_ratio"].unit == "ratio"
    assert families["sellerpulse_metric_seconds"].unit == "seconds"
    assert families["sellerpulse_metric_ratio"].documentation.startswith("Value of a rate metric")
    odr = [
        s
        for s in families["sellerpulse_metric_ratio"].samples
        if s.labels == {"account": "acme-us", "metric": "odr"}
    ]
    assert len(odr) == 1 and 0 < odr[0].value < 1
