"""Defence in depth: an event the real engine cannot apply is rejected on its own; the rest of its batch
counts, the journal and the other callbacks never see it, and the source goes on.

Validation (``core/events.py``) keeps such events out of every built-in source, but a third-party
source may build :class:`Event` objects itself; here one does, with an instant in the year 10000.
"""

from __future__ import annotations

import asyncio

from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, parse_event
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.timeutil import US_PER_DAY, parse_instant

T0 = parse_instant("2026-11-02T10:00:00Z")
BEYOND_9999 = 253_402_300_800 * 1_000_000 + US_PER_DAY  # 10000-01-02: no date holds it


def placed(order_id: str) -> Event:
    return parse_event({"ts": "2026-11-02T10:00:00Z", "kind": "order_placed", "order_id": order_id})


class BuildsItsOwnEvents(Source):
    """Two batches; the first carries an event no engine can place in a day, between good ones."""

    type_name = "own-events"

    async def batches(self, follow):
        yield Batch([placed("A1"), Event(BEYOND_9999, "order_placed", order_id="BAD"), placed("A2")])
        await asyncio.sleep(0)
        yield Batch([placed("A3")])


def test_an_event_the_engine_cannot_apply_is_rejected_and_the_rest_counts() -> None:
    engine = Engine()
    source = BuildsItsOwnEvents("own", {})
    runtime = Runtime(engine, [source])
    journal: list[list[str]] = []
    runtime.on_batch.append(lambda _name, batch: journal.append([e.order_id for e in batch.events]))
    health = runtime.run_once()["own"]
    assert (health.state, health.events, health.rejected, health.last_error) == ("done", 3, 1, None)
    [rejection] = source.recent_rejections()
    assert rejection.source == "own"
    assert rejection.position == "event order_placed BAD"
    assert rejection.reason.startswith("the engine could not apply it: OverflowError")
    assert journal == [["A1", "A2"], ["A3"]]
    snapshot = runtime.snapshot(T0 + US_PER_DAY)
    assert snapshot.rejected == {"own": 1}
    assert snapshot.accounts["default"].metrics["pfcr"].denominator == 3
