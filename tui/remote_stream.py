"""A server-sent-events reader that keeps itself connected: the attached view's line to ``serve``.

It runs on its own daemon thread, hands every complete event to a callback, and when the stream ends or
cannot be opened (``serve`` stopped, restarted, killed) it says so through ``on_state`` and tries again
after a short back-off, for as long as the view lives. The view never waits on the network: it draws
what the callback last stored.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import httpx
from sellerpulse.core.backoff import backoff_delay

log = logging.getLogger(__name__)

FIRST_RETRY = 0.25  # seconds before the first reconnection: a restarted serve is back within a second
MOST_RETRY = 2.0  # a view waits at most this long between tries (a reconnect is one cheap request)
READ_TIMEOUT = 60.0  # seconds of silence before the stream is taken for dead (serve sends keep-alives)


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """One event of the stream: its type (``message`` when the server names none), data and id."""

    event: str
    data: str
    id: str | None = None


def parse_events(lines: Iterable[str]) -> Iterator[ServerEvent]:
    """The events in a stream of lines, by the rules of the EventSource specification: ``data`` lines
    are joined with newlines, a blank line ends an event, lines starting with ``:`` are comments
    (keep-alives), an event without data is not dispatched."""
    event, data, ident = "", [], None
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield ServerEvent(event or "message", "\n".join(data), ident)
            event, data = "", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            event = value
        elif name == "data":
            data.append(value)
        elif name == "id":
            ident = value


class EventStream:
    """Follow ``url`` on a daemon thread. ``on_event`` gets each :class:`ServerEvent`; ``on_state``
    gets ``"connected"`` when a stream opens and ``"reconnecting"`` (with the reason) when it is lost."""

    def __init__(
        self,
        url: str,
        on_event: Callable[[ServerEvent], None],
        on_state: Callable[[str, str], None],
        headers: Mapping[str, str] | None = None,
        name: str = "attach-stream",
    ) -> None:
        self.url = url
        self.on_event = on_event
        self.on_state = on_state
        self.headers = {"Accept": "text/event-stream", **(headers or {})}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._response: httpx.Response | None = None
        self._jitter = random.Random()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop following; a stream blocked in a read is closed under it."""
        self._stop.set()
        self.reconnect()

    def reconnect(self) -> None:
        """Drop the current connection; the reader opens a new one at once."""
        response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:
                log.debug("closing the stream", exc_info=True)

    def _run(self) -> None:
        failures = 0
        timeout = httpx.Timeout(5.0, read=READ_TIMEOUT)
        with httpx.Client(timeout=timeout, headers=self.headers) as client:
            while not self._stop.is_set():
                opened, reason = self._follow(client)
                if self._stop.is_set():
                    return
                failures = 1 if opened else failures + 1
                self.on_state("reconnecting", reason)
                if failures > 1:  # the first try again is immediate: a stream can end for many reasons
                    self._stop.wait(backoff_delay(failures - 1, FIRST_RETRY, MOST_RETRY, self._jitter))

    def _follow(self, client: httpx.Client) -> tuple[bool, str]:
        """Read one connection to its end: whether it had opened, and why it ended."""
        opened = False
        try:
            with client.stream("GET", self.url) as response:
                if response.status_code != 200:
                    response.read()
                    return opened, f"HTTP {response.status_code}: {response.text[:200]}"
                self._response = response
                opened = True
                self.on_state("connected", "")
                for event in parse_events(response.iter_lines()):
                    if self._stop.is_set():
                        break
                    self.on_event(event)
                return opened, "the stream ended"
        except (httpx.HTTPError, OSError) as exc:
            return opened, (f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        finally:
            self._response = None
