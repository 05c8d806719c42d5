"""The ``mock`` source: backfill batches, live events on its scaled clock, and resuming from a position."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.options import OptionError, validate_options
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.timeutil import US_PER_DAY, format_instant, parse_instant
from sellerpulse.plugins.http_source import HttpSource
from sellerpulse.plugins.mock.generator import Marketplace
from sellerpulse.plugins.mock.source import BATCH_EVENTS, MockSource

START = "2026-11-20T12:00:00Z"
NOW = parse_instant(START)


def mock(**options: object) -> MockSource:
    table = {"start": START, "backfill_days": 20, **options}
    return MockSource("mock", validate_options(MockSource.options, table, "test"))


def expected(days: int = 20, until: int = NOW, seed: int = 7) -> list[Event]:
    stream = Marketplace(seed=seed, start=NOW, backfill_days=days).events()
    return list(itertools.takewhile(lambda event: event.ts <= until, stream))


async def test_backfill_comes_in_batches_and_ends_at_start():
    src = mock()
    sizes, events, positions = [], [], []
    async for batch in src.batches(follow=False):
        sizes.append(len(batch.events))
        events.extend(batch.events)
        positions.append(src.position())
    assert events == expected()
    assert len(sizes) > 2 and max(sizes) <= BATCH_EVENTS + 10
    # each position is the last instant delivered, exactly: batches end between two instants
    for position, end in zip(positions[:-1], itertools.accumulate(sizes), strict=False):
        assert position == {"start": START, "reached": format_instant(events[end - 1].ts)}
        assert events[end].ts > events[end - 1].ts
    assert positions[-1] == {"start": START, "reached": START}
    assert src.health().detail == f"simulated time {START}"


async def test_live_events_follow_the_scaled_clock():
    src = mock(backfill_days=1, speed=86_400.0)  # a simulated day per real second
    src.tick_seconds = 0.02
    live: list[Event] = []

    async def follow() -> None:
        async for batch in src.batches(follow=True):
            live.extend(e for e in batch.events if e.ts > NOW)

    task = asyncio.create_task(follow())
    try:
        for _ in range(200):
            await asyncio.sleep(0.02)
            if len(live) > 50:
                break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    reached = parse_instant(src.position()["reached"])
    assert NOW < reached <= src.clock.now()
    assert len(live) > 50 and all(NOW < e.ts <= reached for e in live)
    assert live == expected(days=1, until=reached)[-len(live) :]


async def test_restored_source_continues_where_the_other_stopped():
    first = mock(backfill_days=5)
    delivered = [e for batch in [b async for b in first.batches(follow=False)] for e in batch.events]
    position = first.position()

    second = mock(
        backfill_days=5, start="2030-01-01T00:00:00Z", speed=86_400.0
    )  # start comes from the position
    second.tick_seconds = 0.02
    second.restore(position)
    assert NOW <= second.clock.now() < NOW + US_PER_DAY
    later: list[Event] = []
    stream = second.batches(follow=True)
    try:
        async for batch in stream:
            later.extend(batch.events)
            if len(later) > 20:
                break
    finally:
        await stream.aclose()
    reached = parse_instant(second.position()["reached"])
    assert delivered + later == expected(days=5, until=reached)  # nothing lost, nothing twice


def test_runtime_feeds_the_engine_with_every_account():
    src = mock(accounts=3, scenario="late-shipping", orders_per_day=60)
    engine = Engine(account_timezones=src.timezones)
    health = Runtime(engine, [src], clock=src.clock).run_once()
    assert health["mock"].state == "done"
    assert sorted(engine.accounts) == ["acme-us", "bolt-eu", "cedar-uk"]
    assert src.timezones["bolt-eu"] == "Europe/Berlin"
    snapshot = engine.snapshot(NOW)
    assert snapshot.accounts["acme-us"].metrics["lsr_10d"].status == "breach"


def test_options_are_validated_and_both_sources_are_registered():
    with pytest.raises(OptionError, match="did you mean 'slow-replies'"):
        mock(scenario="slow-reply")
    with pytest.raises(ValueError, match="speed must be positive"):
        mock(speed=0)
    with pytest.raises(ValueError, match="start"):
        mock(start="yesterday")
    named = mock(account_names=["shop-a", "shop-b"])
    assert list(named.timezones) == ["shop-a", "shop-b"]
    plugins = load_plugins(entry_points=False)
    assert plugins.source_class("mock") is MockSource
    assert plugins.source_class("http") is HttpSource
