"""Checkpoint benchmark: how long one checkpoint takes, how fast a saved journal replays, and what the
saved engine state costs and saves.

    python benchmarks/state.py                # 1,000,000 events (about 290,000 orders over 90 days)
    python benchmarks/state.py --events 3500000   # about 1,000,000 orders
    python benchmarks/state.py --events 50000

A checkpoint appends what was applied since the previous one (``--batch`` events: a few seconds of a
large seller) with every position, in one SQLite transaction; its cost should be milliseconds whatever
the state's size. A restart without a saved engine state replays the whole journal into an empty
engine; with one (written at a clean exit) it loads it and replays only the rows after it (here: the
last ``--batch`` events). Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sellerpulse.core.checkpoint import decode_events, encode_events, load_saved_engine, replay
from sellerpulse.core.engine import Engine, state_file
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
        # the saved engine state: as a clean exit writes it, then a restart with the last batch to replay
        tail = len(events) - (len(events) - 1) // args.batch * args.batch
        with tempfile.TemporaryDirectory() as other:
            saver = StateStore(Path(other) / "state.sqlite3")
            saver.checkpoint(encode_events(events[:-tail]), {}, {})
            saved = Engine()
            saved.ingest(events[:-tail])
            began = time.perf_counter()
            data = state_file.dump(saved)
            dump_s = time.perf_counter() - began
            saver.save_engine(saver.next_seq() - 1, data)
            save_s = time.perf_counter() - began
            saver.checkpoint(encode_events(events[-tail:]), {}, {})
            del saved
            began = time.perf_counter()
            restarted = Engine()
            row = load_saved_engine(saver, restarted)
            load_s = time.perf_counter() - began
            tail_replayed = replay(saver, restarted, after=row)
            restart_s = time.perf_counter() - began
            saver.close()
        assert row > 0 and tail_replayed == tail and restarted.applied == engine.applied
        del restarted
        fresh = Engine()
        began = time.perf_counter()
        fresh.ingest(events)
        ingest_s = time.perf_counter() - began
        store.close()
    assert decoded == replayed == len(events)
    print(f"  read+decode        {replayed / decode_s:10,.0f} events/s ({decode_s:.2f} s)")
    print(
        f"  replay (restart)   {replayed / replay_s:10,.0f} events/s ({replay_s:.2f} s), through the bulk loader"
    )
    print(f"  saved engine state {len(data) / (1 << 20):10.1f} MiB ({len(data) / len(events):.0f} bytes per event), "
          f"written in {save_s:.2f} s (of which pickling {dump_s:.2f} s)")  # fmt: skip
    print(
        f"  restart with it    {restart_s:10.2f} s (load {load_s:.2f} s + replay of the last {tail_replayed:,} events)"
    )
    print(f"  engine ingest only {len(events) / ingest_s:10,.0f} events/s ({ingest_s:.2f} s), for comparison")


def _wal(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


if __name__ == "__main__":
    main()
