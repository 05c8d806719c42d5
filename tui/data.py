"""What the dashboard reads, and nothing more: snapshots, source health, rejections, drill-down rows.

The UI never touches engine internals. :class:`DashboardData` is the narrow interface; two adapters
implement it: :class:`RuntimeData` over a running :class:`~sellerpulse.core.runtime.Runtime` (every
engine read under the runtime's lock, called from a worker thread so ingest never blocks keys), and
:class:`EngineData` over a still engine (tests, snapshots, replays).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from sellerpulse.core.clock import Clock
from sellerpulse.core.events import Rejection
from sellerpulse.core.official_compare import Comparison, compare
from sellerpulse.core.official_records import AccountHealth
from sellerpulse.core.snapshot import QueueItem, Snapshot
from sellerpulse.core.sources import SourceHealth
from sellerpulse.core.timeutil import TimeError, parse_instant

HISTORY_DAYS = 30  # daily values behind each panel's graph
QUEUE_ITEMS = 5  # next items per queue in a snapshot


@dataclass(frozen=True, slots=True)
class BadRow:
    """One order behind a metric's bad outcomes, as the drill-down shows it (plain strings and ints)."""

    order_id: str
    day: int  # attribution day ordinal
    reason: str
    when: int | None  # instant of the event that made it bad (us), if known


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One alert as the feed shows it: a rule's state for an account, and when it last changed."""

    at: int
    rule: str
    account: str
    state: str  # pending | firing | resolved | ok
    message: str
    silenced: bool = False
    acknowledged: bool = False
    inhibited: bool = False  # a warning whose breach fires (see sellerpulse.core.alerts.inhibit)


class DashboardData(Protocol):
    clock: Clock

    def snapshot(self, at: int, weekly: bool = False) -> Snapshot: ...
    def health(self) -> dict[str, SourceHealth]: ...
    def rejections(self, source: str) -> list[Rejection]: ...
    def bad_outcomes(self, account: str, metric_id: str, at: int) -> list[BadRow]: ...
    def queue_items(self, account: str, queue_id: str, at: int) -> list[QueueItem]: ...
    def alerts(self) -> list[AlertLine]: ...
    def note_input(self) -> None: ...
    def metric_ids(self) -> list[str]: ...
    def account_health(self, at: int) -> list[Comparison]: ...


AlertFeed = Callable[[], Sequence[Any]]


class AlertControl(Protocol):
    """What the alerts screen acts through: the alert manager (``acknowledge``, ``silence``)."""

    def acknowledge(self, rule: str, account: str | None = None) -> int: ...
    def silence(
        self, rule: str | None = None, account: str | None = None, duration: str | None = None
    ) -> int: ...


RESTORING = "saved state"  # the health entry shown while a saved state is restored


def _bad_row(item: Any) -> BadRow:
    """Accept the engine's bad-outcome records whatever their exact class (duck-typed fields)."""
    order_id = getattr(item, "order_id", None) or getattr(item, "key", None) or getattr(item, "ref", "") or ""
    return BadRow(
        order_id=str(order_id),
        day=int(getattr(item, "day", 0) or 0),
        reason=str(getattr(item, "reason", "") or ""),
        when=getattr(item, "when", None),
    )


def _field(item: Any, *names: str) -> Any:
    for name in names:
        value = item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)
        if value not in (None, ""):
            return value
    return None


def alert_line(item: Any) -> AlertLine:
    """Normalise an alert record from the alert feed: a mapping (``AlertManager.states()``) or an
    object with the same fields; instants may be ISO text or microseconds."""
    at = _field(item, "at", "since", "changed_at", "changed") or 0
    if isinstance(at, str):
        try:
            at = parse_instant(at)
        except TimeError:
            at = 0
    labels = _field(item, "labels") or {}
    account = _field(item, "account") or (labels.get("account") if isinstance(labels, Mapping) else None)
    return AlertLine(
        at=int(at),
        rule=str(_field(item, "rule", "name") or ""),
        account=str(account or ""),
        state=str(_field(item, "state") or ""),
        message=str(_field(item, "message", "summary") or ""),
        silenced=bool(_field(item, "silenced")),
        acknowledged=bool(_field(item, "acknowledged")),
        inhibited=bool(_field(item, "inhibited")),
    )


QUIET_STATES = frozenset({"ok", "inactive", "normal"})  # rules with nothing to say stay out of the feed


class EngineData:
    """A still engine (or any object with the engine's read methods) and an injected clock."""

    def __init__(
        self,
        engine: Any,
        clock: Clock,
        health: dict[str, SourceHealth] | None = None,
        rejections: dict[str, list[Rejection]] | None = None,
        alerts: AlertFeed | None = None,
        lock: AbstractContextManager[Any] | None = None,
        account_health: Callable[[], Sequence[AccountHealth]] | None = None,
        alert_control: AlertControl | None = None,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._health = dict(health or {})
        self._rejections = dict(rejections or {})
        self._alerts = alerts
        self._lock = lock if lock is not None else nullcontext()
        self._account_health = account_health or tuple
        self.alert_control = alert_control  # None: alerts are shown, not acted on (no manager here)

    def snapshot(self, at: int, weekly: bool = False) -> Snapshot:
        """The snapshot the panels draw; ``weekly`` adds the weekly customer-service figures (asked for
        by the customer-service screen only: they are computed from the messages held)."""
        with self._lock:
            return self.engine.snapshot(at, items=QUEUE_ITEMS, history_days=HISTORY_DAYS, weekly=weekly)

    def health(self) -> dict[str, SourceHealth]:
        return dict(self._health)

    def set_health(self, name: str, health: SourceHealth) -> None:
        self._health[name] = health

    def rejections(self, source: str) -> list[Rejection]:
        return list(self._rejections.get(source, ()))

    def bad_outcomes(self, account: str, metric_id: str, at: int) -> list[BadRow]:
        with self._lock:
            return [_bad_row(item) for item in self.engine.bad_outcomes(account, metric_id, at)]

    def queue_items(self, account: str, queue_id: str, at: int) -> list[QueueItem]:
        with self._lock:
            return list(self.engine.queue_items(account, queue_id, at))

    def note_input(self) -> None:
        """An operator pressed a key: nothing to make way for in a still engine."""

    def metric_ids(self) -> list[str]:
        """The metrics of the engine's profile, known before any data: the dashboard builds their
        panels up front instead of in the middle of the first refresh, under load."""
        profile = getattr(self.engine, "profile", None)
        return list(getattr(profile, "metrics", None) or ())

    def metric_rules(self, account: str | None = None) -> dict[str, str]:
        """Metric id -> rule, in profile order, of the profile that judges ``account`` (None: the
        engine's default profile): the dashboard groups an account's panels by what they measure."""
        profiles = getattr(self.engine, "account_profiles", None) or {}
        profile = profiles.get(account) or getattr(self.engine, "profile", None)
        metrics = getattr(profile, "metrics", None) or {}
        return {mid: spec.rule for mid, spec in metrics.items()}

    def account_health(self, at: int) -> list[Comparison]:
        """Amazon's numbers (the latest Account Health records) beside ours over Amazon's ranges."""
        records = self._account_health()
        if not records:
            return []
        with self._lock:
            return compare(self.engine, records, at)

    def alerts(self) -> list[AlertLine]:
        if self._alerts is None:
            return []
        lines = [alert_line(item) for item in self._alerts()]
        return [line for line in lines if line.state not in QUIET_STATES]


class RuntimeData(EngineData):
    """A running :class:`~sellerpulse.core.runtime.Runtime`: engine reads under its lock, health and
    rejections from its sources."""

    def __init__(
        self,
        runtime: Any,
        clock: Clock | None = None,
        alerts: AlertFeed | None = None,
        restoring: Callable[[], SourceHealth | None] | None = None,
        alert_control: AlertControl | None = None,
    ) -> None:
        lock: AbstractContextManager[Any] = getattr(runtime, "lock", None) or threading.Lock()
        super().__init__(
            runtime.engine,
            clock or runtime.clock,
            alerts=alerts,
            lock=lock,
            account_health=runtime.account_health,
            alert_control=alert_control,
        )
        self.runtime = runtime
        self._restoring = restoring  # the saved state's progress while it is restored (see Checkpointer)

    def note_input(self) -> None:
        """Ask the runtime to give way: ingest pauses between slices for a moment after each key."""
        self.runtime.note_input()

    def health(self) -> dict[str, SourceHealth]:
        """The sources' health; while a saved state is restored, a "saved state" entry says so (the
        numbers on screen are still climbing to the truth)."""
        out = dict(self.runtime.health())
        restoring = self._restoring() if self._restoring is not None else None
        if restoring is not None:
            out[RESTORING] = restoring
        return out

    def rejections(self, source: str) -> list[Rejection]:
        try:
            return list(self.runtime.source(source).recent_rejections())
        except KeyError:
            return []
