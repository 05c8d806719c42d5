"""The live stream: one view document kept in step with every attached dashboard by server-sent events.

Why server-sent events and not a websocket: the stream goes one way (the server's changes to the
views; a view's actions are ordinary POSTs), SSE is plain HTTP (it passes proxies and ``curl``, needs
no upgrade handshake or framing library on either side), and it has the two things this stream needs
built in: an ``id:`` on every message and a client that reconnects on its own.

Messages (each an SSE event whose ``data:`` is one line of JSON):

- ``event: full``: ``{"seq", "epoch", "view"}``: the whole view document. The first message of every
  connection, so a view that connects, reconnects or asks again starts from the truth.
- ``event: patch``: ``{"seq", "epoch", "ops"}``: the JSON Patch (RFC 6902, :mod:`.patch`) from the
  previous message's document (``seq - 1``) to this one. Sent only when something changed.

A view applies a patch only if its ``seq`` is one more than the last one it applied, and otherwise
reconnects (a full resync). ``epoch`` changes when ``serve`` restarts: sequence numbers start again.

The :class:`Hub` publishes on one thread (the server's event loop): each message is computed and
encoded once, whatever the number of views, and handed to every :class:`Subscriber`'s bounded queue.
A view that does not read falls behind; when its queue is full it is dropped (its connection closed)
instead of holding messages, so a slow or stalled view never slows ingest or the other views. It
resyncs when it reconnects.
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from collections.abc import Callable
from typing import Any

from . import patch

QUEUE_LIMIT = 64  # messages a view may be behind before it is dropped
HEARTBEAT = b": keep-alive\n\n"  # an SSE comment: keeps proxies from closing an idle stream


def sse(event: str, seq: int, payload: dict[str, Any]) -> bytes:
    """One server-sent event; the JSON has no newline, so it is one ``data:`` line."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return f"id: {seq}\nevent: {event}\ndata: {data}\n\n".encode()


class Subscriber:
    """One attached view's queue of encoded messages. ``wake`` is called (on the publishing thread)
    whenever a message is queued or the view is dropped."""

    def __init__(self, wake: Callable[[], None], limit: int = QUEUE_LIMIT) -> None:
        self.wake = wake
        self.limit = limit
        self.pending: deque[bytes] = deque()
        self.dropped = False

    def offer(self, message: bytes) -> None:
        if self.dropped:
            return
        if len(self.pending) >= self.limit:
            self.dropped = True
            self.pending.clear()
        else:
            self.pending.append(message)
        self.wake()

    def take(self) -> list[bytes]:
        """Every queued message, oldest first (the queue is left empty)."""
        out = list(self.pending)
        self.pending.clear()
        return out


class Hub:
    """The current view document, its sequence number, and the views subscribed to its changes."""

    def __init__(self, epoch: str | None = None) -> None:
        self.epoch = epoch or secrets.token_hex(8)
        self.seq = 0
        self.document: dict[str, Any] | None = None
        self.subscribers: set[Subscriber] = set()
        self.messages = 0  # patches published (for the benchmark and tests)

    def publish(self, document: dict[str, Any]) -> None:
        """Make ``document`` current; views get the patch to it (nothing when nothing changed)."""
        if self.document is None:
            self.document, self.seq = document, 1
            return
        ops = patch.diff(self.document, document)
        if not ops:
            return
        self.document = document
        self.seq += 1
        self.messages += 1
        message = sse("patch", self.seq, {"seq": self.seq, "epoch": self.epoch, "ops": ops})
        for subscriber in list(self.subscribers):
            subscriber.offer(message)
            if subscriber.dropped:
                self.subscribers.discard(subscriber)

    def full(self) -> bytes:
        """The ``full`` message of the current document (call after the first :meth:`publish`)."""
        if self.document is None:
            raise RuntimeError("nothing published yet")
        return sse("full", self.seq, {"seq": self.seq, "epoch": self.epoch, "view": self.document})

    def subscribe(self, wake: Callable[[], None], limit: int = QUEUE_LIMIT) -> Subscriber:
        """A new view: its queue starts with the full document."""
        subscriber = Subscriber(wake, limit)
        subscriber.offer(self.full())
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The ``(event, payload)`` pairs in a stretch of stream text made of whole events (comments
    skipped): what a client reading the stream does, for views and tests alike."""
    out = []
    for block in text.split("\n\n"):
        event, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            out.append((event, json.loads("\n".join(data))))
    return out


class StreamFollower:
    """A view's side of the stream: applies ``full`` and ``patch`` messages in order and says when it
    must resync (a patch that does not follow the last message, or another epoch)."""

    def __init__(self) -> None:
        self.document: dict[str, Any] | None = None
        self.seq = 0
        self.epoch: str | None = None

    def feed(self, event: str, payload: dict[str, Any]) -> bool:
        """Apply one message; False when the view must reconnect for a full resync."""
        if event == "full":
            self.document, self.seq, self.epoch = payload["view"], payload["seq"], payload["epoch"]
            return True
        if event != "patch":
            return True
        if self.document is None or payload["epoch"] != self.epoch or payload["seq"] != self.seq + 1:
            return False
        self.document = patch.apply(self.document, payload["ops"])
        self.seq = payload["seq"]
        return True
