"""Hand-built snapshots, a recording sink, a manager that has just fired and real receivers (an HTTP server,
an SMTP server) for the alert tests (no engine needed)."""

from __future__ import annotations

import socket
import threading
import time
from email import message_from_bytes
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from sellerpulse.core.alerts import AlertManager, Store, build_sinks, parse_rules
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import DeliveryError, Sink
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.snapshot import AccountSnapshot, MetricValue, QueueItem, QueueValue, Snapshot
from sellerpulse.core.timeutil import US_PER_HOUR, parse_instant

T0 = parse_instant("2026-11-20T12:00:00Z")
MINUTE = 60_000_000
HOUR = US_PER_HOUR
DAY_ORDINAL = 739940  # 2026-11-20
SINK_CLASSES = load_plugins(entry_points=False).sinks()
RULE = {"name": "lsr-breach", "metric": "lsr_10d", "status": "breach", "severity": "critical"}


def lsr(numerator: int | None, denominator: int, **extra: Any) -> MetricValue:
    """A Late Shipment Rate value with the status the metric contract gives (below 0.04, warn 0.03)."""
    value = None if not denominator or numerator is None else numerator / denominator
    if value is None:
        status = "no_data"
    elif value >= 0.04:
        status = "breach"
    elif value >= 0.03:
        status = "warning"
    else:
        status = "ok"
    fields: dict[str, Any] = {
        "id": "lsr_10d", "name": "Late Shipment Rate, 10 days", "value": value, "numerator": numerator,
        "denominator": denominator, "target": "0.04", "warn": "0.03", "direction": "below", "status": status,
        "headroom": None if not denominator else max(0, -(-4 * denominator // 100) - 1 - (numerator or 0)),
        "window_from": DAY_ORDINAL - 9, "window_to": DAY_ORDINAL, "bad_noun": "late shipment",
    }  # fmt: skip
    fields.update(extra)
    return MetricValue(**fields)


def queue(queue_id: str, items: list[tuple[str, int, int]], at: int, name: str | None = None) -> QueueValue:
    """A queue from (ref, since, deadline) triples."""
    rows = tuple(QueueItem(ref=ref, order_id=f"O-{ref}", since=s, deadline=d) for ref, s, d in items)
    return QueueValue(
        id=queue_id,
        name=name or queue_id,
        count=len(rows),
        overdue=sum(1 for r in rows if r.deadline < at),
        due_soon=sum(1 for r in rows if at <= r.deadline <= at + 4 * HOUR),
        items=tuple(sorted(rows, key=lambda r: r.deadline)),
    )


def snapshot(
    at: int, metrics: dict[str, MetricValue] | None = None, queues=None, account: str = "acme"
) -> Snapshot:
    accounts = {
        account: AccountSnapshot(
            account=account, profile="amazon", timezone="UTC", day=DAY_ORDINAL,
            metrics=dict(metrics or {}), queues=dict(queues or {}),
        )
    }  # fmt: skip
    return Snapshot(at=at, accounts=accounts)


def multi(at: int, per_account: dict[str, dict[str, MetricValue]]) -> Snapshot:
    accounts = {
        name: AccountSnapshot(
            account=name, profile="amazon", timezone="UTC", day=DAY_ORDINAL, metrics=m, queues={}
        )
        for name, m in per_account.items()
    }
    return Snapshot(at=at, accounts=accounts)


class RecordingSink(Sink):
    """Keeps every message it is given; fails the first ``fail`` sends (optionally permanently)."""

    type_name: ClassVar[str] = "recording"

    def __init__(self, name: str = "rec", fail: int = 0, permanent: bool = False, **settings: Any) -> None:
        super().__init__(name, {"retries": 3, "backoff": 0.01, **settings})
        self.messages: list[AlertMessage] = []
        self.fail = fail
        self.permanent = permanent
        self.calls = 0
        self.delivered = threading.Event()

    def send(self, message: AlertMessage) -> None:
        self.calls += 1
        if self.calls <= self.fail:
            raise DeliveryError(f"refused #{self.calls}", permanent=self.permanent)
        self.messages.append(message)
        self.delivered.set()

    @property
    def alerts(self) -> list[dict[str, Any]]:
        return [alert for message in self.messages for alert in message.alerts]


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def fire(tmp_path, sink_tables, rules=(RULE,)):
    """A manager with the configured sinks that has just queued one firing notification."""
    sinks = build_sinks(sink_tables, SINK_CLASSES)
    manager = AlertManager(
        parse_rules(rules), Store(tmp_path / "s.sqlite3"), sinks, FixedClock(T0), group_wait=0
    )
    queued = manager.evaluate(snapshot(T0, {"lsr_10d": lsr(5, 100)}))
    assert [q["kind"] for q in queued] == ["firing"]
    manager.start()
    return manager


def delivery(manager, sink):
    """The delivery row of ``sink`` for the newest notification."""
    found = [d for d in manager.recent(1)[0]["deliveries"] if d["sink"] == sink]
    return found[0]


class HttpServer:
    """A threaded HTTP server on 127.0.0.1 that keeps every request (path, raw body) and answers with
    ``reply(path) -> (status, text)``."""

    def __init__(self, reply):
        self.requests: list[tuple[str, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer(b"")

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _answer(self, body):
                server.requests.append((self.path, body))
                status, text = reply(self.path)
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def free_port() -> int:
    with socket.socket() as probe:  # aiosmtpd checks readiness on the port it was given: pick a free one
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PlainSmtp:
    """An aiosmtpd server on 127.0.0.1 without STARTTLS that keeps every mail (raw bytes) in ``messages``."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def mail_text(raw: bytes) -> str:
    """Everything a mail reader shows: decoded headers and every decoded part (base64, quoted-printable)."""
    mail = message_from_bytes(raw)
    text = [f"{name}: {make_header(decode_header(value))}" for name, value in mail.items()]
    for part in mail.walk():
        payload = part.get_payload(decode=True)
        if payload:
            text.append(payload.decode("utf-8"))
    return "\n".join(text)
