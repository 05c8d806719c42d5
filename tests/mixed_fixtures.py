"""A seeded dashboard of three marketplaces: the mock's ``mixed`` stores (acme-us on Amazon, grove-wm on
Walmart, juniper-eb on eBay), 90 days of history fed to the real engine, each store judged by its own
profile, as of a fixed instant; no timers, threads or clock (as ``tui_fixtures``)."""

from __future__ import annotations

import functools
import itertools

from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.sources import SourceHealth
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace
from sellerpulse.tui.app import SellerPulseApp, make_app
from sellerpulse.tui.data import EngineData

AT = parse_instant("2026-11-20T15:00:00Z")
SPECS = account_specs(3, marketplace="mixed")
AMAZON, WALMART, EBAY = (spec.name for spec in SPECS)


@functools.cache
def mixed_events(scenario: str = "healthy") -> tuple[Event, ...]:
    market = Marketplace(seed=7, start=AT, orders_per_day=60, accounts=SPECS, scenario=scenario)
    return tuple(itertools.takewhile(lambda event: event.ts <= AT, market.events()))


def mixed_engine(scenario: str = "healthy") -> Engine:
    engine = Engine(
        account_timezones={spec.name: spec.timezone for spec in SPECS},
        account_profiles={spec.name: builtin_profile(spec.profile) for spec in SPECS},
    )
    engine.ingest(mixed_events(scenario))
    return engine


def mixed_app(scenario: str = "healthy", engine: Engine | None = None, **kwargs) -> SellerPulseApp:
    engine = engine or mixed_engine(scenario)
    health = {"mock": SourceHealth("done", events=len(mixed_events(scenario)))}
    data = EngineData(engine, FixedClock(AT), health=health)
    return make_app(data, **{"live": False, "threaded": False, "show_clock": False, **kwargs})
