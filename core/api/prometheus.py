"""The numbers of ``sellerpulse serve`` for Prometheus: a ``prometheus_client`` custom collector.

Every scrape reads the live state through one callable (a snapshot, the sources' health and the alert
states, taken together), so what Prometheus stores is what the dashboard shows at that instant. Names
follow Prometheus practice: base units (a ratio 0..1, seconds), ``_total`` counters, and states as
one series per possible state, 1 for the current one (so ``== 1`` selects it and a change is visible).
A metric without data has no sample rather than a made-up zero.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..alerts.state import STATES as ALERT_STATES
from ..snapshot import MetricValue, Snapshot
from ..sources import STATES as SOURCE_STATES
from ..sources import SourceHealth
from ..timeutil import US_PER_SECOND

METRIC_STATUSES = ("ok", "warning", "breach", "no_data", "info")
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Reading:
    """What one scrape reports."""

    snapshot: Snapshot
    health: Mapping[str, SourceHealth]
    alerts: list[dict[str, Any]]  # AlertManager.states()


class SellerPulseCollector(Collector):
    """Collects a :class:`Reading` taken by ``read()`` at each scrape."""

    def __init__(self, read: Callable[[], Reading]) -> None:
        self.read = read

    def describe(self) -> list[Metric]:
        return []  # registering must not read the engine; the families are known at collect

    def collect(self) -> Iterator[Metric]:
        reading = self.read()
        yield from _metric_families(reading.snapshot)
        yield from _queue_families(reading.snapshot)
        yield from _source_families(reading.snapshot, reading.health)
        yield from _alert_families(reading.alerts)


def _gauge(name: str, doc: str, labels: list[str], unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels, unit=unit)


def _metric_families(snapshot: Snapshot) -> Iterator[Metric]:
    labels = ["account", "metric"]
    ratio = _gauge("sellerpulse_metric_ratio", "Value of a rate metric (0..1; 0.01 is 1 %)", labels, "ratio")
    seconds = _gauge(
        "sellerpulse_metric_seconds",
        "Value of a duration metric (e.g. contact response time)",
        labels,
        "seconds",
    )
    other = _gauge("sellerpulse_metric_value", "Value of a metric counted in its own unit", [*labels, "unit"])
    numerator = _gauge("sellerpulse_metric_numerator", "Bad outcomes in the metric's window", labels)
    denominator = _gauge("sellerpulse_metric_denominator", "Outcomes counted in the metric's window", labels)
    headroom = _gauge(
        "sellerpulse_metric_headroom",
        "More bad outcomes the window can take before the metric breaches its target",
        labels,
    )
    status = _gauge(
        "sellerpulse_metric_status", "1 for the metric's current status (ok, warning, breach, no_data, info)",
        [*labels, "status"],
    )  # fmt: skip
    for account, acc in snapshot.accounts.items():
        for mid, metric in acc.metrics.items():
            key = [account, mid]
            _value(metric, key, ratio, seconds, other)
            for family, number in ((numerator, metric.numerator), (denominator, metric.denominator),
                                   (headroom, metric.headroom)):  # fmt: skip
                if number is not None:
                    family.add_metric(key, number)
            for name in METRIC_STATUSES:
                status.add_metric([*key, name], 1 if metric.status == name else 0)
    yield from (ratio, seconds, other, numerator, denominator, headroom, status)


def _value(
    metric: MetricValue,
    key: list[str],
    ratio: GaugeMetricFamily,
    seconds: GaugeMetricFamily,
    other: GaugeMetricFamily,
) -> None:
    if metric.value is None:
        return
    if metric.unit == "%":
        ratio.add_metric(key, metric.value)
    elif metric.unit == "h":
        seconds.add_metric(key, metric.value * SECONDS_PER_HOUR)
    else:
        other.add_metric([*key, metric.unit], metric.value)


def _queue_families(snapshot: Snapshot) -> Iterator[Metric]:
    labels = ["account", "queue"]
    count = _gauge("sellerpulse_queue_items", "Items waiting in an action queue", labels)
    overdue = _gauge("sellerpulse_queue_overdue_items", "Queue items past their deadline", labels)
    due_soon = _gauge("sellerpulse_queue_due_soon_items", "Queue items due soon (not yet overdue)", labels)
    held = _gauge("sellerpulse_account_orders_held", "Orders the engine holds for the account", ["account"])
    level = _gauge(
        "sellerpulse_account_level", "1 for the seller level the marketplace's ladder gives the account now",
        ["account", "marketplace", "level"],
    )  # fmt: skip
    room = _gauge(
        "sellerpulse_account_level_headroom",
        "More bad outcomes (of the binding metric) before the account drops to the next level down",
        ["account", "binding"],
    )
    for account, acc in snapshot.accounts.items():
        held.add_metric([account], acc.orders_held)
        if acc.level is not None:
            level.add_metric([account, acc.marketplace, acc.level.level_id], 1)
            if acc.level.headroom is not None:
                room.add_metric([account, acc.level.binding or ""], acc.level.headroom)
        for qid, queue in acc.queues.items():
            count.add_metric([account, qid], queue.count)
            overdue.add_metric([account, qid], queue.overdue)
            due_soon.add_metric([account, qid], queue.due_soon)
    yield from (count, overdue, due_soon, held, level, room)


def _source_families(snapshot: Snapshot, health: Mapping[str, SourceHealth]) -> Iterator[Metric]:
    state = _gauge(
        "sellerpulse_source_state", "1 for the source's current state (starting, ok, lagging, failing, done)",
        ["source", "state"],
    )  # fmt: skip
    events = CounterMetricFamily(
        "sellerpulse_source_events", "Events a source delivered since serve started", labels=["source"]
    )
    rejected = CounterMetricFamily(
        "sellerpulse_source_rejected", "Rows a source could not read since serve started", labels=["source"]
    )
    last = _gauge(
        "sellerpulse_source_last_event_timestamp_seconds",
        "When the source last delivered an event",
        ["source"],
    )
    for name, h in health.items():
        for known in SOURCE_STATES:
            state.add_metric([name, known], 1 if h.state == known else 0)
        events.add_metric([name], h.events)
        rejected.add_metric([name], h.rejected)
        if h.last_event_at is not None:
            last.add_metric([name], h.last_event_at / US_PER_SECOND)
    ingested = CounterMetricFamily(
        "sellerpulse_events_ingested", "Events delivered by every source since serve started",
        value=sum(h.events for h in health.values()),
    )  # fmt: skip
    kept = CounterMetricFamily(
        "sellerpulse_rows_rejected",
        "Rows that could not be read, per source, over the whole saved state",
        labels=["source"],
    )
    for source, n in snapshot.rejected.items():
        kept.add_metric([source], n)
    yield from (state, events, rejected, last, ingested, kept)


def _alert_families(alerts: list[dict[str, Any]]) -> Iterator[Metric]:
    labels = ["rule", "account", "labels"]
    state = _gauge(
        "sellerpulse_alert_state", "1 for the alert's current state (normal, pending, firing, recovering, "
        "no_data, error)", [*labels, "state"],
    )  # fmt: skip
    silenced = _gauge("sellerpulse_alert_silenced", "1 while a silence covers the alert", labels)
    acked = _gauge("sellerpulse_alert_acknowledged", "1 once the firing alert was acknowledged", labels)
    for alert in alerts:
        instance = alert.get("labels") or {}
        rest = ",".join(f"{k}={v}" for k, v in sorted(instance.items()) if k != "account")
        key = [str(alert.get("rule", "")), str(instance.get("account", "")), rest]
        for known in ALERT_STATES:
            state.add_metric([*key, known], 1 if alert.get("state") == known else 0)
        silenced.add_metric(key, 1 if alert.get("silenced") else 0)
        acked.add_metric(key, 1 if alert.get("acknowledged") else 0)
    yield from (state, silenced, acked)
