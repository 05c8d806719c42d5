"""The ``mock`` source: the simulated marketplace of :mod:`.generator`, as a backfill and then live.

It first emits ``backfill_days`` of history up to ``start`` (default: now) in batches, generated on a
worker thread so the UI stays responsive, then (when following) the events of simulated time as it passes
on :attr:`MockSource.clock`, a :class:`~sellerpulse.core.clock.ScaledClock` running ``speed`` simulated
seconds per real second. The demo's UI reads that clock, so "now" on screen is the simulated now.

The position is the simulated instant reached (plus the ``start`` the stream was generated for): the
stream is a pure function of the options and ``start``, so a restored source regenerates it and skips
what it already delivered.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

from sellerpulse.core.clock import ScaledClock, SystemClock
from sellerpulse.core.events import Event
from sellerpulse.core.options import Option
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.timeutil import TimeError, format_instant, parse_instant

from .accounts import MARKETPLACES, account_specs
from .generator import Marketplace
from .scenarios import SCENARIOS

BATCH_EVENTS = 5000


class MockSource(Source):
    """A simulated marketplace: believable seller accounts with orders, shipments, feedback, claims,
    messages and returns; seeded, so the same options give the same events. Scenarios push one metric
    toward a breach over the last days."""

    type_name = "mock"
    options = (
        Option("seed", "int", 7, "random seed: the same seed gives the same events"),
        Option("orders_per_day", "float", 200.0, "average orders a day of the largest account"),
        Option("accounts", "int", 2, "how many accounts to simulate (acme-us, bolt-eu, cedar-uk, ...)"),
        Option("account_names", "list", [], "names of the accounts to simulate (overrides accounts)"),
        Option(
            "marketplace",
            "str",
            "amazon",
            "whose stores to simulate, each judged by its marketplace's profile (mixed: one of each in turn)",
            choices=MARKETPLACES,
        ),
        Option(
            "scenario", "str", "healthy", "which metric to push toward a breach", choices=tuple(SCENARIOS)
        ),
        Option("speed", "float", 60.0, "simulated seconds per real second once the backfill is done"),
        Option("backfill_days", "int", 90, "days of history generated at start"),
        Option("start", "str", "", "the simulated now at which the backfill ends (ISO instant; empty: now)"),
    )
    tick_seconds = 0.5  # real seconds between two live batches

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        settings = self.settings
        if settings["speed"] <= 0:
            raise ValueError("speed must be positive")
        names = [str(n) for n in settings["account_names"]]
        self.specs = account_specs(settings["accounts"], names, settings["marketplace"])
        start_text = settings["start"]
        try:
            self.start = parse_instant(start_text) if start_text else SystemClock().now()
        except TimeError as exc:
            raise ValueError(f"start: {exc}") from None
        self._market = self._build_market()  # validates the remaining options now, not at run time
        self._reached: int | None = None  # the simulated instant delivered up to (inclusive)
        self.clock = ScaledClock(self.start, settings["speed"])

    @property
    def timezones(self) -> dict[str, str]:
        """Each simulated account's time zone (days and hours of the simulation are local to it)."""
        return {spec.name: spec.timezone for spec in self.specs}

    @property
    def profiles(self) -> dict[str, str]:
        """Each simulated account's profile name (the marketplace whose rules judge it)."""
        return {spec.name: spec.profile for spec in self.specs}

    def _build_market(self) -> Marketplace:
        settings = self.settings
        return Marketplace(
            seed=settings["seed"],
            start=self.start,
            orders_per_day=settings["orders_per_day"],
            accounts=self.specs,
            scenario=settings["scenario"],
            backfill_days=settings["backfill_days"],
        )

    def position(self) -> dict[str, Any]:
        if self._reached is None:
            return {}
        return {"start": format_instant(self.start), "reached": format_instant(self._reached)}

    def restore(self, position: Mapping[str, Any]) -> None:
        if not position:
            return
        self.start = parse_instant(str(position["start"]))
        self._reached = parse_instant(str(position["reached"]))
        self._market = self._build_market()
        self.clock = ScaledClock(max(self.start, self._reached), self.settings["speed"])

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        # Skipping what a restored source delivered regenerates it: a worker thread does it.
        stream = await asyncio.to_thread(_Stream, self._market.events(), self._reached)
        backfill_end = max(self.start, self._reached or self.start)
        while True:
            events, more = await asyncio.to_thread(stream.take, backfill_end, BATCH_EVENTS)
            self._reached = events[-1].ts if more else backfill_end
            if events:
                yield Batch(events)
            if not more:
                break
        self.set_state("ok", detail=f"simulated time {format_instant(self._reached)}")
        if not follow:
            return
        while True:
            await asyncio.sleep(self.tick_seconds)
            now = self.clock.now()
            events, _ = stream.take(now, None)
            self._reached = now
            self.set_state("ok", detail=f"simulated time {format_instant(now)}")
            if events:
                yield Batch(events)


class _Stream:
    """The endless event stream, read in slices up to an instant (keeping the first event past it)."""

    def __init__(self, events: Iterator[Event], after: int | None) -> None:
        self._events = events
        self._next = next(events)
        if after is not None:  # a restored source: skip what was delivered before
            while self._next.ts <= after:
                self._next = next(events)

    def take(self, until: int, limit: int | None) -> tuple[list[Event], bool]:
        """Events with ``ts <= until``, at most about ``limit``; and whether more remain up to ``until``.

        A slice is only cut between two different instants, so "delivered up to the last ``ts``" is exact.
        """
        out: list[Event] = []
        event, events = self._next, self._events
        while event.ts <= until:
            if limit is not None and len(out) >= limit and event.ts > out[-1].ts:
                self._next = event
                return out, True
            out.append(event)
            event = next(events)
        self._next = event
        return out, False
