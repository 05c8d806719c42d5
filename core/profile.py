"""Marketplace profiles: which metrics exist, with what windows, lags, thresholds and targets.

A profile is data (TOML), so a marketplace changing a rule is a config change, not a code change. The
engine knows *rules* (how an outcome is decided: a defect, a late shipment, ...); a profile binds metric
ids to rules with their windows and targets. Targets stay :class:`~decimal.Decimal` so status decisions
are exact.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

RULES = frozenset({
    "defect", "negative_feedback", "claim", "chargeback", "seller_cancel", "late_shipment",
    "valid_tracking", "on_time_delivery", "contact_response", "response_hours",
    "return_dissatisfaction", "refund", "perfect_order", "policy_violations", "feedback_score",
})  # fmt: skip
WEEKLY_RULES = frozenset({"cs_rating", "response_hours", "first_contact_resolution"})
# rules whose windows do not decide how long order state is kept: violations are their own records,
# and the feedback score keeps its day counts after the orders are gone
_OWN_RETENTION = frozenset({"policy_violations", "feedback_score"})
LIFETIME_FROM_DAY = 1  # the first day of a lifetime window: 0001-01-01
QUEUES = frozenset({
    "messages_awaiting_reply", "claims_awaiting_response", "returns_awaiting_response", "orders_to_ship",
})  # fmt: skip
DIRECTIONS = frozenset({"below", "above", "at_most"})
CHANNELS = frozenset({"MFN", "AFN", "any"})


class ProfileError(ValueError):
    """A profile or an override that cannot be used."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    id: str
    name: str
    rule: str
    window_days: int
    lag_days: int = 0
    channel: str = "MFN"
    direction: str | None = None
    target: Decimal | None = None
    warn: Decimal | None = None
    threshold_hours: int | None = None
    unit: str = "%"
    bad_noun: str = "bad outcome"
    lifetime: bool = False  # the window reaches back to the first day (``window_days`` unused)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    id: str
    name: str
    deadline_hours: int | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    marketplace: str
    due_soon_hours: int
    horizon_days: int
    metrics: Mapping[str, MetricSpec] = field(default_factory=dict)
    queues: Mapping[str, QueueSpec] = field(default_factory=dict)
    # weekly customer-service figures (``window_days`` = 7), for the current week and ``weeks_back`` before
    weekly: Mapping[str, MetricSpec] = field(default_factory=dict)
    weeks_back: int = 8

    @property
    def retention_days(self) -> int:
        """How long order state must be kept: the longest window + lag of any order metric, plus
        the horizon in which feedback and claims still arrive."""
        spans = [m.window_days + m.lag_days for m in self.metrics.values() if m.rule not in _OWN_RETENTION]
        return max(spans, default=0) + self.horizon_days

    def with_overrides(self, overrides: Mapping[str, Any]) -> Profile:
        """Apply a ``[profiles.NAME]`` config table (any value of any metric or queue)."""
        unknown = set(overrides) - {
            "metrics",
            "queues",
            "due_soon_hours",
            "horizon_days",
            "marketplace",
            "weekly",
        }
        if unknown:
            raise ProfileError(f"profile {self.name}: unknown key {sorted(unknown)[0]!r}")
        metrics = dict(self.metrics)
        for metric_id, values in (overrides.get("metrics") or {}).items():
            base = metrics.get(metric_id)
            merged = _metric_fields(base) if base else {}
            merged.update(values)
            metrics[metric_id] = _metric(metric_id, merged, self.name)
        weekly_overrides = dict(overrides.get("weekly") or {})
        weeks_back = weekly_overrides.pop("weeks_back", self.weeks_back)
        weekly = dict(self.weekly)
        for metric_id, values in (weekly_overrides.pop("metrics", None) or {}).items():
            base = weekly.get(metric_id)
            merged = _metric_fields(base) if base else {"window_days": 7}
            merged.update(values)
            weekly[metric_id] = _metric(metric_id, merged, self.name, WEEKLY_RULES)
        if weekly_overrides:
            raise ProfileError(f"profile {self.name}: unknown key {sorted(weekly_overrides)[0]!r} in weekly")
        queues = dict(self.queues)
        for queue_id, values in (overrides.get("queues") or {}).items():
            if queue_id not in queues:
                raise ProfileError(f"profile {self.name}: unknown queue {queue_id!r}")
            queues[queue_id] = _queue(queue_id, {**_queue_fields(queues[queue_id]), **values}, self.name)
        return replace(
            self,
            marketplace=str(overrides.get("marketplace", self.marketplace)),
            due_soon_hours=_int(
                overrides.get("due_soon_hours", self.due_soon_hours), "due_soon_hours", self.name
            ),
            horizon_days=_int(overrides.get("horizon_days", self.horizon_days), "horizon_days", self.name),
            metrics=metrics,
            queues=queues,
            weekly=weekly,
            weeks_back=_int(weeks_back, "weekly.weeks_back", self.name, minimum=1),
        )


def profile_from_mapping(data: Mapping[str, Any]) -> Profile:
    name = str(data.get("name", "")).strip()
    if not name:
        raise ProfileError("a profile needs a name")
    metrics = {mid: _metric(mid, values, name) for mid, values in (data.get("metrics") or {}).items()}
    queues = {qid: _queue(qid, values, name) for qid, values in (data.get("queues") or {}).items()}
    weekly_table = dict(data.get("weekly") or {})
    weekly = {
        mid: _metric(mid, {"window_days": 7, **values}, name, WEEKLY_RULES)
        for mid, values in (weekly_table.pop("metrics", None) or {}).items()
    }
    weeks_back = weekly_table.pop("weeks_back", 8)
    if weekly_table:
        raise ProfileError(f"profile {name}: unknown key {sorted(weekly_table)[0]!r} in weekly")
    return Profile(
        name=name,
        marketplace=str(data.get("marketplace", name)),
        due_soon_hours=_int(data.get("due_soon_hours", 4), "due_soon_hours", name),
        horizon_days=_int(data.get("horizon_days", 90), "horizon_days", name),
        metrics=metrics,
        queues=queues,
        weekly=weekly,
        weeks_back=_int(weeks_back, "weekly.weeks_back", name, minimum=1),
    )


def builtin_profile(name: str) -> Profile:
    """A profile shipped with the package (``core/profiles/NAME.toml``)."""
    try:
        text = resources.files(__package__).joinpath("profiles", f"{name}.toml").read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        raise ProfileError(f"unknown profile {name!r}") from None
    return profile_from_mapping(tomllib.loads(text))


def builtin_profile_names() -> list[str]:
    folder = resources.files(__package__).joinpath("profiles")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


_METRIC_KEYS = {
    "name", "rule", "window_days", "lag_days", "channel", "direction", "target", "warn",
    "threshold_hours", "unit", "bad_noun", "lifetime",
}  # fmt: skip


def _metric_fields(spec: MetricSpec) -> dict[str, Any]:
    return {k: getattr(spec, k) for k in _METRIC_KEYS}


def _queue_fields(spec: QueueSpec) -> dict[str, Any]:
    return {"name": spec.name, "deadline_hours": spec.deadline_hours}


def _metric(
    metric_id: str, values: Mapping[str, Any], profile: str, rules: frozenset[str] = RULES
) -> MetricSpec:
    where = f"profile {profile}, metric {metric_id}"
    unknown = set(values) - _METRIC_KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    rule = values.get("rule")
    if rule not in rules:
        raise ProfileError(f"{where}: unknown rule {rule!r}")
    direction = values.get("direction")
    if direction is not None and direction not in DIRECTIONS:
        raise ProfileError(f"{where}: direction must be below, above or at_most")
    channel = values.get("channel", "MFN")
    if channel not in CHANNELS:
        raise ProfileError(f"{where}: channel must be MFN, AFN or any")
    target = _decimal(values.get("target"), f"{where}: target")
    warn = _decimal(values.get("warn"), f"{where}: warn")
    if target is not None and direction is None:
        raise ProfileError(f"{where}: a target needs a direction")
    threshold = values.get("threshold_hours")
    lifetime = values.get("lifetime", False)
    if not isinstance(lifetime, bool):
        raise ProfileError(f"{where}: lifetime must be true or false")
    window = values.get("window_days", 1 if lifetime else None)
    return MetricSpec(
        id=metric_id,
        name=str(values.get("name", metric_id)),
        rule=rule,
        window_days=_int(window, f"metric {metric_id}: window_days", profile, minimum=1),
        lag_days=_int(values.get("lag_days", 0), f"metric {metric_id}: lag_days", profile),
        channel=channel,
        direction=direction if target is not None else None,
        target=target,
        warn=warn,
        threshold_hours=None if threshold is None else _int(threshold, "threshold_hours", profile, minimum=1),
        unit=str(values.get("unit", "%")),
        bad_noun=str(values.get("bad_noun", "bad outcome")),
        lifetime=lifetime,
    )


def _queue(queue_id: str, values: Mapping[str, Any], profile: str) -> QueueSpec:
    if queue_id not in QUEUES:
        raise ProfileError(f"profile {profile}: unknown queue {queue_id!r}")
    unknown = set(values) - {"name", "deadline_hours"}
    if unknown:
        raise ProfileError(f"profile {profile}, queue {queue_id}: unknown key {sorted(unknown)[0]!r}")
    hours = values.get("deadline_hours")
    return QueueSpec(
        id=queue_id,
        name=str(values.get("name", queue_id)),
        deadline_hours=None
        if hours is None
        else _int(hours, f"queue {queue_id}: deadline_hours", profile, minimum=1),
    )


def _decimal(value: Any, where: str) -> Decimal | None:
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise ProfileError(f'{where} must be a decimal string such as "0.01", not {value!r}') from None
    if not result.is_finite():
        raise ProfileError(f"{where} must be finite")
    return result


def _int(value: Any, what: str, profile: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ProfileError(f"profile {profile}: {what} must be a whole number >= {minimum}, not {value!r}")
    return value


def plural_noun(noun: str, count: int) -> str:
    """English plural of a profile's ``bad_noun`` ("defect", "late reply", "shipment without tracking")."""
    if count == 1:
        return noun
    head, sep, tail = noun, "", ""
    for joint in (" without ", " below ", " above ", " with ", " of "):
        if joint in noun:
            head, sep, tail = noun.partition(joint)
            break
    words = head.split(" ")
    last = words[-1]
    if last == "feedback":
        words[-1] = "feedback ratings"
    elif last.endswith("y") and len(last) > 1 and last[-2] not in "aeiou":
        words[-1] = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        words[-1] = last + "es"
    else:
        words[-1] = last + "s"
    return " ".join(words) + sep + tail
