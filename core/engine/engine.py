"""The engine: routes validated events to per-account state and answers snapshots.

Accounts appear as events name them; each has its own time zone (its calendar days) and profile.
The engine touches no file and reads no clock (callers pass ``at``); it logs one warning, when the
account limit first turns an account away.

The number of accounts is bounded (``max_accounts``): an account costs about 25 KB before its first
order, and a file or API that names a new account on every row (a mistake or an attack) would otherwise
grow the engine, every snapshot and every saved state without end. Past the limit the events of a new
account are rejected, counted under :attr:`Engine.refusal` (the reason, in words) like the rows a source
could not read; accounts already held go on, and accounts the config names are always admitted.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from ..events import Event
from ..profile import Profile, builtin_profile
from ..snapshot import AccountSnapshot, QueueItem, RangeValue, Snapshot
from ..textsafe import clean
from ..timeutil import DayClock
from .account import AccountState
from .drilldown import BadOutcome, bad_outcomes
from .hashtable import new_seed
from .level import account_level
from .measure import measure_days, metric_value, queue_items, queue_value
from .weekly import weekly_values

# Ten times the accounts of a large multi-marketplace seller; at this many the engine holds about 25 MB
# before any order and a snapshot of every account takes about a quarter of a second.
DEFAULT_MAX_ACCOUNTS = 1000

log = logging.getLogger("sellerpulse.engine")


class Engine:
    def __init__(
        self,
        profile: Profile | None = None,
        timezone: str = "UTC",
        account_timezones: Mapping[str, str] | None = None,
        account_profiles: Mapping[str, Profile] | None = None,
        seed: int | None = None,
        max_accounts: int = DEFAULT_MAX_ACCOUNTS,
    ) -> None:
        if max_accounts < 1:
            raise ValueError(f"max_accounts must be at least 1, not {max_accounts}")
        self.profile = profile or builtin_profile("amazon")
        self.timezone = timezone
        self.account_timezones = dict(account_timezones or {})
        self.account_profiles = dict(account_profiles or {})
        DayClock(timezone)  # fail early on an unknown zone
        # the hash seed of every id table: random, so a source cannot craft ids that collide; saved
        # with the engine's state (``state_file``), since the tables' keys depend on it
        self.seed = new_seed() if seed is None else seed
        self._clocks: dict[str, DayClock] = {}
        self._accounts: dict[str, AccountState] = {}
        self.rejected: dict[str, int] = {}
        self.max_accounts = max_accounts
        # the rejection count of events of accounts past the limit, keyed by its reason
        self.refusal = f"account limit {max_accounts} reached; raise [general] max_accounts"
        self._refusal_logged = False
        self.applied = 0
        self.duplicates = 0

    @property
    def accounts(self) -> list[str]:
        return sorted(self._accounts)

    def account(self, name: str) -> AccountState:
        """The state of account ``name``, created if new (whatever the limit: events go through
        :meth:`ingest`, which keeps it)."""
        acc = self._accounts.get(name)
        if acc is None:
            zone = self.account_timezones.get(name, self.timezone)
            clock = self._clocks.get(zone)
            if clock is None:
                clock = self._clocks[zone] = DayClock(zone)
            profile = self.account_profiles.get(name, self.profile)
            acc = self._accounts[name] = AccountState(name, profile, clock, self.seed)
        return acc

    def apply(self, event: Event) -> bool:
        """Apply one event; False when it was a duplicate (same ``event_id`` in the account) or its
        account is one past the limit."""
        return self.ingest((event,)) == 1

    def ingest(self, events: Iterable[Event]) -> int:
        """Apply many events; returns how many were new."""
        before = self.applied
        accounts = self._accounts
        for event in events:
            acc = accounts.get(event.account) or self._admit(event.account)
            if acc is None:
                continue
            if acc.apply(event):
                self.applied += 1
            else:
                self.duplicates += 1
        return self.applied - before

    def admit(self, name: str) -> AccountState | None:
        """The state of the account an event names, or None when the account limit turns it away (the
        event then counted as rejected): what :meth:`ingest` does first with every event."""
        return self._accounts.get(name) or self._admit(name)

    def _admit(self, name: str) -> AccountState | None:
        """A new account's state, or None (and its event counted as rejected) past the limit."""
        if (
            len(self._accounts) < self.max_accounts
            or name in self.account_timezones
            or name in self.account_profiles
        ):
            return self.account(name)
        if not self._refusal_logged:  # once: a headless run has only its log to say why
            self._refusal_logged = True
            log.warning("%s: the events of account %s and of any further new account are rejected",
                        self.refusal, clean(repr(name)))  # fmt: skip
        self.rejected[self.refusal] = self.rejected.get(self.refusal, 0) + 1
        return None

    def note_rejections(self, source: str, count: int = 1) -> None:
        """Count rows a source could not read, so they show in every snapshot."""
        self.rejected[source] = self.rejected.get(source, 0) + count

    def snapshot(self, at: int, items: int = 20, history_days: int = 0, weekly: bool = False) -> Snapshot:
        """Every metric and queue of every account as of ``at`` (microseconds).

        ``items`` bounds the queue items carried (the counts are always complete); ``history_days``
        adds each metric's daily values for that many days before ``at``'s day; ``weekly`` adds the
        weekly customer-service figures (computed from the messages held, so asked for only by the
        views that show them).
        """
        accounts = {}
        for name, acc in sorted(self._accounts.items()):
            day = acc.days.day(at)
            metrics = {
                mid: metric_value(acc, spec, at, day, history_days)
                for mid, spec in acc.profile.metrics.items()
            }
            queues = {qid: queue_value(acc, qid, at, items) for qid in acc.queues}
            accounts[name] = AccountSnapshot(
                account=name,
                profile=acc.profile.name,
                timezone=acc.days.name,
                day=day,
                metrics=metrics,
                queues=queues,
                orphans=acc.orphan_count,
                orders_held=len(acc.orders),
                weekly=weekly_values(acc, at) if weekly else {},
                marketplace=acc.profile.marketplace,
                level=account_level(acc, at, day),
            )
        return Snapshot(at=at, accounts=accounts, rejected=dict(self.rejected))

    def queue_items(self, account: str, queue_id: str, at: int, limit: int | None = None) -> list[QueueItem]:
        """A queue's items by deadline (all of them when ``limit`` is None), for the full list view."""
        acc = self._accounts.get(account)
        if acc is None or queue_id not in acc.queues:
            return []
        return queue_items(acc, queue_id, limit)

    def bad_outcomes(
        self, account: str, metric_id: str, at: int, days: tuple[int, int] | None = None
    ) -> list[BadOutcome]:
        """The items behind a metric's bad outcomes in its current window, or attributed to the local
        days ``days`` (first, last ordinal) when given (O(items held))."""
        acc = self._accounts.get(account)
        if acc is None or metric_id not in acc.profile.metrics:
            return []
        return bad_outcomes(acc, acc.profile.metrics[metric_id], at, days)

    def range_value(
        self, account: str, metric_id: str, first_day: int, last_day: int, at: int
    ) -> RangeValue | None:
        """Metric ``metric_id`` of ``account`` over the account's local days ``first_day..last_day``
        (ordinals, inclusive) as of ``at``, instead of over its window: the measure to put beside a
        figure computed over another range, such as Amazon's own. None for an account or metric not
        held."""
        acc = self._accounts.get(account)
        spec = None if acc is None else acc.profile.metrics.get(metric_id)
        if acc is None or spec is None:
            return None
        value, numerator, denominator, _status, _headroom = measure_days(acc, spec, first_day, last_day, at)
        held = acc.series[metric_id].pop
        return RangeValue(
            metric_id,
            value,
            numerator,
            denominator,
            first_day,
            last_day,
            min(held, default=None),
            max(held, default=None),
        )
