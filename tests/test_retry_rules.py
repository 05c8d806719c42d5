"""Every retry follows core/backoff.py: the webhook sink reads Retry-After as the HTTP sources do (seconds
or an HTTP date), and alert deliveries back off with jitter as sources and attached views do."""

from __future__ import annotations

import email.utils
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alert_fixtures import SINK_CLASSES, T0, RecordingSink
from sellerpulse.core.alerts import DeliveryError, Store, build_sinks
from sellerpulse.core.alerts.dispatcher import Dispatcher
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.timeutil import US_PER_SECOND

ALERT = {"key": "k", "rule": "lsr-breach", "kind": "firing", "severity": "critical",
         "labels": {"account": "acme"}, "summary": "LSR 5.00 %"}  # fmt: skip


@pytest.fixture
def busy_receiver():
    """A webhook receiver that answers 429 with the Retry-After header the test sets."""
    header: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(429)
            self.send_header("Retry-After", header["value"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", header
    server.shutdown()
    server.server_close()


def refusal(url: str) -> DeliveryError:
    sink = build_sinks([{"type": "webhook", "name": "hook", "url": url}], SINK_CLASSES)["hook"]
    try:
        with pytest.raises(DeliveryError) as raised:
            sink.send(AlertMessage((ALERT,)))
    finally:
        sink.close()
    return raised.value


def test_a_webhook_429_with_an_http_date_waits_until_that_date(busy_receiver):
    url, header = busy_receiver
    header["value"] = email.utils.formatdate(time.time() + 120, usegmt=True)
    error = refusal(url)
    assert not error.permanent
    assert 110 <= error.retry_after <= 121  # two minutes, less the time the request took


def test_a_webhook_429_with_seconds_waits_that_long(busy_receiver):
    url, header = busy_receiver
    header["value"] = "30"
    assert refusal(url).retry_after == 30.0


def test_failed_deliveries_retry_after_jittered_delays(tmp_path):
    """Eight sinks failing together must not all come back at the same instant."""
    store = Store(tmp_path / "alerts.sqlite3")
    sinks = {f"s{n}": RecordingSink(f"s{n}", fail=1, backoff=10.0) for n in range(8)}
    store.add_notification(ALERT, list(sinks), T0)
    dispatcher = Dispatcher(store, sinks, FixedClock(T0), group_wait=0)
    try:
        for name in sinks:
            assert dispatcher.deliver(name) == 1
        delays = [(store.next_due(name) - T0) / US_PER_SECOND for name in sinks]
    finally:
        store.close()
    assert all(5.0 <= delay <= 15.0 for delay in delays)  # the first delay, 10 s, scaled by 0.5..1.5
    assert len(set(delays)) > 1
