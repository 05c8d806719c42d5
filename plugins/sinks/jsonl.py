"""The ``log`` sink: one JSON object per alert appended to a JSON Lines file, readable by its owner only."""

from __future__ import annotations

import json
import os
from typing import ClassVar

from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import RETRY_OPTIONS, DeliveryError, Sink
from sellerpulse.core.options import Option


class LogSink(Sink):
    """Appends every alert as one JSON line (ASCII: see :mod:`~sellerpulse.core.alerts.message`) to a file,
    flushed to disk before it counts as sent.

    Each line carries the alert's ``key``, so a reader can drop the rare repeat after a crash. Alerts
    quote account data, so the file is created 0600 (and a missing folder 0700); an existing file keeps
    the mode its owner gave it.
    """

    type_name: ClassVar[str] = "log"
    options: ClassVar[tuple[Option, ...]] = (
        Option("path", "path", None, "the JSON Lines file (created if missing)", required=True),
        *RETRY_OPTIONS,
    )

    def send(self, message: AlertMessage) -> None:
        path = self.settings["path"]
        lines = "".join(json.dumps(alert, sort_keys=True) + "\n" for alert in message.alerts)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="ascii") as handle:
                handle.write(lines)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise DeliveryError(f"cannot write {path}: {exc.strerror or exc}") from None
