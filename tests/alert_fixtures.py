"""Hand-built snapshots and a recording sink for the alert tests (no engine needed)."""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import DeliveryError, Sink
from sellerpulse.core.snapshot import AccountSnapshot, MetricValue, QueueItem, QueueValue, Snapshot
from sellerpulse.core.timeutil import US_PER_HOUR, parse_instant

T0 = parse_instant("2026-11-20T12:00:00Z")
MINUTE = 60_000_000
HOUR = US_PER_HOUR
DAY_ORDINAL = 739940  # 2026-11-20


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
