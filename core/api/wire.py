"""The wire format: the live view a dashboard draws (snapshot, source health, alert states) and its
drill-down rows as JSON, and back, without losing anything the panels use.

``report --format json`` (``Snapshot.to_json``) is for people and scripts: percentages' days as ISO
text, no history, no units. A view attached to ``serve`` must redraw exactly what a local one draws,
so this encoding keeps every field, instants as integer microseconds and days as ordinals, and
:func:`decode_snapshot` rebuilds equal :class:`~sellerpulse.core.snapshot.Snapshot` objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..engine.drilldown import BadOutcome
from ..engine.weekly import WeekValue
from ..events import Rejection
from ..official_compare import Comparison
from ..snapshot import AccountSnapshot, LevelValue, MetricValue, QueueItem, QueueValue, Snapshot
from ..sources import SourceHealth

WIRE_VERSION = 2  # 2: seller levels, marketplaces, allowed counts, metric rules, Amazon's numbers

_METRIC_FIELDS = (
    "id", "name", "value", "numerator", "denominator", "target", "warn", "direction", "status",
    "headroom", "window_from", "window_to", "unit", "bad_noun", "allowed_count",
)  # fmt: skip
_LEVEL_FIELDS = ("level", "level_id", "next_down", "headroom", "binding", "bad_noun")
_QUEUE_FIELDS = ("id", "name", "count", "overdue", "due_soon")
_WEEK_FIELDS = ("week_from", "week_to", "value", "numerator", "denominator", "status", "partial")
_HEALTH_FIELDS = ("state", "last_error", "events", "rejected", "last_event_at", "detail")


class WireError(ValueError):
    """A document that is not this wire format; the message says where (a JSON path) and why."""


def encode_metric(metric: MetricValue) -> dict[str, Any]:
    out = {name: getattr(metric, name) for name in _METRIC_FIELDS}
    out["history"] = list(metric.history)
    return out


def encode_queue(queue: QueueValue) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(queue, name) for name in _QUEUE_FIELDS}
    out["items"] = [encode_queue_item(item) for item in queue.items]
    return out


def encode_queue_item(item: QueueItem) -> list[Any]:
    """``[ref, order_id, since, deadline]``: a list, because a queue screen can hold thousands."""
    return [item.ref, item.order_id, item.since, item.deadline]


def encode_account(acc: AccountSnapshot) -> dict[str, Any]:
    return {
        "account": acc.account,
        "profile": acc.profile,
        "timezone": acc.timezone,
        "day": acc.day,
        "orphans": acc.orphans,
        "orders_held": acc.orders_held,
        "marketplace": acc.marketplace,
        "level": encode_level(acc.level),
        "metrics": {mid: encode_metric(m) for mid, m in acc.metrics.items()},
        "queues": {qid: encode_queue(q) for qid, q in acc.queues.items()},
        "weekly": {
            wid: [{name: getattr(w, name) for name in _WEEK_FIELDS} for w in weeks]
            for wid, weeks in acc.weekly.items()
        },
    }


def encode_level(level: LevelValue | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return {**{name: getattr(level, name) for name in _LEVEL_FIELDS}, "missed": list(level.missed)}


def decode_level(doc: Any, where: str = "level") -> LevelValue | None:
    if doc is None:
        return None
    values = _fields(doc, (*_LEVEL_FIELDS, "missed"), where)
    values["missed"] = tuple(str(m) for m in _need(values["missed"], list, f"{where}.missed"))
    return LevelValue(**values)


def encode_snapshot(snapshot: Snapshot) -> dict[str, Any]:
    """Every field of ``snapshot`` as JSON-able values (dict keys keep the engine's order)."""
    return {
        "at": snapshot.at,
        "accounts": {name: encode_account(acc) for name, acc in snapshot.accounts.items()},
        "rejected": dict(snapshot.rejected),
    }


def encode_health(health: Mapping[str, SourceHealth]) -> dict[str, dict[str, Any]]:
    return {name: {f: getattr(h, f) for f in _HEALTH_FIELDS} for name, h in health.items()}


def encode_bad_outcomes(rows: Iterable[BadOutcome]) -> list[dict[str, Any]]:
    """A metric's drill-down rows (the orders behind its bad outcomes)."""
    return [
        {
            "key": row.key,
            "order_id": row.order_id,
            "day": row.day,
            "reason": row.reason,
            "when": row.when,
            "placed_by": [[at, list(fields)] for at, fields in row.placed_by],
        }
        for row in rows
    ]


def encode_rejections(rows: Iterable[Rejection]) -> list[dict[str, str]]:
    return [{"source": r.source, "position": r.position, "reason": r.reason} for r in rows]


# -- decoding -------------------------------------------------------------------------------------


def _need(doc: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(doc, kind):
        raise WireError(f"{where}: expected {_kind_name(kind)}, got {type(doc).__name__}")
    return doc


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


def _fields(doc: Any, names: Iterable[str], where: str) -> dict[str, Any]:
    _need(doc, dict, where)
    missing = [name for name in names if name not in doc]
    if missing:
        raise WireError(f"{where}: missing {', '.join(missing)}")
    return {name: doc[name] for name in names}


def decode_metric(doc: Any, where: str = "metric") -> MetricValue:
    values = _fields(doc, (*_METRIC_FIELDS, "history"), where)
    values["history"] = tuple(_need(values["history"], list, f"{where}.history"))
    return MetricValue(**values)


def decode_queue_item(doc: Any, where: str = "item") -> QueueItem:
    if not isinstance(doc, list) or len(doc) != 4:
        raise WireError(f"{where}: expected [ref, order_id, since, deadline]")
    ref, order_id, since, deadline = doc
    return QueueItem(str(ref), str(order_id), int(since), int(deadline))


def decode_queue(doc: Any, where: str = "queue") -> QueueValue:
    values = _fields(doc, (*_QUEUE_FIELDS, "items"), where)
    items = _need(values.pop("items"), list, f"{where}.items")
    return QueueValue(
        **values, items=tuple(decode_queue_item(it, f"{where}.items[{i}]") for i, it in enumerate(items))
    )


def decode_account(doc: Any, where: str = "account") -> AccountSnapshot:
    names = ("account", "profile", "timezone", "day", "orphans", "orders_held", "marketplace")
    values = _fields(doc, (*names, "level", "metrics", "queues", "weekly"), where)
    values["level"] = decode_level(values["level"], f"{where}.level")
    metrics = _need(values.pop("metrics"), dict, f"{where}.metrics")
    queues = _need(values.pop("queues"), dict, f"{where}.queues")
    weekly = _need(values.pop("weekly"), dict, f"{where}.weekly")
    return AccountSnapshot(
        **values,
        metrics={mid: decode_metric(m, f"{where}.metrics.{mid}") for mid, m in metrics.items()},
        queues={qid: decode_queue(q, f"{where}.queues.{qid}") for qid, q in queues.items()},
        weekly={
            wid: tuple(
                WeekValue(**_fields(w, _WEEK_FIELDS, f"{where}.weekly.{wid}[{i}]"))
                for i, w in enumerate(_need(weeks, list, f"{where}.weekly.{wid}"))
            )
            for wid, weeks in weekly.items()
        },
    )


def decode_snapshot(doc: Any, where: str = "snapshot") -> Snapshot:
    values = _fields(doc, ("at", "accounts", "rejected"), where)
    accounts = _need(values["accounts"], dict, f"{where}.accounts")
    return Snapshot(
        at=int(values["at"]),
        accounts={name: decode_account(a, f"{where}.accounts.{name}") for name, a in accounts.items()},
        rejected={str(k): int(v) for k, v in _need(values["rejected"], dict, f"{where}.rejected").items()},
    )


def decode_health(doc: Any, where: str = "health") -> dict[str, SourceHealth]:
    _need(doc, dict, where)
    return {name: SourceHealth(**_fields(h, _HEALTH_FIELDS, f"{where}.{name}")) for name, h in doc.items()}


def decode_bad_outcomes(doc: Any, where: str = "rows") -> list[BadOutcome]:
    rows = []
    for i, row in enumerate(_need(doc, list, where)):
        values = _fields(row, ("key", "order_id", "day", "reason", "when", "placed_by"), f"{where}[{i}]")
        values["placed_by"] = tuple((int(at), tuple(fields)) for at, fields in values["placed_by"])
        rows.append(BadOutcome(**values))
    return rows


def decode_queue_items(doc: Any, where: str = "items") -> list[QueueItem]:
    return [decode_queue_item(item, f"{where}[{i}]") for i, item in enumerate(_need(doc, list, where))]


def decode_rejections(doc: Any, where: str = "rejections") -> list[Rejection]:
    return [
        Rejection(**_fields(r, ("source", "position", "reason"), f"{where}[{i}]"))
        for i, r in enumerate(_need(doc, list, where))
    ]


# -- the view -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class View:
    """What a dashboard draws at one instant, decoded: the snapshot, source health, alert states (the
    alert manager's JSON), the metric ids known before any data, each account's metric rules (the
    dashboard groups panels by them) and Amazon's numbers beside ours."""

    snapshot: Snapshot
    health: dict[str, SourceHealth]
    alerts: list[Any]  # the alert manager's JSON states (an attached view keeps its feed lines here)
    metric_ids: list[str]
    metric_rules: dict[str, dict[str, str]] = field(default_factory=dict)
    account_health: list[Comparison] = field(default_factory=list)


def encode_view(view: View) -> dict[str, Any]:
    """The document the stream keeps in step with patches."""
    return {
        "version": WIRE_VERSION,
        "snapshot": encode_snapshot(view.snapshot),
        "health": encode_health(view.health),
        "alerts": view.alerts,
        "metric_ids": list(view.metric_ids),
        "metric_rules": {account: dict(rules) for account, rules in view.metric_rules.items()},
        "account_health": [comparison.to_json() for comparison in view.account_health],
    }


def decode_view(doc: Any) -> View:
    names = ("version", "snapshot", "health", "alerts", "metric_ids", "metric_rules", "account_health")
    values = _fields(doc, names, "view")
    if values["version"] != WIRE_VERSION:
        raise WireError(f"view: wire version {values['version']!r}, this sellerpulse reads {WIRE_VERSION}")
    rules = _need(values["metric_rules"], dict, "view.metric_rules")
    comparisons = _need(values["account_health"], list, "view.account_health")
    try:
        account_health = [Comparison.from_json(c) for c in comparisons]
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"view.account_health: {exc!r}") from None
    return View(
        decode_snapshot(values["snapshot"], "view.snapshot"),
        decode_health(values["health"], "view.health"),
        list(_need(values["alerts"], list, "view.alerts")),
        [str(m) for m in _need(values["metric_ids"], list, "view.metric_ids")],
        {
            str(account): {str(k): str(v) for k, v in _need(r, dict, f"view.metric_rules.{account}").items()}
            for account, r in rules.items()
        },
        account_health,
    )
