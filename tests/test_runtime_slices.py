"""The runtime holds the engine lock for a bounded time, not a bounded count of events: when events
turn slow to apply (the engine's tables growing), slices shrink; when they are cheap again, slices
grow back. Every event still goes in, in order, and the position moves with a batch's last slice."""

from __future__ import annotations

import time

from sellerpulse.core.events import parse_event
from sellerpulse.core.runtime import INGEST_SLICE, MIN_SLICE, SLICE_SECONDS, Runtime
from sellerpulse.core.sources import Batch, Source

BATCH = 3000
SLOW = range(BATCH, 2 * BATCH)  # the second batch costs 0.25 ms an event: 250 ms for 1,000


class Slices(Source):
    type_name = "slices"

    async def batches(self, follow):
        for number in range(3):
            self.delivered = number + 1
            yield Batch([event(n) for n in range(number * BATCH, (number + 1) * BATCH)])

    def position(self):
        return {"delivered": self.delivered}


def event(n: int):
    return parse_event({"ts": "2026-11-02T10:00:00Z", "kind": "order_placed", "order_id": f"O{n}"})


class TimedEngine:
    """Records each slice: index of its first event, size, seconds taken, position seen meanwhile."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.slices: list[tuple[int, int, float, dict]] = []
        self.applied: list[str] = []

    def ingest(self, events) -> int:
        first = len(self.applied)
        began = time.perf_counter()
        for item in events:
            if len(self.applied) in SLOW:
                time.sleep(0.00025)
            self.applied.append(item.order_id)
        seen = dict(self.runtime._positions.get("slices", {}))  # under the lock, as a checkpoint would
        self.slices.append((first, len(events), time.perf_counter() - began, seen))
        return len(events)

    def note_rejections(self, source: str, count: int) -> None:
        pass

    def snapshot(self, at_us: int, *args, **kwargs):
        return None


def test_slices_shrink_while_events_are_slow_and_grow_back_when_they_are_cheap():
    engine = TimedEngine()
    runtime = engine.runtime = Runtime(engine, [Slices("slices", {})])
    runtime.run_once()
    assert engine.applied == [f"O{n}" for n in range(3 * BATCH)]  # everything, in order
    sizes = [size for _, size, _, _ in engine.slices]
    assert sizes[:3] == [INGEST_SLICE] * 3  # the first batch is cheap: full slices
    slow = [(size, held) for first, size, held, _ in engine.slices if first in SLOW]
    assert slow[0][1] > 0.2  # the first slow slice is still a full one (nobody knew)
    assert all(held < 3 * SLICE_SECONDS for _, held in slow[1:])
    assert min(size for size, _ in slow[:-1]) >= MIN_SLICE  # the last one is what the batch had left
    cheap_again = [size for first, size, _, _ in engine.slices if first >= 2 * BATCH]
    assert INGEST_SLICE in cheap_again  # doubling back up within the third batch
    for first, _, _, seen in engine.slices:  # the position of batch k appears with its last slice
        assert seen == ({"delivered": first // BATCH} if first >= BATCH else {})
    assert runtime.positions() == {"slices": {"delivered": 3}}
