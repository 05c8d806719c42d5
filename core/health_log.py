"""What the operator reads in the log after a weekend: rejected rows and source health changes.

:class:`HealthLog` listens to a :class:`~sellerpulse.core.runtime.Runtime`: each batch's rejected rows are
logged (a bounded number a batch, then a count, so a source sending nothing but garbage cannot flood
the disk), and :meth:`HealthLog.poll`, called on a timer, logs every change of a source's state or
error (``failing: HTTP 403 ...``, back to ``ok``). Source text is untrusted; the JSON log file encodes it
and the secret filter masks tokens in it.
"""

from __future__ import annotations

import logging
from typing import Any

from .sources import Batch

log = logging.getLogger("sellerpulse.sources")

REJECTIONS_LOGGED = 20  # per batch; the rest are counted


class HealthLog:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self._seen: dict[str, tuple[str, str | None]] = {}
        runtime.on_batch.append(self.on_batch)

    def on_batch(self, source: str, batch: Batch) -> None:
        for rejection in batch.rejections[:REJECTIONS_LOGGED]:
            log.warning("rejected %s", rejection)
        more = len(batch.rejections) - REJECTIONS_LOGGED
        if more > 0:
            log.warning("source %s: %d more rows rejected in the same batch", source, more)

    def poll(self) -> None:
        """Log each source whose state or last error changed since the previous call."""
        for name, health in self.runtime.health().items():
            now = (health.state, health.last_error)
            if self._seen.get(name) == now:
                continue
            self._seen[name] = now
            if health.state == "failing":
                log.error("source %s failing: %s", name, health.last_error or health.detail)
            elif health.state == "lagging":
                log.warning("source %s lagging: %s", name, health.last_error or health.detail)
            else:
                log.info("source %s %s%s", name, health.state, f": {health.detail}" if health.detail else "")
