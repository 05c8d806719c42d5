"""Alert rules: parsed and validated from ``[[alerts]]`` tables, and the defaults of a profile.

A rule names one subject (``metric``, ``queue`` or ``source``; ``"*"`` for every queue or source) and
one condition on it, plus the timing of its state machine (``for``, ``keep_firing_for``, ``repeat``),
where its notifications go (``sinks``) and how loud they are (``severity``). Observing a rule against a
snapshot yields one :class:`Observation` per *instance*: per account and metric, per account and queue,
per source. Errors name the rule and the key, with the closest valid key for a typo.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ..profile import Profile
from ..snapshot import Snapshot
from ..sources import SourceHealth
from ..suggest import closest
from .conditions import (
    Check,
    ForecastCondition,
    HeadroomCondition,
    QueueCondition,
    SourceCondition,
    StatusCondition,
    ThresholdCondition,
)
from .durations import DurationError, parse_duration

SEVERITIES = ("info", "warning", "critical")
POLICIES = {"no_data": ("ok", "keep", "alert"), "error": ("ok", "keep", "alert")}
HOUR = 3600 * 1_000_000

_COMMON = {
    "name", "description", "for", "keep_firing_for", "repeat", "min_population", "accounts", "sinks",
    "severity", "no_data", "error", "profiles",
}  # fmt: skip
_BY_SUBJECT = {
    "metric": {"metric", "status", "above", "below", "recover", "headroom_at_most", "forecast_days"},
    "queue": {"queue", "older_than", "due_within", "overdue", "count_above", "at_least"},
    "source": {"source", "silent_for", "failing", "rejected_rate_above"},
}
_ALL_KEYS = _COMMON.union(*_BY_SUBJECT.values())


class RuleError(ValueError):
    """An ``[[alerts]]`` table that cannot be used; the message names the rule and the key."""


@dataclass(frozen=True, slots=True)
class Observation:
    """One instance of a rule as seen now: its labels, whether its condition holds, and why."""

    rule: str
    labels: dict[str, str]
    active: bool | None  # None: no data
    value: str | None = None
    summary: str = ""
    error: str | None = None
    details: dict[str, Any] | None = None

    @property
    def key(self) -> str:
        return labels_key(self.labels)


def labels_key(labels: Mapping[str, str]) -> str:
    """The canonical text of a label set: the deduplication key of an instance within its rule."""
    return json.dumps(dict(sorted(labels.items())), separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    subject: str  # "metric" | "queue" | "source"
    target: str  # metric id, queue id or source name; "*" for every queue or source
    condition: Any
    for_: int = 0
    keep_firing_for: int = 0
    repeat: int = 4 * HOUR
    min_population: int = 0
    accounts: tuple[str, ...] | None = None  # None: every account
    profiles: tuple[str, ...] | None = None  # None: accounts of every profile
    sinks: tuple[str, ...] | None = None  # None: every configured sink
    severity: str = "warning"
    no_data: str = "ok"
    error: str = "keep"
    description: str = ""
    settings: dict[str, Any] = field(default_factory=dict, compare=False)  # the table as given

    def observe(
        self,
        snapshot: Snapshot,
        sources: Mapping[str, SourceHealth],
        now: int,
        was_active: Callable[[dict[str, str]], bool],
    ) -> list[Observation]:
        """Every instance of this rule in ``snapshot`` (and ``sources``), judged now."""
        if self.subject == "source":
            return self._observe_sources(sources, now)
        out: list[Observation] = []
        for account in sorted(snapshot.accounts):
            if self.accounts is not None and account not in self.accounts:
                continue
            acc = snapshot.accounts[account]
            if self.profiles is not None and acc.profile not in self.profiles:
                continue
            if self.subject == "metric":
                labels = {"account": account, "metric": self.target}
                metric = acc.metrics.get(self.target)
                if metric is None:
                    error = f"account {account} (profile {acc.profile}) has no metric {self.target!r}"
                    out.append(Observation(self.name, labels, None, error=error, summary=error))
                    continue
                if metric.denominator is not None and metric.denominator < self.min_population:
                    summary = f"{metric.name}: population {metric.denominator} < {self.min_population}"
                    out.append(Observation(self.name, labels, None, summary=summary))
                    continue
                out.append(
                    self._observation(labels, self.condition.check(metric, was_active(labels), acc.day))
                )
                continue
            queue_ids = sorted(acc.queues) if self.target == "*" else [self.target]
            for queue_id in queue_ids:
                labels = {"account": account, "queue": queue_id}
                queue = acc.queues.get(queue_id)
                if queue is None:
                    error = f"account {account} (profile {acc.profile}) has no queue {queue_id!r}"
                    out.append(Observation(self.name, labels, None, error=error, summary=error))
                    continue
                out.append(self._observation(labels, self.condition.check(queue, snapshot.at)))
        return out

    def _observe_sources(self, sources: Mapping[str, SourceHealth], now: int) -> list[Observation]:
        names = sorted(sources) if self.target == "*" else [self.target]
        out = []
        for name in names:
            labels = {"source": name}
            health = sources.get(name)
            if health is None:
                out.append(Observation(self.name, labels, None, summary=f"source {name} is not running"))
                continue
            out.append(
                self._observation(labels, self.condition.check(name, health, now, self.min_population))
            )
        return out

    def _observation(self, labels: dict[str, str], check: Check) -> Observation:
        return Observation(self.name, labels, check.active, check.value, check.summary, details=check.details)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            self.subject: self.target,
            "condition": type(self.condition).__name__,
            "severity": self.severity,
            "for": self.for_,
            "keep_firing_for": self.keep_firing_for,
            "repeat": self.repeat,
            "sinks": list(self.sinks) if self.sinks is not None else None,
            "settings": self.settings,
        }


def parse_rules(tables: Iterable[Mapping[str, Any]]) -> list[Rule]:
    """Validate ``[[alerts]]`` tables; every problem of every rule is reported at once."""
    rules: list[Rule] = []
    problems: list[str] = []
    seen: set[str] = set()
    for index, table in enumerate(tables, start=1):
        try:
            rule = parse_rule(table, index)
        except RuleError as exc:
            problems.append(str(exc))
            continue
        if rule.name in seen:
            problems.append(f"alert rule {rule.name!r} (#{index}): the name is used by an earlier rule")
        seen.add(rule.name)
        rules.append(rule)
    if problems:
        raise RuleError("\n".join(problems))
    return rules


def parse_rule(table: Mapping[str, Any], index: int = 1) -> Rule:
    """One ``[[alerts]]`` table -> :class:`Rule`; ``index`` (1-based) names a rule without a name."""
    name = table.get("name")
    where = f"alert rule {name!r} (#{index})" if isinstance(name, str) and name else f"alert rule #{index}"
    if not isinstance(name, str) or not name.strip():
        raise RuleError(f"{where}: key 'name': every rule needs a name")
    for key in table:
        if key not in _ALL_KEYS:
            hint = closest(str(key), _ALL_KEYS)
            raise RuleError(f"{where}: unknown key {key!r}" + (f"; did you mean {hint!r}?" if hint else ""))
    subjects = [s for s in ("metric", "queue", "source") if s in table]
    if len(subjects) != 1:
        raise RuleError(f"{where}: give exactly one of 'metric', 'queue' or 'source'")
    subject = subjects[0]
    for key in table:
        if key not in _COMMON and key not in _BY_SUBJECT[subject]:
            raise RuleError(f"{where}: key {key!r} does not apply to a {subject} rule")
    target = _text(table, subject, where)
    if subject == "metric" and target == "*":
        raise RuleError(f"{where}: key 'metric': name one metric (\"*\" is for queues and sources)")
    reader = _Reader(table, where)
    condition = {"metric": _metric_condition, "queue": _queue_condition, "source": _source_condition}[
        subject
    ](reader)
    severity = reader.choice("severity", SEVERITIES, "warning")
    return Rule(
        name=name.strip(),
        subject=subject,
        target=target,
        condition=condition,
        for_=reader.duration("for", 0),
        keep_firing_for=reader.duration("keep_firing_for", 0),
        repeat=reader.duration("repeat", 4 * HOUR),
        min_population=reader.integer("min_population", 0),
        accounts=reader.names("accounts"),
        profiles=reader.names("profiles"),
        sinks=reader.names("sinks"),
        severity=severity,
        no_data=reader.choice("no_data", POLICIES["no_data"], "ok"),
        error=reader.choice("error", POLICIES["error"], "keep"),
        description=str(table.get("description", "")),
        settings=dict(table),
    )


def _metric_condition(r: _Reader) -> Any:
    kinds = [k for k in ("status", "above", "below", "headroom_at_most", "forecast_days") if k in r.table]
    if len(kinds) != 1:
        raise RuleError(
            f"{r.where}: a metric rule needs exactly one of 'status', 'above', 'below', 'headroom_at_most', "
            "'forecast_days'"
        )
    kind = kinds[0]
    if kind == "status":
        return StatusCondition(r.choice("status", ("warning", "breach"), None), r.decimal("recover"))
    if kind in ("above", "below"):
        level = r.decimal(kind)
        recover = r.decimal("recover")
        if recover is None:
            recover = level
        elif (kind == "above" and recover > level) or (kind == "below" and recover < level):
            side = "at or below" if kind == "above" else "at or above"
            raise RuleError(f"{r.where}: key 'recover': must be {side} the {kind} level {level}")
        return ThresholdCondition(kind, level, recover)
    if kind == "headroom_at_most":
        at_most = r.integer("headroom_at_most", None)
        recover = r.integer("recover", at_most + 1)
        if recover <= at_most:
            raise RuleError(f"{r.where}: key 'recover': a headroom rule recovers above {at_most}")
        return HeadroomCondition(at_most, recover)
    if "recover" in r.table:
        raise RuleError(f"{r.where}: key 'recover' does not apply to a forecast rule")
    return ForecastCondition(r.integer("forecast_days", None, minimum=1))


def _queue_condition(r: _Reader) -> QueueCondition:
    kinds = [k for k in ("older_than", "due_within", "overdue", "count_above") if k in r.table]
    if len(kinds) != 1:
        raise RuleError(
            f"{r.where}: a queue rule needs exactly one of 'older_than', 'due_within', 'overdue', 'count_above'"
        )
    kind = kinds[0]
    at_least = r.integer("at_least", 1, minimum=1)
    if kind == "overdue":
        if r.table["overdue"] is not True:
            raise RuleError(f"{r.where}: key 'overdue': write overdue = true")
        return QueueCondition("overdue", 0, at_least)
    if kind == "count_above":
        return QueueCondition("count_above", r.integer("count_above", None), at_least)
    return QueueCondition(kind, r.duration(kind, None), at_least)


def _source_condition(r: _Reader) -> SourceCondition:
    kinds = [k for k in ("silent_for", "failing", "rejected_rate_above") if k in r.table]
    if len(kinds) != 1:
        raise RuleError(
            f"{r.where}: a source rule needs exactly one of 'silent_for', 'failing', 'rejected_rate_above'"
        )
    kind = kinds[0]
    if kind == "failing":
        if r.table["failing"] is not True:
            raise RuleError(f"{r.where}: key 'failing': write failing = true")
        return SourceCondition("failing")
    if kind == "silent_for":
        return SourceCondition("silent_for", duration=r.duration("silent_for", None))
    return SourceCondition("rejected_rate_above", level=r.decimal("rejected_rate_above"))


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(f"{where}: key {key!r}: expected a name, got {value!r}")
    return value.strip()


class _Reader:
    """Typed reads of one rule table with errors that name the rule and the key."""

    def __init__(self, table: Mapping[str, Any], where: str) -> None:
        self.table = table
        self.where = where

    def _fail(self, key: str, message: str) -> RuleError:
        return RuleError(f"{self.where}: key {key!r}: {message}")

    def duration(self, key: str, default: int | None) -> int:
        if key not in self.table:
            if default is None:
                raise self._fail(key, "required")
            return default
        try:
            return parse_duration(self.table[key])
        except DurationError as exc:
            raise self._fail(key, str(exc)) from None

    def integer(self, key: str, default: int | None, minimum: int = 0) -> int:
        value = self.table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self._fail(key, f"expected a whole number >= {minimum}, got {value!r}")
        return value

    def decimal(self, key: str) -> Decimal | None:
        value = self.table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self._fail(key, f'expected a decimal such as "0.01", got {value!r}')
        try:
            result = Decimal(repr(value) if isinstance(value, float) else str(value))
        except InvalidOperation:
            raise self._fail(key, f'expected a decimal such as "0.01", got {value!r}') from None
        if not result.is_finite():
            raise self._fail(key, "must be finite")
        return result

    def choice(self, key: str, choices: tuple[str, ...], default: str | None) -> str:
        value = self.table.get(key, default)
        if value not in choices:
            hint = closest(str(value), choices) if isinstance(value, str) else None
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise self._fail(key, f"{value!r} is not one of {', '.join(choices)}{extra}")
        return value

    def names(self, key: str) -> tuple[str, ...] | None:
        value = self.table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise self._fail(key, f"expected a list of names, got {value!r}")
        return tuple(value)


# Queue rules of the issue: act before the marketplace's deadline, not after it.
_QUEUE_DEFAULTS = (
    {"name": "message-unanswered-20h", "queue": "messages_awaiting_reply", "older_than": "20h"},
    {"name": "claim-unanswered-36h", "queue": "claims_awaiting_response", "older_than": "36h"},
    {"name": "return-unanswered-40h", "queue": "returns_awaiting_response", "older_than": "40h"},
    {"name": "orders-ship-within-2h", "queue": "orders_to_ship", "due_within": "2h"},
)


def default_rules(profile: Profile, *others: Profile) -> list[Rule]:
    """The rules that apply when the config has no ``[[alerts]]``: a warning and a breach rule for every
    metric with a target, headroom and forecast early warnings on ODR, the queue deadlines and the
    sources' health. Rates need a population of 20 before they page anyone.

    ``others``: the profiles of the config's other accounts (other marketplaces). Each metric or queue
    rule then names the profiles that have its metric (with a target) or queue, and judges only their
    accounts: a Walmart account is never asked for ODR, and Walmart's refund rate (a target) gets its
    rule even though Amazon's refund rate (none) has the same id. One id, one rule name."""
    named: dict[str, Profile] = {}
    for each in (profile, *others):
        named.setdefault(each.name, each)  # a profile several accounts name counts once
    profiles = list(named.values())
    several = len(profiles) > 1

    def scoped(table: dict[str, Any], having: list[Profile]) -> dict[str, Any]:
        return {**table, "profiles": [p.name for p in having]} if several else table

    def with_target(metric_id: str) -> list[Profile]:
        return [p for p in profiles if metric_id in p.metrics and p.metrics[metric_id].target is not None]

    tables: list[dict[str, Any]] = []
    metric_ids = dict.fromkeys(mid for p in profiles for mid in p.metrics)
    for metric_id in metric_ids:
        having = with_target(metric_id)
        if not having:
            continue
        spec = having[0].metrics[metric_id]
        population = 0 if spec.unit == "count" else 20  # a count (violations) pages at one
        warned = [p for p in having if p.metrics[metric_id].warn is not None]
        if warned:
            tables.append(scoped({
                "name": f"{metric_id}-warning", "metric": metric_id, "status": "warning", "for": "10m",
                "keep_firing_for": "30m", "repeat": "12h", "min_population": population, "severity": "warning",
            }, warned))  # fmt: skip
        tables.append(scoped({
            "name": f"{metric_id}-breach", "metric": metric_id, "status": "breach", "for": "10m",
            "keep_firing_for": "30m", "repeat": "4h", "min_population": population, "severity": "critical",
        }, having))  # fmt: skip
    for metric_id in ("odr", "odr_recent"):
        if having := with_target(metric_id):
            tables.append(scoped({
                "name": f"{metric_id}-headroom", "metric": metric_id, "headroom_at_most": 1, "for": "10m",
                "repeat": "24h", "min_population": 20, "severity": "warning",
            }, having))  # fmt: skip
    if having := with_target("odr"):
        tables.append(scoped({
            "name": "odr-forecast", "metric": "odr", "forecast_days": 7, "for": "1h", "keep_firing_for": "6h",
            "repeat": "24h", "min_population": 100, "severity": "warning",
        }, having))  # fmt: skip
    for table in _QUEUE_DEFAULTS:
        if having := [p for p in profiles if table["queue"] in p.queues]:
            tables.append(scoped({**table, "repeat": "4h", "severity": "warning"}, having))
    tables.append(
        {"name": "queue-overdue", "queue": "*", "overdue": True, "repeat": "4h", "severity": "critical"}
    )
    tables.append(
        {"name": "source-failing", "source": "*", "failing": True, "for": "5m", "severity": "critical"}
    )
    tables.append({"name": "source-silent", "source": "*", "silent_for": "6h", "severity": "warning"})
    tables.append({
        "name": "source-rejects", "source": "*", "rejected_rate_above": "0.05", "min_population": 100,
        "severity": "warning",
    })  # fmt: skip
    return parse_rules(tables)
