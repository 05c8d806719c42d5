"""The alert state machine, with the semantics of Prometheus alerting rules and Alertmanager.

One :class:`Instance` per rule and label set. Each evaluation feeds it one observation:

    normal --active--> pending --(active for `for`)--> firing --inactive--> recovering
       ^                  |                              ^  |                    |
       +----inactive------+                              |  +--active-----------+|
       +--------------(inactive for `keep_firing_for`)----------------------------+

- ``firing`` notifies once; while firing (or recovering) it notifies again every ``repeat`` unless
  acknowledged; leaving ``recovering`` for ``normal`` notifies ``resolved``. ``for = 0`` fires at once,
  ``keep_firing_for = 0`` resolves at once.
- ``no_data`` and ``error`` are states of their own, chosen by the rule's policy: ``ok`` treats the
  observation as inactive (a firing alert resolves), ``alert`` treats it as active, ``keep`` holds every
  timer and the firing episode as they are until data returns.
- A silence suppresses notifications but not transitions: an alert that starts firing under a silence is
  announced when the silence ends if it still fires; ``resolved`` goes out only for an announced episode.

The functions here are pure (no clock, no I/O): the manager loads instances from the store, steps them
and writes them back in one transaction, which is what makes ``for`` survive a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rules import Observation, Rule

STATES = ("normal", "pending", "firing", "recovering", "no_data", "error")
FIRING, RESOLVED, REPEAT = "firing", "resolved", "repeat"


@dataclass(frozen=True, slots=True)
class Notice:
    """A notification due: its kind, the episode it belongs to, and which repeat it is."""

    kind: str
    episode: int
    repeat: int = 0


@dataclass(slots=True)
class Instance:
    rule: str
    labels: dict[str, str]
    state: str = "normal"
    active_since: int | None = None  # start of the current active run (pending start)
    episode: int | None = None  # when the current firing episode started; None when not firing
    recovering_since: int | None = None
    last_notified: int | None = None  # last firing or repeat notification of the episode
    repeats: int = 0
    announced: bool = False  # the episode's firing notification went out
    acked: int | None = None  # acknowledged at (this episode only)
    changed: int = 0  # when ``state`` last changed
    value: str | None = None
    summary: str = ""
    error: str | None = None

    @property
    def phase(self) -> str:
        """The state without the no-data/error overlay: what the timers say."""
        if self.episode is not None:
            return "recovering" if self.recovering_since is not None else "firing"
        return "pending" if self.active_since is not None else "normal"


def step(instance: Instance, obs: Observation, rule: Rule, now: int, silenced: bool) -> list[Notice]:
    """Advance ``instance`` by one observation at ``now``; returns the notifications due, in order."""
    instance.value, instance.summary, instance.error = obs.value, obs.summary, obs.error
    overlay, active = None, obs.active
    if obs.error is not None:
        overlay, policy = "error", rule.error
    elif obs.active is None:
        overlay, policy = "no_data", rule.no_data
    if overlay is not None:
        if policy == "keep":
            _set_state(instance, overlay, now)
            return []
        active = policy == "alert"

    notices: list[Notice] = []
    if active:
        instance.recovering_since = None
        if instance.episode is None:
            if instance.active_since is None:
                instance.active_since = now
            if now - instance.active_since >= rule.for_:
                instance.episode = now
                instance.repeats, instance.acked, instance.announced = 0, None, False
                instance.last_notified = None
    else:
        instance.active_since = None if instance.episode is None else instance.active_since
        if instance.episode is not None:
            if instance.recovering_since is None:
                instance.recovering_since = now
            if now - instance.recovering_since >= rule.keep_firing_for:
                if instance.announced:
                    notices.append(Notice(RESOLVED, instance.episode))
                instance.episode = instance.active_since = instance.recovering_since = None
                instance.announced, instance.acked, instance.last_notified = False, None, None

    if instance.episode is not None and not silenced:
        if not instance.announced:
            notices.append(Notice(FIRING, instance.episode))
            instance.announced, instance.last_notified = True, now
        elif (
            rule.repeat > 0
            and instance.acked is None
            and instance.last_notified is not None
            and now - instance.last_notified >= rule.repeat
        ):
            instance.repeats += 1
            notices.append(Notice(REPEAT, instance.episode, instance.repeats))
            instance.last_notified = now
    state = instance.phase
    # an instance judged without data (or with an error) and not held in an episode shows why
    _set_state(instance, overlay if overlay is not None and state == "normal" else state, now)
    return notices


def _set_state(instance: Instance, state: str, now: int) -> None:
    if instance.state != state:
        instance.state = state
        instance.changed = now
