"""kill -9 while notifications are queued and one is in flight: after a restart every notification
reaches the receiver exactly once (counted at the receiver by the alerts' idempotency keys)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

CHILD = r"""
import sys, time
from alert_fixtures import T0, MINUTE, lsr, multi
from sellerpulse.core.alerts import AlertManager, Store, build_sinks, parse_rules
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.plugins import load_plugins

state, url, phase = sys.argv[1], sys.argv[2], sys.argv[3]
rules = parse_rules([
    {"name": "lsr-breach", "metric": "lsr_10d", "status": "breach", "sinks": ["hook"]},
    {"name": "lsr-high", "metric": "lsr_10d", "above": "0.045", "sinks": ["hook"]},
])
sinks = build_sinks([{"type": "webhook", "name": "hook", "url": url, "timeout": 30 if phase == "first" else 2,
                      "backoff": 0.05}], load_plugins(entry_points=False).sinks())
clock = FixedClock(T0)
manager = AlertManager(rules, Store(state), sinks, clock, group_wait=0)
bad = {name: {"lsr_10d": lsr(42, 1000)} for name in ("acme", "bolt", "core")}  # breach, not above 4.5 %
if phase == "first":
    manager.start()
    manager.evaluate(multi(clock.now(), bad))          # 3 x lsr-breach firing: sent, the receiver hangs
    time.sleep(0.3)
    clock.advance(MINUTE)
    manager.evaluate(multi(clock.now(), {name: {"lsr_10d": lsr(6, 100)} for name in bad}))  # 3 x lsr-high
    print("queued", flush=True)
    time.sleep(60)
else:
    clock.advance(2 * MINUTE)
    queued = manager.evaluate(multi(clock.now(), {name: {"lsr_10d": lsr(6, 100)} for name in bad}))
    manager.start()
    deadline = time.monotonic() + 10
    while manager.store.delivery_counts().get("pending") and time.monotonic() < deadline:
        time.sleep(0.02)
    manager.close()
    print("new", len(queued), "counts", manager.store.delivery_counts(), flush=True)
"""


class Receiver:
    def __init__(self):
        self.hang = True
        self.requests: list[list[str]] = []
        self.delivered: list[str] = []  # alert keys of requests answered 2xx
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                keys = [alert["key"] for alert in body["alerts"]]
                with receiver.lock:
                    receiver.requests.append(keys)
                if receiver.hang:
                    deadline = time.monotonic() + 20
                    while receiver.hang and time.monotonic() < deadline:
                        time.sleep(0.02)
                    return  # never answered
                with receiver.lock:
                    receiver.delivered.extend(keys)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()


@pytest.mark.slow
def test_kill_9_then_restart_delivers_every_notification_once(tmp_path):
    receiver = Receiver()
    state = tmp_path / "state.sqlite3"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    first = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(state), receiver.url, "first"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip() == "queued"
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(receiver.requests) == 1 and len(receiver.requests[0]) == 3  # the first group, in flight
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert receiver.delivered == []

    receiver.hang = False
    second = subprocess.run(
        [sys.executable, "-c", CHILD, str(state), receiver.url, "second"],
        env=env, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    receiver.server.shutdown()
    assert second.returncode == 0, second.stderr
    assert second.stdout.startswith(
        "new 0 counts {'sent': 6}"
    )  # nothing re-evaluated into a new notification
    assert len(receiver.delivered) == 6
    assert len(set(receiver.delivered)) == 6  # every notification exactly once
    assert set(receiver.requests[0]) <= set(receiver.delivered)  # the one in flight at the kill was not lost
