"""Checkpoint benchmark: how long one checkpoint takes, and how fast a saved journal replays.

    python benchmarks/state.py                # 1,000,000 events (about 290,000 orders over 90 days)
    python benchmarks/state.py --events 50000

A checkpoint appends what was applied since the previous one (``--batch`` events: a few seconds of a
large seller) with every position, in one SQLite transaction; its cost should be milliseconds whatever
the state's size. A restart replays the journal into an empty engine. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sellerpulse.core.checkpoint import decode_events, encode_events, replay
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.state_store import StateStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import generate

EVENTS_PER_ORDER = 3.45  # what generate() writes on average


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000, help="events per checkpoint")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    orders = max(1, int(args.events / EVENTS_PER_ORDER))
    source = args.data / f"state-{orders}.csv"
    if not source.exists():
        generate(source, orders)
    events = [item for item in read_event_file(source) if isinstance(item, Event)]
    print(f"events={len(events):,} checkpoint batch={args.batch:,} events")

    with tempfile.TemporaryDirectory() as folder:
        store = StateStore(Path(folder) / "state.sqlite3")
        writes, encodes = [], []
        position = {"path": str(source), "device": 1, "inode": 2, "offset": 0, "line": 1, "header": "ts,kind"}
        for start in range(0, len(events), args.batch):
            chunk = events[start : start + args.batch]
            began = time.perf_counter()
            rows = encode_events(chunk)
            encoded = time.perf_counter()
            position = dict(position, offset=start + len(chunk), line=start + len(chunk) + 1)
            store.checkpoint(rows, {"orders": position}, {"orders": 0}, {"prune": {}})
            writes.append(time.perf_counter() - encoded)
            encodes.append(encoded - began)
        size = Path(store.path).stat().st_size + _wal(store.path)
        total = [w + e for w, e in zip(writes, encodes, strict=True)]
        print(f"  checkpoint         {statistics.median(total) * 1000:10.1f} ms median, "
              f"{max(total) * 1000:.1f} ms max per {args.batch:,} events "
              f"(encode {statistics.median(encodes) * 1000:.1f} ms + write {statistics.median(writes) * 1000:.1f} ms)")  # fmt: skip
        print(f"  file size          {size / len(events):10.0f} bytes per event ({size / (1 << 20):.0f} MiB)")

        began = time.perf_counter()
        decoded = sum(len(decode_events(account, text)) for account, text in store.journal())
        decode_s = time.perf_counter() - began
        engine = Engine()
        began = time.perf_counter()
        replayed = replay(store, engine)
        replay_s = time.perf_counter() - began
        fresh = Engine()
        began = time.perf_counter()
        fresh.ingest(events)
        ingest_s = time.perf_counter() - began
        store.close()
    assert decoded == replayed == len(events)
    print(f"  read+decode        {replayed / decode_s:10,.0f} events/s ({decode_s:.2f} s)")
    print(f"  replay (restart)   {replayed / replay_s:10,.0f} events/s ({replay_s:.2f} s)")
    print(f"  engine ingest only {len(events) / ingest_s:10,.0f} events/s ({ingest_s:.2f} s), for comparison")


def _wal(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


if __name__ == "__main__":
    main()
