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
    "case_lost", "transaction_defect", "late_delivery",
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
# rules whose metric may filter the refunds it counts by the refund's reason
REASON_RULES = frozenset({"refund"})
CHANNELS = frozenset({"MFN", "AFN", "any"})


class ProfileError(ValueError):
    """A profile or an override that cannot be used."""


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    """A window chosen by volume: ``short_days`` while at least ``min_orders`` orders (of ``channel``)
    were placed in the last ``short_days``, else ``long_days``. A small seller is judged over a longer
    stretch, so that two bad orders do not decide a month (eBay's evaluation period)."""

    id: str
    short_days: int
    long_days: int
    min_orders: int
    channel: str = "any"


@dataclass(frozen=True, slots=True)
class Threshold:
    """One bound of a ladder level on one metric. ``allowed_count``: the bound is missed only when the
    rate misses ``target`` *and* more than this many bad outcomes were counted."""

    metric: str
    direction: str
    target: Decimal
    allowed_count: int | None = None


@dataclass(frozen=True, slots=True)
class LevelSpec:
    """A rung of a seller-level ladder: held while every threshold holds."""

    id: str
    name: str
    thresholds: tuple[Threshold, ...] = ()


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
    # a rate past its target is a breach only when more than this many bad outcomes were counted
    allowed_count: int | None = None
    # refund rules: only refunds with one of these reasons count (None: every refund)
    reasons: tuple[str, ...] | None = None
    # the window is chosen by volume (``window_days`` is then the period's longest, for retention)
    period: PeriodSpec | None = None


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
    periods: Mapping[str, PeriodSpec] = field(default_factory=dict)
    # seller levels, best first; the last is the floor a seller falls to (it has no thresholds)
    ladder: tuple[LevelSpec, ...] = ()

    @property
    def retention_days(self) -> int:
        """How long order state must be kept: the longest window + lag of any order metric, plus
        the horizon in which feedback and claims still arrive."""
        spans = [m.window_days + m.lag_days for m in self.metrics.values() if m.rule not in _OWN_RETENTION]
        return max(spans, default=0) + self.horizon_days

    def with_overrides(self, overrides: Mapping[str, Any]) -> Profile:
        """Apply a ``[profiles.NAME]`` config table (any value of any metric, queue, period or level)."""
        unknown = set(overrides) - {
            "metrics",
            "queues",
            "due_soon_hours",
            "horizon_days",
            "marketplace",
            "weekly",
            "periods",
            "ladder",
        }
        if unknown:
            raise ProfileError(f"profile {self.name}: unknown key {sorted(unknown)[0]!r}")
        periods = dict(self.periods)
        for period_id, values in (overrides.get("periods") or {}).items():
            base = periods.get(period_id)
            merged = _period_fields(base) if base else {}
            merged.update(values)
            periods[period_id] = _period(period_id, merged, self.name)
        # a metric judged over a period follows the period's new values
        metrics = {
            mid: replace(m, period=periods[m.period.id], window_days=periods[m.period.id].long_days)
            if m.period
            else m
            for mid, m in self.metrics.items()
        }
        for metric_id, values in (overrides.get("metrics") or {}).items():
            base = metrics.get(metric_id)
            merged = _metric_fields(base) if base else {}
            merged.update(values)
            metrics[metric_id] = _metric(metric_id, merged, self.name, periods=periods)
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
        levels = {level.id: _level_fields(level) for level in self.ladder}
        for level_id, values in (overrides.get("ladder") or {}).items():
            if level_id not in levels:
                raise ProfileError(f"profile {self.name}: unknown ladder level {level_id!r}")
            merged = dict(levels[level_id])
            merged["metrics"] = {**merged["metrics"]}
            for key, value in values.items():
                if key == "metrics":
                    for mid, bound in value.items():
                        merged["metrics"][mid] = {**merged["metrics"].get(mid, {}), **bound}
                else:
                    merged[key] = value
            levels[level_id] = merged
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
            periods=periods,
            ladder=_ladder(levels, metrics, self.name),
        )


def profile_from_mapping(data: Mapping[str, Any]) -> Profile:
    name = str(data.get("name", "")).strip()
    if not name:
        raise ProfileError("a profile needs a name")
    periods = {pid: _period(pid, values, name) for pid, values in (data.get("periods") or {}).items()}
    metrics = {
        mid: _metric(mid, values, name, periods=periods)
        for mid, values in (data.get("metrics") or {}).items()
    }
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
        periods=periods,
        ladder=_ladder(data.get("ladder") or {}, metrics, name),
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
    "threshold_hours", "unit", "bad_noun", "lifetime", "allowed_count", "reasons", "period",
}  # fmt: skip


def _metric_fields(spec: MetricSpec) -> dict[str, Any]:
    fields = {k: getattr(spec, k) for k in _METRIC_KEYS - {"period", "reasons"}}
    if spec.period is not None:
        fields["period"] = spec.period.id
        del fields["window_days"]  # the period's
    if spec.reasons is not None:
        fields["reasons"] = list(spec.reasons)
    return fields


def _queue_fields(spec: QueueSpec) -> dict[str, Any]:
    return {"name": spec.name, "deadline_hours": spec.deadline_hours}


def _period_fields(spec: PeriodSpec) -> dict[str, Any]:
    return {
        "short_days": spec.short_days,
        "long_days": spec.long_days,
        "min_orders": spec.min_orders,
        "channel": spec.channel,
    }


def _level_fields(level: LevelSpec) -> dict[str, Any]:
    return {
        "name": level.name,
        "metrics": {
            t.metric: {"direction": t.direction, "target": t.target, "allowed_count": t.allowed_count}
            for t in level.thresholds
        },
    }


def _metric(
    metric_id: str,
    values: Mapping[str, Any],
    profile: str,
    rules: frozenset[str] = RULES,
    periods: Mapping[str, PeriodSpec] | None = None,
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
    allowed = values.get("allowed_count")
    if allowed is not None:
        allowed = _int(allowed, f"metric {metric_id}: allowed_count", profile)
        if target is None:
            raise ProfileError(f"{where}: allowed_count needs a target")
    period = _period_of(values, periods, where, lifetime)
    window = period.long_days if period else values.get("window_days", 1 if lifetime else None)
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
        allowed_count=allowed,
        reasons=_reasons(values.get("reasons"), rule, where),
        period=period,
    )


def _period_of(
    values: Mapping[str, Any], periods: Mapping[str, PeriodSpec] | None, where: str, lifetime: bool
) -> PeriodSpec | None:
    period_id = values.get("period")
    if period_id is None:
        return None
    period = (periods or {}).get(period_id)
    if period is None:
        raise ProfileError(f"{where}: unknown period {period_id!r}")
    if "window_days" in values or lifetime:
        raise ProfileError(f"{where}: a metric with a period takes its window from it (no window_days)")
    return period


def _reasons(value: Any, rule: str, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if rule not in REASON_RULES:
        raise ProfileError(f"{where}: reasons filter only the rules {', '.join(sorted(REASON_RULES))}")
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(r, str) and r.strip() == r and r for r in value)
    ):
        raise ProfileError(f"{where}: reasons must be a non-empty list of reason words, not {value!r}")
    return tuple(sorted({reason.lower() for reason in value}))  # as events carry them (lower case)


def _period(period_id: str, values: Mapping[str, Any], profile: str) -> PeriodSpec:
    where = f"period {period_id}"
    unknown = set(values) - {"short_days", "long_days", "min_orders", "channel"}
    if unknown:
        raise ProfileError(f"profile {profile}, {where}: unknown key {sorted(unknown)[0]!r}")
    short = _int(values.get("short_days"), f"{where}: short_days", profile, minimum=1)
    long = _int(values.get("long_days"), f"{where}: long_days", profile, minimum=1)
    if long < short:
        raise ProfileError(f"profile {profile}, {where}: long_days must be at least short_days")
    channel = values.get("channel", "any")
    if channel not in CHANNELS:
        raise ProfileError(f"profile {profile}, {where}: channel must be MFN, AFN or any")
    return PeriodSpec(
        id=period_id,
        short_days=short,
        long_days=long,
        min_orders=_int(values.get("min_orders"), f"{where}: min_orders", profile),
        channel=channel,
    )


def _ladder(
    levels: Mapping[str, Any], metrics: Mapping[str, MetricSpec], profile: str
) -> tuple[LevelSpec, ...]:
    """Levels best first, as listed; the last is the floor and takes no thresholds."""
    out = []
    for n, (level_id, values) in enumerate(levels.items()):
        where = f"profile {profile}, ladder level {level_id}"
        if not isinstance(values, Mapping):
            raise ProfileError(f"{where}: must be a table")
        unknown = set(values) - {"name", "metrics"}
        if unknown:
            raise ProfileError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        thresholds = []
        for metric_id, bound in (values.get("metrics") or {}).items():
            spec = metrics.get(metric_id)
            if spec is None:
                raise ProfileError(f"{where}: unknown metric {metric_id!r}")
            unknown = set(bound) - {"direction", "target", "allowed_count"}
            if unknown:
                raise ProfileError(f"{where}, metric {metric_id}: unknown key {sorted(unknown)[0]!r}")
            direction = bound.get("direction", spec.direction)
            if direction not in DIRECTIONS:
                raise ProfileError(f"{where}, metric {metric_id}: direction must be below, above or at_most")
            target = _decimal(bound.get("target"), f"{where}, metric {metric_id}: target")
            if target is None:
                raise ProfileError(f"{where}, metric {metric_id}: a threshold needs a target")
            allowed = bound.get("allowed_count")
            thresholds.append(
                Threshold(
                    metric=metric_id,
                    direction=direction,
                    target=target,
                    allowed_count=None
                    if allowed is None
                    else _int(allowed, f"ladder {level_id}, {metric_id}: allowed_count", profile),
                )
            )
        if n == len(levels) - 1 and thresholds:
            raise ProfileError(f"{where}: the last level is the floor and takes no thresholds")
        out.append(
            LevelSpec(id=level_id, name=str(values.get("name", level_id)), thresholds=tuple(thresholds))
        )
    if len(out) == 1:
        raise ProfileError(f"profile {profile}: a ladder needs at least two levels")
    return tuple(out)


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
