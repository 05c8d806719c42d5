"""Bounded everything: back-pressure from the engine to the sources, answers larger than a source's
limit, and sources that send nothing but garbage (marked failing, never retried faster than their pace)."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.garbage_guard import GarbageGuard
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.sources import Batch, Source
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.http_source import HttpSource
from sellerpulse.plugins.testing import make_source
from state_fixtures import append_events, garbage_lines, history, write_events

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import http_server


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.02)


class Firehose(Source):
    """Produces batches as fast as it is asked for them, counting what it produced."""

    type_name = "firehose"

    def __init__(self, name: str, options: dict) -> None:
        super().__init__(name, options)
        self.produced = 0

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        n = 0
        while True:
            n += 1
            self.produced += 1
            yield Batch([Event(ts=1_790_000_000_000_000 + n, kind="order_placed", order_id=f"F{n}")])


class SlowEngine(Engine):
    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    def ingest(self, events: Iterable[Event]) -> int:
        time.sleep(0.02)
        self.batches += 1
        return super().ingest(events)


def test_a_fast_source_waits_for_a_slow_engine_instead_of_queueing() -> None:
    engine = SlowEngine()
    source = Firehose("firehose", {})
    runtime = Runtime(engine, [source])
    runtime.start_in_thread()
    try:
        time.sleep(0.6)
        with runtime.lock:
            ahead = source.produced - engine.batches
    finally:
        runtime.stop()
    assert engine.batches >= 10
    assert ahead <= 1  # at most the batch being applied: nothing piles up between source and engine


@pytest.fixture
def api(tmp_path: Path):
    data = tmp_path / "api.csv"
    write_events(data, history(20, seed=5))
    server = http_server.serve_in_thread(data, page_size=500)
    yield server
    server.shutdown()
    server.server_close()


def test_an_answer_over_max_body_bytes_fails_the_poll_and_waits_for_the_next(api) -> None:
    options = {"url": f"{api.url}/events", "interval": 0.25, "max_body_bytes": 4096, "max_retries": 0}
    source = make_source(HttpSource, options, name="big")
    runtime = Runtime(Engine(), [source])
    runtime.start_in_thread()
    try:
        wait_for(lambda: source.health().state == "failing")
        began, requests = time.monotonic(), len(api.api.requests)
        time.sleep(1.0)
        polls = len(api.api.requests) - requests
        elapsed = time.monotonic() - began
    finally:
        runtime.stop()
    assert "larger than max_body_bytes (4096 bytes)" in (source.health().last_error or "")
    assert source.health().events == 0
    assert polls <= elapsed / 0.25 + 1  # one request a poll: no hot loop


def test_an_api_answering_only_garbage_is_failing_at_its_own_pace(api) -> None:
    api.api.faults.malformed = 10_000
    options = {"url": f"{api.url}/events", "interval": 0.1}
    source = make_source(HttpSource, options, name="junk")
    runtime = Runtime(Engine(), [source])
    guard = GarbageGuard(runtime, window=5)
    runtime.start_in_thread()
    try:
        wait_for(lambda: len(api.api.requests) >= 6)
        guard.poll()  # the source says "ok" after each answer; the guard's timer says otherwise
        health = source.health()
        began, requests = time.monotonic(), len(api.api.requests)
        time.sleep(0.8)
        polls = len(api.api.requests) - requests
        elapsed = time.monotonic() - began
    finally:
        runtime.stop()
    assert health.state == "failing"
    assert "every row of the last" in health.last_error and "malformed JSON" in health.last_error
    assert polls <= elapsed / 0.1 + 1


def test_a_csv_file_of_garbage_is_failing_until_good_rows_come(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    write_events(path, list(garbage_lines(250)))
    source = make_source(CsvSource, {"path": str(path), "follow": True, "poll_interval": 0.02}, name="feed")
    runtime = Runtime(Engine(), [source])
    GarbageGuard(runtime)
    runtime.start_in_thread()
    try:
        wait_for(lambda: source.health().state == "failing")
        error = source.health().last_error or ""
        append_events(path, history(2))
        wait_for(lambda: source.health().state == "ok")
    finally:
        runtime.stop()
    assert error.startswith("every row of the last 250 was rejected (latest: line 251:")
    assert source.health().events > 0
