"""The wire format: the live view a dashboard draws (snapshot, source health, alert states) and its
drill-down rows as JSON, and back, without losing anything the panels use.

``report --format json`` (``Snapshot.to_json``) is for people and scripts: percentages' days as ISO
text, no history, no units. A view attached to ``serve`` must redraw exactly what a local one draws,
so this encoding keeps every field, instants as integer microseconds and days as ordinals, and
:func:`decode_snapshot` rebuilds equal :class:`~sellerpulse.core.snapshot.Snapshot` objects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from ..engine.drilldown import BadOutcome
from ..engine.weekly import WeekValue
from ..events import Rejection
from ..official_compare import Comparison
from ..snapshot import AccountSnapshot, LevelValue, MetricValue, QueueItem, QueueValue, Snapshot
from ..sources import SourceHealth

WIRE_VERSION = 1

_QUEUE_FIELDS = ("id", "name", "count", "overdue", "due_soon")
_ACCOUNT_FIELDS = ("account", "profile", "timezone", "day", "orphans", "orders_held", "marketplace")
_WEEK_FIELDS = ("week_from", "week_to", "value", "numerator", "denominator", "status", "partial")
_HEALTH_FIELDS = ("state", "last_error", "events", "rejected", "last_event_at", "detail")


class WireError(ValueError):
    """A document that is not this wire format; the message says where (a JSON path) and why."""


def _plain(record: Any) -> dict[str, Any]:
    """Every field of a flat snapshot record (a metric, a seller level), tuples as lists. Taken from the
    dataclass itself, so a field the engine adds is carried without a change here."""
    return {
        f.name: list(value) if isinstance(value := getattr(record, f.name), tuple) else value
        for f in dataclasses.fields(record)
    }


def encode_metric(metric: MetricValue) -> dict[str, Any]:
    return _plain(metric)


def encode_queue(queue: QueueValue) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(queue, name) for name in _QUEUE_FIELDS}
    out["items"] = [encode_queue_item(item) for item in queue.items]
    return out


def encode_queue_item(item: QueueItem) -> list[Any]:
    """``[ref, order_id, since, deadline]``: a list, because a queue screen can hold thousands."""
    return [item.ref, item.order_id, item.since, item.deadline]


def encode_account(acc: AccountSnapshot) -> dict[str, Any]:
    return {
        **{name: getattr(acc, name) for name in _ACCOUNT_FIELDS},
        "level": _plain(acc.level) if acc.level is not None else None,
        "metrics": {mid: encode_metric(m) for mid, m in acc.metrics.items()},
        "queues": {qid: encode_queue(q) for qid, q in acc.queues.items()},
        "weekly": {
            wid: [{name: getattr(w, name) for name in _WEEK_FIELDS} for w in weeks]
            for wid, weeks in acc.weekly.items()
        },
    }


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


def _record(cls: type, doc: Any, where: str) -> Any:
    """A flat record of ``cls`` from :func:`_plain`'s form: every field without a default is required,
    one with a default may be missing (sent by an older serve); lists become tuples again."""
    _need(doc, dict, where)
    known = dataclasses.fields(cls)
    required = [
        f.name for f in known if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    _fields(doc, required, where)
    values = {f.name: doc[f.name] for f in known if f.name in doc}
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def decode_metric(doc: Any, where: str = "metric") -> MetricValue:
    return _record(MetricValue, doc, where)


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
    values = _fields(doc, (*_ACCOUNT_FIELDS, "metrics", "queues", "weekly", "level"), where)
    level = values.pop("level")
    metrics = _need(values.pop("metrics"), dict, f"{where}.metrics")
    queues = _need(values.pop("queues"), dict, f"{where}.queues")
    weekly = _need(values.pop("weekly"), dict, f"{where}.weekly")
    return AccountSnapshot(
        **values,
        level=_record(LevelValue, level, f"{where}.level") if level is not None else None,
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


def encode_view(
    snapshot: Snapshot,
    health: Mapping[str, SourceHealth],
    alerts: list[dict[str, Any]],
    metric_ids: list[str],
    account_health: Iterable[Comparison] = (),
) -> dict[str, Any]:
    """What a dashboard draws at one instant: the document the stream keeps in step with patches.
    ``alerts`` are the alert manager's states (``AlertManager.states()``), already JSON;
    ``account_health`` Amazon's numbers beside ours (when a source read Amazon's Account Health)."""
    return {
        "version": WIRE_VERSION,
        "snapshot": encode_snapshot(snapshot),
        "health": encode_health(health),
        "alerts": alerts,
        "metric_ids": list(metric_ids),
        "account_health": [comparison.to_json() for comparison in account_health],
    }


def decode_account_health(doc: Any) -> list[Comparison]:
    """The comparisons of a view document (none from a serve that sends none)."""
    items = _need(_need(doc, dict, "view").get("account_health", []), list, "view.account_health")
    out = []
    for index, item in enumerate(items):
        try:
            out.append(Comparison.from_json(item))
        except (KeyError, TypeError, ValueError) as exc:
            raise WireError(f"view.account_health[{index}]: {type(exc).__name__}: {exc}") from None
    return out


def decode_view(doc: Any) -> tuple[Snapshot, dict[str, SourceHealth], list[dict[str, Any]], list[str]]:
    """The snapshot, source health, alert states and metric ids of a view document."""
    values = _fields(doc, ("version", "snapshot", "health", "alerts", "metric_ids"), "view")
    if values["version"] != WIRE_VERSION:
        raise WireError(f"view: wire version {values['version']!r}, this sellerpulse reads {WIRE_VERSION}")
    return (
        decode_snapshot(values["snapshot"], "view.snapshot"),
        decode_health(values["health"], "view.health"),
        list(_need(values["alerts"], list, "view.alerts")),
        [str(m) for m in _need(values["metric_ids"], list, "view.metric_ids")],
    )
