"""The source contract: what every source plugin (built-in or third-party) implements.

A source is a class registered by name through the ``register_sources`` hook. The runtime creates one
instance per ``[[sources]]`` table: ``SourceClass(name, options)`` where ``options`` is the table already
validated against the class's declared :attr:`Source.options` (every declared option present, defaults
filled in). The instance then:

- yields :class:`Batch` objects from ``async def batches(follow)``. With ``follow=False`` it reads what
  exists now and returns (``sellerpulse report``); with ``follow=True`` it keeps waiting for more until
  cancelled (the dashboard). Blocking work (file reads, parsing megabytes) belongs in a worker thread
  (``asyncio.to_thread``) so the event loop and the UI stay responsive.
- reports :meth:`position` (JSON-able) that reflects exactly the batches yielded so far, and accepts it
  back in :meth:`restore` before ``batches`` is called, so a restart resumes without loss or double
  counting. The runtime reads positions while the generator is suspended at ``yield``.
- keeps its health: the runtime records every batch (counts, last event instant, recent rejections) and
  marks the state ``starting`` -> ``ok`` -> ``done`` or ``failing``; a source sets ``lagging`` or reports
  a transient error itself with :meth:`set_state` / :meth:`report_error` (for example while retrying).

Bad input is never an exception: a row that cannot be read is a :class:`Rejection` in the batch and
the stream goes on. A batch counts every rejection but keeps only a bounded sample of them (see
:class:`Rejections`), so a source can reject millions of rows without holding them. An exception escaping
``batches`` means the source itself failed; the runtime marks it ``failing`` with the error and the other
sources go on. When following, the runtime calls ``batches(follow)`` again after a back-off (5 s, doubling
to 5 minutes), so a source continues from its :meth:`position` in a new call.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, ClassVar

from .events import Event, Rejection
from .official_records import AccountHealth
from .options import Option

STATES = ("starting", "ok", "lagging", "failing", "done")
REJECTIONS_KEPT = 200  # rejections a batch keeps with their reasons: the first half and the latest half


class Rejections:
    """The rows of one batch that could not be read: every one counted, a bounded sample kept.

    One answer can hold millions of bad rows (a 60 MiB body of ``{}`` is 20 million); keeping each with
    its position and reason cost gigabytes. ``append`` and ``extend`` work as on a list, ``len()`` is
    the number of all rejections, and iterating or indexing reads the kept ones in order: the first
    ``kept // 2`` (where the trouble began) and the latest ones (what it looks like now, which is
    ``[-1]``). Up to ``kept`` rejections it is exactly the list of them.
    """

    __slots__ = ("_count", "_head", "_head_size", "_tail")

    def __init__(self, rejections: Iterable[Rejection] = (), kept: int = REJECTIONS_KEPT) -> None:
        self._count = 0
        self._head: list[Rejection] = []
        self._head_size = kept // 2
        self._tail: deque[Rejection] = deque(maxlen=kept - self._head_size)
        self.extend(rejections)

    def append(self, rejection: Rejection) -> None:
        self._count += 1
        if len(self._head) < self._head_size:
            self._head.append(rejection)
        else:
            self._tail.append(rejection)

    def extend(self, rejections: Iterable[Rejection]) -> None:
        """Add rejections; from another :class:`Rejections`, its count too (not only its sample)."""
        for rejection in rejections:
            self.append(rejection)
        if isinstance(rejections, Rejections):
            self._count += rejections.omitted

    @property
    def omitted(self) -> int:
        """How many were counted but not kept."""
        return self._count - len(self._head) - len(self._tail)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Rejection]:
        return chain(self._head, self._tail)

    def __getitem__(self, index: Any) -> Any:
        return list(self)[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rejections | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        more = f", {self.omitted} more not kept" if self.omitted else ""
        return f"Rejections({list(self)!r}{more})"


@dataclass(slots=True)
class Batch:
    """Events read together, plus the rows that could not be read (counted, a sample kept with their
    positions: see :class:`Rejections`). A list of rejections given here becomes a ``Rejections``.

    ``account_health`` carries Amazon's own numbers when the source read an Account Health report
    (:func:`core.official.parse_account_health`); they are not events: the runtime keeps the latest
    record per account and marketplace beside the engine (:meth:`Runtime.account_health`)."""

    events: list[Event] = field(default_factory=list)
    rejections: Rejections = field(default_factory=Rejections)
    account_health: list[AccountHealth] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.rejections, Rejections):
            self.rejections = Rejections(self.rejections)

    def __len__(self) -> int:
        return len(self.events) + len(self.rejections)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What the UI shows about one source. ``last_event_at`` is the wall-clock instant (us) when the
    source last delivered an event, ``None`` before the first one."""

    state: str
    last_error: str | None = None
    events: int = 0
    rejected: int = 0
    last_event_at: int | None = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "last_error": self.last_error,
            "events": self.events,
            "rejected": self.rejected,
            "last_event_at": self.last_event_at,
            "detail": self.detail,
        }


class Source(ABC):
    """Base class of every source. Subclasses set :attr:`type_name` and :attr:`options` and implement
    :meth:`batches`; they override :meth:`position` / :meth:`restore` when they can resume."""

    type_name: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()
    recent_kept: ClassVar[int] = 200  # rejections kept for the UI's drill-down

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.settings: dict[str, Any] = dict(options)
        self._guard = threading.Lock()  # health is read from the UI thread while the runtime writes
        self._state = "starting"
        self._last_error: str | None = None
        self._detail = ""
        self._events = 0
        self._rejected = 0
        self._last_event_at: int | None = None
        self._recent: deque[Rejection] = deque(maxlen=self.recent_kept)

    @abstractmethod
    def batches(self, follow: bool) -> AsyncIterator[Batch]:
        """Yield batches of events; return at the end of the data unless ``follow`` is true.

        Implement it as ``async def batches(self, follow): ... yield Batch(...)``.
        """

    def position(self) -> dict[str, Any]:
        """Where the next batch starts (JSON-able). The default: nothing to resume, replay from start."""
        return {}

    def restore(self, position: Mapping[str, Any]) -> None:
        """Continue from a :meth:`position` saved earlier; called before :meth:`batches`."""
        return None

    async def aclose(self) -> None:
        """Release resources (connections, files). Called once when the runtime stops."""
        return None

    # -- health -----------------------------------------------------------------------------------

    def health(self) -> SourceHealth:
        with self._guard:
            return SourceHealth(
                state=self._state,
                last_error=self._last_error,
                events=self._events,
                rejected=self._rejected,
                last_event_at=self._last_event_at,
                detail=self._detail,
            )

    def recent_rejections(self) -> list[Rejection]:
        """The latest rejections kept, oldest first (bounded by :attr:`recent_kept`; a batch keeps only a
        sample of its own, so a batch of millions contributes its first and latest ones)."""
        with self._guard:
            return list(self._recent)

    def set_state(self, state: str, detail: str | None = None) -> None:
        """Set the health state; ``ok`` clears the last error. ``detail`` replaces the detail text."""
        if state not in STATES:
            raise ValueError(f"unknown source state {state!r} (one of {', '.join(STATES)})")
        with self._guard:
            self._state = state
            if state == "ok":
                self._last_error = None
            if detail is not None:
                self._detail = detail

    def report_error(self, error: str, state: str = "failing") -> None:
        """Note a (possibly transient) error, e.g. while retrying; the next ``ok`` clears it."""
        with self._guard:
            self._state = state
            self._last_error = error

    def record_batch(self, batch: Batch, at: int) -> None:
        """Count a delivered batch (called by the runtime, ``at`` is the wall-clock instant in us)."""
        with self._guard:
            self._events += len(batch.events)
            self._rejected += len(batch.rejections)
            if batch.events:
                self._last_event_at = at
            self._recent.extend(batch.rejections)
            if self._state == "starting":
                self._state = "ok"

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Type name, first docstring paragraph and declared options (``plugins --describe``)."""
        doc = (cls.__doc__ or "").strip().split("\n\n")[0]
        return {
            "type": cls.type_name,
            "class": f"{cls.__module__}.{cls.__qualname__}",
            "help": " ".join(doc.split()),
            "options": [option.to_json() for option in cls.options],
        }
