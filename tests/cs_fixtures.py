"""A seeded dashboard for the customer-service tests: the mock marketplace's ``slow-replies`` store.

Ten weeks of one simulated account (surveys, follow-up messages, feedback) fed to the real engine up to
a fixed instant; the app runs without timers, threads or a clock, so every screen is reproducible.
"""

from __future__ import annotations

import functools

from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace
from sellerpulse.tui.app import SellerPulseApp, make_app
from sellerpulse.tui.data import EngineData

NOW = parse_instant("2026-11-19T15:00:00Z")  # a Thursday: the current week is partial
ACCOUNT = "acme-us"


@functools.cache
def cs_events() -> tuple[Event, ...]:
    market = Marketplace(
        seed=5,
        start=NOW,
        orders_per_day=30,
        accounts=account_specs(1),
        scenario="slow-replies",
        backfill_days=70,
    )
    out = []
    for event in market.events():
        if event.ts > NOW:
            return tuple(out)
        out.append(event)
    raise AssertionError("the stream is endless")


def cs_engine() -> Engine:
    engine = Engine(account_timezones={spec.name: spec.timezone for spec in account_specs(1)})
    engine.ingest(cs_events())
    return engine


def cs_app(**kwargs) -> SellerPulseApp:
    data = EngineData(cs_engine(), FixedClock(NOW))
    return make_app(data, **{"live": False, "threaded": False, "show_clock": False, **kwargs})
