"""The attached view's stream reader: SSE parsing by the specification, reconnecting by itself to a
real HTTP server on 127.0.0.1 that ends its streams, refuses, and comes back, and RemoteData following
serve's messages: patches in order, a whole view again when one is missing."""

from __future__ import annotations

import http.server
import queue
import threading
from collections.abc import Iterator

import pytest
from attach_fixtures import wait_for
from sellerpulse.core.api import wire
from sellerpulse.core.api.stream import sse
from sellerpulse.core.snapshot import Snapshot
from sellerpulse.core.sources import SourceHealth
from sellerpulse.tui.remote import RemoteData
from sellerpulse.tui.remote_stream import EventStream, ServerEvent, parse_events


def test_events_are_split_on_blank_lines_with_multiline_data_comments_and_ids() -> None:
    lines = [
        ": keep-alive",
        "",
        "id: 1",
        "event: full",
        'data: {"a":',
        "data: 1}",
        "",
        "data:no space after the colon\r\n",
        "\r\n",
        "event: nothing",  # no data: not dispatched
        "",
        "id: 3",
        "event: patch",
        "data: []",
    ]
    events = list(parse_events(lines))
    assert events == [
        ServerEvent("full", '{"a":\n1}', "1"),
        ServerEvent("message", "no space after the colon", "1"),
    ]  # the last event has no blank line after it: not complete, not dispatched


class _Server(http.server.ThreadingHTTPServer):
    """Answers each request with the next item of ``answers``: a status to refuse with, or the chunks
    of a stream (sent, then the connection is closed)."""

    daemon_threads = True
    answers: queue.Queue[int | list[bytes]]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        answer = self.server.answers.get(timeout=5)
        if isinstance(answer, int):
            self.send_error(answer, "not now")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for chunk in answer:
            self.wfile.write(chunk)
            self.wfile.flush()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.answers = queue.Queue()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_a_stream_that_ends_or_is_refused_is_opened_again_and_reported(server: _Server) -> None:
    events: queue.Queue[ServerEvent] = queue.Queue()
    states: queue.Queue[tuple[str, str]] = queue.Queue()
    url = f"http://127.0.0.1:{server.server_address[1]}/stream"
    server.answers.put([b"event: full\ndata: 1\n\n", b": keep-alive\n\n", b"event: patch\ndata: 2\n\n"])
    server.answers.put(503)
    stream = EventStream(url, events.put, lambda state, why: states.put((state, why)))
    stream.start()
    try:
        assert states.get(timeout=5) == ("connected", "")
        assert [events.get(timeout=5).data for _ in range(2)] == ["1", "2"]
        state, why = states.get(timeout=5)  # the handler returned: the connection closed
        assert (state, why) == ("reconnecting", "the stream ended")
        state, why = states.get(timeout=5)  # the next try is refused: still reconnecting, with the reason
        assert state == "reconnecting" and "503" in why
        server.answers.put([b"event: full\ndata: 3\n\n"])
        assert states.get(timeout=10) == ("connected", "")
        assert events.get(timeout=5).data == "3"
    finally:
        stream.stop()


def _full(seq: int, events: int, epoch: str = "e1") -> bytes:
    view = wire.encode_view(
        wire.View(Snapshot(at=1_000_000, accounts={}), {"orders": SourceHealth("ok", events=events)}, [], [])
    )
    return sse("full", seq, {"seq": seq, "epoch": epoch, "view": view})


def _patch(seq: int, events: int, epoch: str = "e1") -> bytes:
    ops = [{"op": "replace", "path": "/health/orders/events", "value": events}]
    return sse("patch", seq, {"seq": seq, "epoch": epoch, "ops": ops})


def test_remote_data_follows_patches_and_resyncs_when_one_is_missing(server: _Server) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}"
    # first connection: a whole view, the next patch, then one that skips a sequence number
    server.answers.put([_full(1, 10), _patch(2, 11), _patch(4, 99)])
    # the view reconnects at once and gets the truth again (serve restarted: another epoch)
    server.answers.put([_full(1, 12, epoch="e2"), _patch(2, 13, epoch="e2")])
    data = RemoteData(url)
    data.start()
    try:
        assert wait_for(lambda: data.health().get("orders", SourceHealth("?")).events == 13, timeout=10)
        assert data.version == 4  # full, patch, full, patch: the patch out of order was never applied
        assert data.clock.now() == 1_000_000  # serve's instant, not this machine's
    finally:
        data.close()
