"""Load test: millions of events pushed through a followed CSV file while the dashboard runs (headless,
under Textual's Pilot) and an operator keeps pressing keys.

    python benchmarks/load.py                 # 5,000,000 events
    python benchmarks/load.py --events 100000
    python benchmarks/load.py --events 1000000 --trace-slow slow.txt   # why a press was slow (Tracer)

A writer thread appends the events to the followed file in blocks, as fast as the disk takes them; the
CSV source reads them into the engine on the runtime's thread; the dashboard refreshes every
``--refresh`` seconds, taking snapshots under the runtime lock. Every ``--key-every`` seconds a key is
pressed (pause/resume, help open/close) and the time until the app has acted on it is measured.
Prints events/s, key latency (median, p95, max against the 200 ms budget), memory (peak RSS and bytes
per order held, against the engine's 200 bytes) and whether every event arrived (nothing dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import TextIO

from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.runtime import Runtime
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import make_source
from sellerpulse.tui.app import make_app
from sellerpulse.tui.data import RuntimeData
from sellerpulse.tui.screens.help import HelpScreen
from textual import events

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import DAYS, START, generate
from sellerpulse.core.timeutil import US_PER_DAY

EVENTS_PER_ORDER = 3.45  # what generate() writes on average
BLOCK = 4 << 20


@dataclass
class Figures:
    events: int
    applied: int
    rejected: int
    seconds: float
    latencies_ms: list[float]
    peak_rss: int
    bytes_per_order: float
    orders_held: int
    presses: list[tuple[float, str, float]] = field(default_factory=list)  # (ms, key, seconds in)

    @property
    def dropped(self) -> int:
        return self.events - self.applied

    def lines(self) -> list[str]:
        lat = sorted(self.latencies_ms)
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))] if lat else 0.0
        verdict = "ok" if lat and lat[-1] < 200 else "OVER BUDGET"
        return [
            f"events={self.events:,} applied={self.applied:,} rejected={self.rejected} dropped={self.dropped}",
            f"  throughput         {self.events / self.seconds:10,.0f} events/s ({self.seconds:.1f} s, UI running)",
            f"  key latency        median {statistics.median(lat) if lat else 0:.1f} ms, p95 {p95:.1f} ms, "
            f"max {lat[-1] if lat else 0:.1f} ms over {len(lat)} presses (budget 200 ms: {verdict})",
            f"  memory             peak RSS {self.peak_rss / (1 << 20):,.0f} MiB; "
            f"{self.bytes_per_order:,.0f} bytes per order held ({self.orders_held:,} orders)",
            "  slowest presses    "
            + ", ".join(
                f"{ms:.0f} ms ({key!r} at {at:.1f} s)" for ms, key, at in sorted(self.presses)[:-4:-1]
            ),
        ]


def rss(field: str = "VmRSS") -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def feed(source: Path, target: Path, done: threading.Event) -> None:
    """Append ``source`` to ``target`` block by block (a growing export)."""
    with source.open("rb") as reader, target.open("ab") as writer:
        while block := reader.read(BLOCK):
            writer.write(block)
            writer.flush()
    done.set()


class Tracer:
    """``--trace-slow FILE``: catches slow presses in the act.

    A sampler thread wakes every ``SAMPLE_EVERY`` seconds. While a press waits for its answer it
    records every thread's Python stack (``sys._current_frames``) and how late it woke: a sampler that
    woke very late could not get the interpreter, so something held it (a long C call, a garbage
    collection). While the runtime lock has been held longer than ``threshold / 2`` it records the
    holder's stack. A press slower than ``threshold`` is written with its samples, a long lock hold
    with the holder's; garbage collections over 20 ms are logged too, all stamped with seconds since
    the start. (faulthandler's watchdog needs no GIL, but dumping running threads crashed the
    interpreter here, so the sampler takes turns like any thread.)"""

    SAMPLE_EVERY = 0.02

    def __init__(self, out: TextIO, threshold: float) -> None:
        self.out = out
        self.threshold = threshold
        self.began = time.perf_counter()
        self.lock = TimedLock(self, threshold / 2)
        self._armed = False
        self._samples: list[str] = []
        self._gc_began = 0.0
        self._running = True
        gc.callbacks.append(self._gc)
        threading.Thread(target=self._sample, name="trace-sampler", daemon=True).start()

    def stamp(self) -> str:
        return f"t={time.perf_counter() - self.began:8.3f}s"

    def write(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def arm(self) -> None:
        self._samples = []
        self._armed = True

    def answered(self, key: str, ms: float, count: int) -> None:
        self._armed = False
        if ms >= self.threshold * 1000:
            self.write(
                "".join(self._samples) + f"== {self.stamp()} press #{count} {key!r} answered in {ms:.0f} ms"
            )

    def _sample(self) -> None:
        while self._running:
            due = time.perf_counter() + self.SAMPLE_EVERY
            time.sleep(self.SAMPLE_EVERY)
            late = (time.perf_counter() - due) * 1000
            frames = sys._current_frames()
            holder = self.lock.holder
            if holder is not None and time.perf_counter() - self.lock.since >= self.lock.threshold:
                frame = frames.get(holder)
                if frame is not None:
                    self.lock.samples.append(f"   holder at {self.stamp()}: {describe(frame)}\n")
            if self._armed:
                names = {thread.ident: thread.name for thread in threading.enumerate()}
                lines = [f"   sample {self.stamp()} (sampler {late:.0f} ms late)\n"]
                for ident, frame in frames.items():
                    if ident != threading.get_ident():
                        lines.append(f"     {names.get(ident, ident)}: {describe(frame)}\n")
                self._samples.append("".join(lines))

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
            return
        ms = (time.perf_counter() - self._gc_began) * 1000
        if ms >= 20:
            self.write(f"-- {self.stamp()} gc generation {info['generation']} took {ms:.0f} ms")

    def close(self) -> None:
        self._running = self._armed = False
        gc.callbacks.remove(self._gc)


def describe(frame: FrameType, depth: int = 7) -> str:
    """The innermost ``depth`` frames of a stack, innermost first, on one line."""
    stack = traceback.extract_stack(frame)[-depth:]
    return " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack))


class TimedLock:
    """A ``threading.Lock`` that reports holds longer than ``threshold`` seconds to the tracer, with
    the holder's stacks as the tracer's sampler saw them."""

    def __init__(self, tracer: Tracer, threshold: float) -> None:
        self._lock = threading.Lock()
        self._tracer = tracer
        self.threshold = threshold
        self.since = 0.0
        self.holder: int | None = None
        self.samples: list[str] = []

    def __enter__(self) -> bool:
        self._lock.acquire()
        self.since = time.perf_counter()
        self.holder = threading.get_ident()
        return True

    def __exit__(self, *exc: object) -> None:
        held = time.perf_counter() - self.since
        samples, self.samples, self.holder = self.samples, [], None
        self._lock.release()
        if held >= self.threshold:
            name = threading.current_thread().name
            where = describe(sys._getframe(1), 4)
            self._tracer.write(
                f"-- {self._tracer.stamp()} lock held {held * 1000:.0f} ms by {name} ({where})"
            )
            if samples:
                self._tracer.write("".join(samples).rstrip("\n"))


async def press(
    app, key: str, character: str | None, acted, tracer: Tracer | None = None, count: int = 0
) -> float:
    """Deliver ``key`` as the terminal driver does and wait until ``acted()`` says the app did what it
    asks; milliseconds. (Pilot's own ``press`` also waits for the whole process to go idle, which it
    never does while the engine ingests, so it would measure the load, not the response.)"""
    if tracer is not None:
        tracer.arm()
    began = time.perf_counter()
    app.post_message(events.Key(key, character))
    while not acted():
        await asyncio.sleep(0.001)
    ms = (time.perf_counter() - began) * 1000
    if tracer is not None:
        tracer.answered(key, ms, count)
    return ms


async def drive(
    data_file: Path, events: int, refresh: float, key_every: float, tracer: Tracer | None = None
) -> Figures:
    folder = Path(tempfile.mkdtemp(prefix="sellerpulse-load-"))
    followed = folder / "events.csv"
    followed.touch()
    engine = Engine()
    source = make_source(
        CsvSource, {"path": str(followed), "follow": True, "poll_interval": 0.05}, name="load"
    )
    runtime = Runtime(engine, [source])
    if tracer is not None:
        runtime.lock = tracer.lock
    at = START + DAYS * US_PER_DAY
    data = RuntimeData(runtime, clock=FixedClock(at))
    app = make_app(data, refresh=refresh, show_clock=False)
    base = rss()
    presses: list[tuple[float, str, float]] = []
    fed = threading.Event()

    def help_open() -> bool:
        return isinstance(app.screen, HelpScreen)

    async with app.run_test(size=(120, 40)):
        runtime.start_in_thread()
        began = time.perf_counter()
        threading.Thread(target=feed, args=(data_file, followed, fed), daemon=True).start()
        while True:
            with runtime.lock:
                applied = engine.applied + engine.duplicates
            if fed.is_set() and applied + source.health().rejected >= events:
                break
            paused = app.paused
            keys = [("p", "p", lambda p=paused: app.paused != p)]
            if len(presses) % 4 == 3:
                keys += [("question_mark", "?", help_open), ("escape", None, lambda: not help_open())]
            for key, character, acted in keys:
                since = time.perf_counter() - began
                ms = await press(app, key, character, acted, tracer, len(presses) + 1)
                presses.append((ms, key, since))
            await asyncio.sleep(key_every)
        seconds = time.perf_counter() - began
        runtime.stop()
        end = rss()  # while the dashboard still holds what it draws
    with runtime.lock:
        held = engine.snapshot(at).accounts["acme"].orders_held
    return Figures(
        events=events,
        applied=engine.applied + engine.duplicates,
        rejected=source.health().rejected,
        seconds=seconds,
        latencies_ms=[ms for ms, _, _ in presses],
        peak_rss=rss("VmHWM"),
        bytes_per_order=(end - base) / max(held, 1),
        orders_held=held,
        presses=presses,
    )


def prepare(events: int, data_dir: Path) -> tuple[Path, int]:
    """The canonical CSV of about ``events`` events (generated once, kept in ``data_dir``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    orders = max(1, int(events / EVENTS_PER_ORDER))
    path = data_dir / f"engine-{orders}.csv"
    if not path.exists():
        generate(path, orders)
    with path.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    return path, rows


def run(
    events: int, data_dir: Path, refresh: float = 1.0, key_every: float = 0.25, tracer: Tracer | None = None
) -> Figures:
    path, rows = prepare(events, data_dir)
    return asyncio.run(drive(path, rows, refresh, key_every, tracer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--refresh", type=float, default=1.0, help="dashboard refresh (seconds)")
    parser.add_argument("--key-every", type=float, default=0.25, help="seconds between key presses")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    parser.add_argument(
        "--switch-interval", type=float, default=None,
        help="sys.setswitchinterval for the run (Python's default 0.005): how often the UI thread may take the GIL",
    )  # fmt: skip
    parser.add_argument(
        "--trace-slow", type=Path, default=None, metavar="FILE",
        help="write every thread's stack during presses slower than --slow-ms, and long lock holds, to FILE",
    )  # fmt: skip
    parser.add_argument("--slow-ms", type=float, default=150.0, help="what --trace-slow calls slow")
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    print(f"GIL switch interval {sys.getswitchinterval() * 1000:g} ms", file=sys.stderr)
    if args.trace_slow is None:
        figures = run(args.events, args.data, args.refresh, args.key_every)
    else:
        with args.trace_slow.open("w") as out:
            tracer = Tracer(out, args.slow_ms / 1000)
            figures = run(args.events, args.data, args.refresh, args.key_every, tracer)
            tracer.close()
    print("\n".join(figures.lines()))


if __name__ == "__main__":
    main()
