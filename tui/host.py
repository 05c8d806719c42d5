"""What the details screens may read from the dashboard that shows them, as a narrow interface.

The main screen and the widgets are given everything through constructors and ``show`` calls. The
details screens read the latest :class:`Reading` and the data provider when they load their rows (on
a worker thread, at the moment they are asked to), so they see the app through :class:`DashboardHost`
only: this module is what they import, never ``tui/app.py``, and the app and the screens do not import
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Protocol

from sellerpulse.core.official_compare import Comparison
from sellerpulse.core.snapshot import AccountSnapshot, Snapshot
from sellerpulse.core.sources import SourceHealth

from .data import AlertLine, DashboardData


@dataclass(frozen=True, slots=True)
class Reading:
    """Everything one refresh reads, taken together off the UI thread."""

    at: int
    snapshot: Snapshot | None
    health: dict[str, SourceHealth] = field(default_factory=dict)
    alerts: list[AlertLine] = field(default_factory=list)
    error: str | None = None
    amazon: tuple[Comparison, ...] = ()  # Amazon's numbers beside ours (Account Health reports read)


class DashboardHost(Protocol):
    """The app as the details screens see it (``SellerPulseApp`` is one)."""

    data: DashboardData
    reading: Reading | None
    threaded: bool  # rows are read on a worker thread
    live: bool  # a refresh timer runs
    paused: bool
    refresh_interval: float

    @property
    def current_account(self) -> AccountSnapshot | None: ...

    def zone(self, name: str) -> tzinfo: ...

    def call_from_thread(self, callback: Any, *args: Any, **kwargs: Any) -> Any: ...
