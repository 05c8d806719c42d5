"""The alert manager: evaluates rules against snapshots and queues notifications for the sinks.

Call :meth:`AlertManager.evaluate` on a timer and after a batch import (never per event): it observes
every rule, masks the secrets in each observation (:mod:`.redact`: this is where alert text is made),
steps every instance's state machine, and writes the instances, the notification log and the outbox in
one SQLite transaction, then wakes the dispatcher. Every read for the UI (:meth:`recent`,
:meth:`states`, :meth:`failures`) returns plain data and is safe from any thread.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from ..clock import Clock
from ..remedies import Remedy, RemedyError, remedies_for
from ..snapshot import Snapshot
from ..sources import SourceHealth
from ..timeutil import format_instant
from .dispatcher import Dispatcher
from .durations import parse_duration
from .inhibit import inhibitors, inhibitors_first
from .redact import Redactor
from .rules import Observation, Rule, RuleError, labels_key
from .sink import Sink
from .state import Instance, Notice, step
from .store import Silence, Store

log = logging.getLogger("sellerpulse.alerts")

# profile name -> its remedies (metric id -> Remedy); see :mod:`sellerpulse.core.remedies`
RemedyLookup = Callable[[str], Mapping[str, Remedy]]


class AlertManager:
    def __init__(
        self,
        rules: Iterable[Rule],
        store: Store,
        sinks: Mapping[str, Sink],
        clock: Clock,
        group_wait: float = 1.0,
        remedies: RemedyLookup | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        """``secrets`` are the configured ones (:attr:`sellerpulse.core.config.Config.secrets`): masked in
        every notification, instance and delivery error, as are URL passwords and query secrets."""
        self.rules = list(rules)
        self.redactor = Redactor(secrets)
        # a metric's notification carries the actions that fix it (the shipped remedies by default)
        self.remedies: RemedyLookup = remedies or remedies_for
        self.store = store
        self.sinks = dict(sinks)
        self.clock = clock
        problems = [
            f"alert rule {rule.name!r}: key 'sinks': no sink named {name!r} is configured "
            f"(configured: {', '.join(sorted(self.sinks)) or 'none'})"
            for rule in self.rules
            for name in rule.sinks or ()
            if name not in self.sinks
        ]
        if problems:
            raise RuleError("\n".join(problems))
        self.dispatcher = Dispatcher(store, self.sinks, group_wait=group_wait, redactor=self.redactor)
        # a breach inhibits its own warning (see :mod:`.inhibit`): breach rules are judged first
        self.inhibited_by = inhibitors(self.rules)
        self._order = inhibitors_first(self.rules, self.inhibited_by)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Start delivering (including what a previous run left in the outbox)."""
        self.dispatcher.start()

    def close(self) -> None:
        self.dispatcher.stop()

    # -- evaluation --------------------------------------------------------------------------------

    def evaluate(
        self, snapshot: Snapshot, source_health: Mapping[str, SourceHealth] | None = None
    ) -> list[dict]:
        """Judge every rule now; returns the notifications queued by this evaluation, in order."""
        now = self.clock.now()
        health = dict(source_health or {})
        queued: list[dict[str, Any]] = []
        with self.store.transaction():
            by_rule: dict[str, dict[str, Instance]] = {}
            for (name, key), inst in self.store.load_instances().items():
                by_rule.setdefault(name, {})[key] = inst
            silences = self.store.silences(now)
            firing: set[tuple[str, str]] = set()  # (rule, labels key) of the episodes firing now
            for rule in self._order:
                instances = by_rule.get(rule.name, {})

                def was_active(labels: dict[str, str], _known: dict[str, Instance] = instances) -> bool:
                    found = _known.get(labels_key(labels))
                    return found is not None and found.phase != "normal"

                observed = [
                    (obs.key, obs)
                    for obs in map(self.redactor.observation, rule.observe(snapshot, health, now, was_active))
                ]
                seen = {key for key, _ in observed}
                # an instance that is no longer observed (its account or source went away) has no data
                observed += [
                    (key, Observation(rule.name, inst.labels, None, summary="no longer observed"))
                    for key, inst in sorted(instances.items())
                    if key not in seen and inst.phase != "normal"
                ]
                for key, obs in observed:
                    instance = instances.get(key)
                    before = replace(instance) if instance is not None else None
                    if instance is None:
                        instance = Instance(rule.name, dict(obs.labels), changed=now)
                    silenced = any(s.matches(rule.name, obs.labels) for s in silences) or any(
                        (source, key) in firing for source in self.inhibited_by.get(rule.name, ())
                    )
                    for notice in step(instance, obs, rule, now, silenced):
                        payload = self._payload(rule, notice, obs, now)
                        payload["remedies"] = self._actions(snapshot, obs.labels)
                        if self.store.add_notification(payload, self._sinks_of(rule), now):
                            queued.append(payload)
                    if instance.episode is not None:
                        firing.add((rule.name, key))
                    if instance != before:  # most evaluations change nothing: no write
                        self.store.save_instance(key, instance)
        if queued:
            self.dispatcher.wake()
        return queued

    def _actions(self, snapshot: Snapshot, labels: Mapping[str, str]) -> list[str]:
        """The remedy actions of a metric alert's metric in its account's profile ([] otherwise)."""
        account = snapshot.accounts.get(labels.get("account", ""))
        metric = labels.get("metric")
        if account is None or not metric:
            return []
        try:
            remedy = self.remedies(account.profile).get(metric)
        except RemedyError as exc:  # a broken remedies file must not stop the alert itself
            log.warning("remedies left out of the notification: %s", exc)
            return []
        return list(remedy.actions) if remedy else []

    def _sinks_of(self, rule: Rule) -> list[str]:
        return sorted(rule.sinks if rule.sinks is not None else self.sinks)

    @staticmethod
    def _payload(rule: Rule, notice: Notice, obs: Observation, now: int) -> dict[str, Any]:
        return {
            "key": notification_key(rule.name, obs.labels, notice.episode, notice.kind, notice.repeat),
            "rule": rule.name,
            "kind": notice.kind,
            "severity": rule.severity,
            "labels": dict(obs.labels),
            "value": obs.value,
            "summary": obs.summary,
            "description": rule.description,
            "details": obs.details,
            "episode_start": format_instant(notice.episode),
            "at": format_instant(now),
            "repeat": notice.repeat,
        }

    # -- operator actions --------------------------------------------------------------------------

    def silence(
        self,
        rule: str | None = None,
        account: str | None = None,
        duration: str | int | None = None,
        until: int | None = None,
        comment: str = "",
    ) -> int:
        """Silence notifications of ``rule`` and/or ``account`` for ``duration`` ("2h") or ``until``."""
        return silence(self.store, self.clock.now(), rule, account, duration, until, comment,
                       known_rules=[r.name for r in self.rules])  # fmt: skip

    def acknowledge(self, rule: str, account: str | None = None) -> int:
        """Acknowledge the firing instances of ``rule``: no repeats until the episode ends."""
        return self.store.acknowledge(rule, account, self.clock.now())

    # -- reads for the UI and the CLI --------------------------------------------------------------

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest notifications, newest first, with their delivery status per sink."""
        return self.store.recent(limit)

    def failures(self, limit: int = 20) -> list[dict[str, Any]]:
        return self.store.failures(limit)

    def silences(self) -> list[Silence]:
        return self.store.silences(self.clock.now())

    def states(self) -> list[dict[str, Any]]:
        """Every instance of the configured rules: state, since when, value, summary, silenced, acked, and
        inhibited (a warning whose breach fires: it notifies nothing meanwhile)."""
        now = self.clock.now()
        silences = self.store.silences(now)
        known = {rule.name: rule for rule in self.rules}
        instances = self.store.load_instances()
        firing = {ident for ident, inst in instances.items() if inst.episode is not None}
        out = []
        for (name, key), inst in sorted(instances.items()):
            rule = known.get(name)
            if rule is None:
                continue
            out.append({
                "rule": name,
                "labels": inst.labels,
                "state": inst.state,
                "since": format_instant(inst.changed),
                "value": inst.value,
                "summary": inst.summary,
                "error": inst.error,
                "severity": rule.severity,
                "silenced": any(s.matches(name, inst.labels) for s in silences),
                "acknowledged": inst.acked is not None,
                "inhibited": any((source, key) in firing for source in self.inhibited_by.get(name, ())),
            })  # fmt: skip
        return out


def notification_key(rule: str, labels: Mapping[str, str], episode: int, kind: str, repeat: int) -> str:
    """The idempotency key: rule, labels, episode start (plus which notification of the episode)."""
    text = "\x1f".join((rule, labels_key(labels), str(episode), kind, str(repeat)))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def silence(
    store: Store,
    now: int,
    rule: str | None,
    account: str | None,
    duration: str | int | None = None,
    until: int | None = None,
    comment: str = "",
    known_rules: list[str] | None = None,
) -> int:
    """Add a silence to ``store`` (shared by the manager and the CLI, which has no manager running)."""
    if rule is None and account is None:
        raise ValueError("a silence needs a rule or an account")
    if known_rules is not None and rule is not None and rule not in known_rules:
        raise ValueError(f"no alert rule named {rule!r}")
    if until is None:
        if duration is None:
            raise ValueError("a silence needs a duration or an end")
        until = now + parse_duration(duration)
    if until <= now:
        raise ValueError("a silence must end in the future")
    return store.add_silence(rule, account, until, now, comment)
