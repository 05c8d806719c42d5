"""Source benchmark: how fast the ``csv`` source reads a canonical CSV, next to the engine's own path.

    python benchmarks/sources.py                  # full size: 1,000,000 orders (~3.5 M events)
    python benchmarks/sources.py --orders 20000   # what CI runs

Figures printed (events per second, same file for all):

- ``engine ingest``: the path ``sellerpulse report --events`` uses (``read_event_file`` -> ``Engine.ingest``);
- ``csv source``: the source alone (chunked reads on a worker thread, parsing, batches), no engine;
- ``csv source -> engine``: the source through ``Runtime.run_once()`` into an engine, what a configured
  ``[[sources]]`` table costs. Budget (issue 3): at least half the speed of ``engine ingest``.
- ``mock generator`` / ``mock source``: the simulated marketplace producing a 90-day backfill of about
  the same number of orders (one account), bare and as the ``mock`` source's batches (no engine).

The file is generated once into ``benchmarks/data/`` by the engine benchmark's generator, so both
benchmarks measure the same data. Prints its figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import sys
import time
from pathlib import Path

from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.mock.accounts import account_specs
from sellerpulse.plugins.mock.generator import Marketplace
from sellerpulse.plugins.mock.source import MockSource
from sellerpulse.plugins.testing import make_source

HERE = Path(__file__).resolve().parent


def _engine_benchmark():
    spec = importlib.util.spec_from_file_location("engine_benchmark", HERE / "engine.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def engine_ingest(path: Path) -> tuple[int, float]:
    engine = Engine()
    start = time.perf_counter()
    count = engine.ingest(item for item in read_event_file(path) if isinstance(item, Event))
    return count, time.perf_counter() - start


def source_alone(path: Path) -> tuple[int, int, float]:
    source = make_source(CsvSource, {"path": str(path)})

    async def drain() -> tuple[int, int]:
        events = rejected = 0
        async for batch in source.batches(follow=False):
            events += len(batch.events)
            rejected += len(batch.rejections)
        return events, rejected

    start = time.perf_counter()
    events, rejected = asyncio.run(drain())
    return events, rejected, time.perf_counter() - start


def source_into_engine(path: Path) -> tuple[int, float]:
    source = make_source(CsvSource, {"path": str(path)})
    runtime = Runtime(Engine(), [source])
    start = time.perf_counter()
    health = runtime.run_once()
    return health[source.name].events, time.perf_counter() - start


MOCK_START = "2026-11-20T12:00:00Z"


def mock_generator(orders: int) -> tuple[int, float]:
    """The generator alone: a 90-day backfill of about ``orders`` orders of one account."""
    market = Marketplace(
        seed=1, start=parse_instant(MOCK_START), orders_per_day=orders / 90, accounts=account_specs(1)
    )
    end = market.start
    count = 0
    start = time.perf_counter()
    for event in market.events():
        if event.ts > end:
            break
        count += 1
    return count, time.perf_counter() - start


def mock_source(orders: int) -> tuple[int, float]:
    """The same backfill as the ``mock`` source delivers it (worker-thread batches)."""
    source = make_source(
        MockSource, {"start": MOCK_START, "orders_per_day": orders / 90, "accounts": 1, "seed": 1}
    )

    async def drain() -> int:
        return sum([len(batch.events) async for batch in source.batches(follow=False)])

    start = time.perf_counter()
    count = asyncio.run(drain())
    return count, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in the generated file")
    parser.add_argument("--data", type=Path, default=HERE / "data")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    path = args.data / f"engine-{args.orders}.csv"
    if not path.exists():
        started = time.perf_counter()
        rows = _engine_benchmark().generate(path, args.orders)
        print(f"generated {path} ({rows:,} events) in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    size = path.stat().st_size
    gc.collect()
    count, seconds = engine_ingest(path)
    baseline = count / seconds
    print(f"orders={args.orders:,} events={count:,} file={size / 1e6:,.1f} MB")
    print(f"  engine ingest          {baseline:12,.0f} events/s ({seconds:.2f} s)")
    gc.collect()
    events, rejected, seconds = source_alone(path)
    print(f"  csv source             {events / seconds:12,.0f} events/s ({seconds:.2f} s, {size / seconds / 1e6:.0f} MB/s,"
          f" {rejected} rejected)")  # fmt: skip
    gc.collect()
    events, seconds = source_into_engine(path)
    rate = events / seconds
    print(
        f"  csv source -> engine   {rate:12,.0f} events/s ({seconds:.2f} s) = {rate / baseline:.0%} of engine ingest"
    )
    gc.collect()
    events, seconds = mock_generator(args.orders)
    print(f"  mock generator         {events / seconds:12,.0f} events/s ({seconds:.2f} s, {events:,} events)")
    gc.collect()
    events, seconds = mock_source(args.orders)
    print(f"  mock source            {events / seconds:12,.0f} events/s ({seconds:.2f} s)")


if __name__ == "__main__":
    main()
