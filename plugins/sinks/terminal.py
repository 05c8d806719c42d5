"""The ``terminal`` sink: the dashboard's alert feed, kept in memory, plus an optional bell."""

from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import RETRY_OPTIONS, Sink
from sellerpulse.core.options import Option

log = logging.getLogger("sellerpulse.alerts")


class TerminalSink(Sink):
    """The dashboard's alert feed (newest first) and toasts; rings the terminal bell if enabled.

    The dispatcher appends from its worker thread and the UI reads from its own: every access holds a
    lock, and readers get copies. A UI that wants a toast subscribes a callback, which runs on the
    dispatcher's thread (a Textual app hands it over with ``call_from_thread``).
    """

    type_name: ClassVar[str] = "terminal"
    options: ClassVar[tuple[Option, ...]] = (
        Option("bell", "bool", False, "ring the terminal bell for each firing alert"),
        Option("keep", "int", 200, "how many alerts the feed keeps"),
        *RETRY_OPTIONS,
    )

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        self._lock = threading.Lock()
        self._feed: deque[dict[str, Any]] = deque(maxlen=max(1, int(self.settings.get("keep", 200))))
        self._subscribers: list[Callable[[list[dict[str, Any]]], None]] = []
        self.bell = bool(self.settings.get("bell", False))

    def send(self, message: AlertMessage) -> None:
        alerts = [dict(alert) for alert in message.alerts]
        with self._lock:
            self._feed.extend(alerts)
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(alerts)
            except Exception:  # a broken toast must not turn into a failed (and repeated) delivery
                log.exception("terminal sink: subscriber %r failed", callback)
        if self.bell and not subscribers and any(a["kind"] == "firing" for a in alerts):
            sys.stderr.write("\a")
            sys.stderr.flush()

    def entries(self, limit: int | None = None) -> list[dict[str, Any]]:
        """The feed, newest first (copies, safe to keep)."""
        with self._lock:
            items = list(reversed(self._feed))
        return [dict(item) for item in items[:limit]]

    def subscribe(self, callback: Callable[[list[dict[str, Any]]], None]) -> None:
        """Call ``callback(alerts)`` for every delivered message (the UI's toast and bell)."""
        with self._lock:
            self._subscribers.append(callback)
