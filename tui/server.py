"""The HTTP API of ``sellerpulse serve`` (aiohttp): the live view, its stream, drill-down rows, alert
actions and Prometheus metrics, served from one asyncio loop on the main thread.

The sources and the engine run on the runtime's own thread; every engine read here runs in a worker
thread under the runtime's lock (as the dashboard reads it), so the server's loop never waits for
ingest and ingest never waits for a view. See docs/serve.md for the endpoints and the token rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics
from sellerpulse.core.api import tokens, wire
from sellerpulse.core.api.prometheus import Reading, SellerPulseCollector
from sellerpulse.core.api.stream import HEARTBEAT, Hub, Subscriber
from sellerpulse.tui.data import RuntimeData

log = logging.getLogger("sellerpulse.serve")

STREAM_SECONDS = 1.0  # how often the view is recomputed and its changes sent
HEARTBEAT_SECONDS = 15.0  # an idle stream sends a comment this often


class ListenError(ValueError):
    """A ``--listen`` value that is not ``HOST:PORT``."""


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8710`` for IPv6) as a host and a port; port 0 picks a free one."""
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ListenError(f"--listen {text!r}: expected HOST:PORT, such as 127.0.0.1:8710")
    return host, int(port)


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` reaches this machine only (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


@dataclass
class Service:
    """What the server serves: the running runtime (through the dashboard's data adapter), the alert
    manager for states and actions, and the token."""

    data: RuntimeData
    manager: Any
    token: str
    token_file: Path
    loopback: bool
    hub: Hub = field(default_factory=Hub)
    stream_seconds: float = STREAM_SECONDS
    closing: asyncio.Event = field(default_factory=asyncio.Event)  # set when the server shuts down

    def view(self, weekly: bool = False) -> dict[str, Any]:
        """The view document of now (on a worker thread: it reads the engine under the lock);
        ``weekly`` adds the weekly customer-service figures."""
        at = self.data.clock.now()
        snapshot = self.data.snapshot(at, weekly=weekly)
        view = wire.View(
            snapshot,
            self.data.health(),
            self.manager.states(),
            self.data.metric_ids(),
            {account: self.data.metric_rules(account) for account in snapshot.accounts},
            self.data.account_health(at),
        )
        return wire.encode_view(view)

    def reading(self) -> Reading:
        """What a Prometheus scrape reports, as of now."""
        snapshot = self.data.runtime.snapshot(items=0)
        return Reading(snapshot, self.data.health(), self.manager.states())


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SERVICE = web.AppKey("service", Service)


def _problem(status: int, reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=status)


@web.middleware
async def _authorise(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A presented token must be right, everywhere; actions need one; reads need one off loopback."""
    service = request.app[SERVICE]
    presented = tokens.bearer(request.headers.get("Authorization"))
    where = f"Authorization: Bearer <the token in {service.token_file}>"
    if presented is not None and not tokens.matches(presented, service.token):
        return _problem(401, f"wrong token: send {where}")
    if presented is None and (request.method not in ("GET", "HEAD") or not service.loopback):
        why = (
            "actions need" if request.method not in ("GET", "HEAD") else "beyond loopback every request needs"
        )
        return _problem(401, f"token required ({why} one): send {where}")
    return await handler(request)


async def snapshot(request: web.Request) -> web.Response:
    """The JSON of ``report --format json``, as of now."""
    data = request.app[SERVICE].data
    taken = await asyncio.to_thread(lambda: data.runtime.snapshot(weekly=True))
    return web.json_response(taken.to_json())


async def view(request: web.Request) -> web.Response:
    """The view document (the stream's ``full`` message, without the stream); ``?weekly=1`` adds the
    weekly customer-service figures."""
    weekly = request.query.get("weekly", "") in ("1", "true", "yes")
    return web.json_response(await asyncio.to_thread(request.app[SERVICE].view, weekly))


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``full`` first, then ``patch`` messages (see core/api/stream.py)."""
    service = request.app[SERVICE]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    if not service.hub.subscribers:  # nobody kept the document current: bring it up to date first
        service.hub.publish(await asyncio.to_thread(service.view))
    woken = asyncio.Event()
    transport = request.transport
    subscriber: Subscriber | None = None

    def wake() -> None:
        woken.set()
        if subscriber is not None and subscriber.dropped and transport is not None:
            transport.abort()  # a write blocked on this view's full buffer ends now

    subscriber = service.hub.subscribe(wake)
    try:
        while not subscriber.dropped and not service.closing.is_set():
            try:
                await asyncio.wait_for(woken.wait(), HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(HEARTBEAT)
                continue
            woken.clear()
            for message in subscriber.take():
                await response.write(message)
    except ConnectionError:  # the view went away (or was dropped, and its connection aborted)
        pass
    finally:
        service.hub.unsubscribe(subscriber)
        if subscriber.dropped:
            log.info(
                "a view fell %d messages behind; dropped (it resyncs when it reconnects)", subscriber.limit
            )
    return response


def _account_state(data: RuntimeData, account: str) -> Any:
    """The account's state, or None (the caller holds the runtime's lock)."""
    engine = data.engine
    return engine.account(account) if account in engine.accounts else None


async def metric_rows(request: web.Request) -> web.Response:
    """The orders behind a metric's bad outcomes in its current window."""
    data = request.app[SERVICE].data
    account, metric = request.match_info["account"], request.match_info["metric"]

    def rows() -> list[Any] | str:
        data.note_input()  # an operator is waiting on this: ingest gives way for a moment
        with data.runtime.lock:
            acc = _account_state(data, account)
            if acc is None:
                return f"no account {account!r}"
            if metric not in acc.profile.metrics:
                return f"account {account!r} has no metric {metric!r}"
            return data.engine.bad_outcomes(account, metric, data.clock.now())

    found = await asyncio.to_thread(rows)
    if isinstance(found, str):
        return _problem(404, found)
    return web.json_response(wire.encode_bad_outcomes(found))


async def queue_items(request: web.Request) -> web.Response:
    """Every item of a queue, by deadline."""
    data = request.app[SERVICE].data
    account, queue = request.match_info["account"], request.match_info["queue"]

    def items() -> list[Any] | str:
        data.note_input()
        with data.runtime.lock:
            acc = _account_state(data, account)
            if acc is None:
                return f"no account {account!r}"
            if queue not in acc.queues:
                return f"account {account!r} has no queue {queue!r}"
            return data.engine.queue_items(account, queue, data.clock.now())

    found = await asyncio.to_thread(items)
    if isinstance(found, str):
        return _problem(404, found)
    return web.json_response([wire.encode_queue_item(item) for item in found])


async def rejections(request: web.Request) -> web.Response:
    """A source's recent rejected rows, with their position and reason."""
    data = request.app[SERVICE].data
    name = request.match_info["source"]
    if name not in data.health():
        return _problem(404, f"no source {name!r}")
    return web.json_response(wire.encode_rejections(data.rejections(name)))


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format (core/api/prometheus.py); OpenMetrics, which also carries each series'
    unit, to a scraper that asks for it (Prometheus does)."""
    registry = CollectorRegistry()
    registry.register(SellerPulseCollector(request.app[SERVICE].reading))
    if "application/openmetrics-text" in request.headers.get("Accept", ""):
        generate, content_type = openmetrics.generate_latest, openmetrics.CONTENT_TYPE_LATEST
    else:
        generate, content_type = generate_latest, CONTENT_TYPE_LATEST
    body = await asyncio.to_thread(generate, registry)
    return web.Response(body=body, headers={"Content-Type": content_type})


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except ValueError as exc:
        raise web.HTTPBadRequest(text=json.dumps({"error": f"the body is not JSON: {exc}"}),
                                 content_type="application/json") from None  # fmt: skip
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "the body must be a JSON object"}),
                                 content_type="application/json")  # fmt: skip
    for key in ("rule", "account", "for", "comment"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise web.HTTPBadRequest(text=json.dumps({"error": f"{key!r} must be text"}),
                                     content_type="application/json")  # fmt: skip
    return body


async def acknowledge(request: web.Request) -> web.Response:
    """``{"rule", "account"?}``: acknowledge the rule's firing instances (no repeats this episode)."""
    body = await _body(request)
    manager = request.app[SERVICE].manager
    if not body.get("rule"):
        return _problem(400, "'rule' is required")
    if body["rule"] not in [rule.name for rule in manager.rules]:
        return _problem(404, f"no alert rule named {body['rule']!r}")
    count = await asyncio.to_thread(manager.acknowledge, body["rule"], body.get("account"))
    return web.json_response({"acknowledged": count})


async def silence(request: web.Request) -> web.Response:
    """``{"rule"?, "account"?, "for", "comment"?}``: silence notifications for a while."""
    body = await _body(request)
    manager = request.app[SERVICE].manager

    def add() -> int:
        return manager.silence(body.get("rule"), body.get("account"), body.get("for"), None,
                               body.get("comment") or "")  # fmt: skip

    try:
        silence_id = await asyncio.to_thread(add)
    except ValueError as exc:
        return _problem(400, str(exc))
    return web.json_response({"silence": silence_id})


async def _close_streams(app: web.Application) -> None:
    """On shutdown, every stream ends now rather than at its next heartbeat."""
    service = app[SERVICE]
    service.closing.set()
    for subscriber in list(service.hub.subscribers):
        subscriber.wake()


def make_app(service: Service) -> web.Application:
    app = web.Application(middlewares=[_authorise])
    app[SERVICE] = service
    app.on_shutdown.append(_close_streams)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/snapshot", snapshot)
    app.router.add_get("/api/v1/view", view)
    app.router.add_get("/api/v1/stream", stream)
    app.router.add_get("/api/v1/accounts/{account}/metrics/{metric}/rows", metric_rows)
    app.router.add_get("/api/v1/accounts/{account}/queues/{queue}/items", queue_items)
    app.router.add_get("/api/v1/sources/{source}/rejections", rejections)
    app.router.add_post("/api/v1/alerts/ack", acknowledge)
    app.router.add_post("/api/v1/alerts/silence", silence)
    return app


def make_runner(service: Service) -> web.AppRunner:
    """The runner of :func:`make_app`: a view that disconnects has its handler cancelled at once (its
    subscription ends), and a shutdown waits at most a second for requests in flight."""
    return web.AppRunner(make_app(service), access_log=None, handler_cancellation=True, shutdown_timeout=1.0)


async def publish(service: Service, stop: asyncio.Event) -> None:
    """Recompute the view every ``stream_seconds`` and publish its changes, until ``stop``. While no
    view is attached nothing is computed (the first view to attach brings the document up to date)."""
    while not stop.is_set():
        try:
            if service.hub.subscribers:
                service.hub.publish(await asyncio.to_thread(service.view))
        except Exception:
            log.exception("computing the live view failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), service.stream_seconds)
