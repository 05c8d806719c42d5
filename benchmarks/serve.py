"""``sellerpulse serve`` with views attached: ingest speed with 0 and with N stream clients, and what the
live stream costs a view while nothing changes.

    python benchmarks/serve.py                       # 100,000 orders (~345,000 events), 0 vs 50 views
    python benchmarks/serve.py --orders 20000 --clients 10 --repeat 1

Each run starts a real ``sellerpulse serve`` (wall clock, no state file, stream every second) on a
followed CSV file that holds only its header, attaches the views (SSE clients in this process that
read and count every byte, as an attached dashboard does), then appends the whole history at once.
Ingest time is from the append to the instant the source delivered its last batch (the serve's own
``sellerpulse_source_last_event_timestamp_seconds`` once ``sellerpulse_source_events_total`` holds
every row), so how often this script asks does not change it. After ingest the views stay attached for
``--idle`` seconds with nothing arriving: bytes per second per view, against the 1 KB/s budget.
Budgets (issue 13): ingest with 50 views under 10 % slower than with none; under 1 KB/s per idle view.
Prints its figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import generate

CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.1
"""


def prepare(orders: int, data_dir: Path) -> tuple[Path, int]:
    """The canonical CSV of ``orders`` orders (generated once, kept in ``data_dir``) and its rows."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"engine-{orders}.csv"
    if not path.exists():
        generate(path, orders)
    with path.open("rb") as handle:
        rows = sum(1 for _ in handle) - 1
    return path, rows


def start(folder: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "XDG_STATE_HOME": str(folder / "state"), "XDG_DATA_HOME": str(folder / "data")}
    child = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "serve", "--config", "sellerpulse.toml", "--no-state",
         "--listen", "127.0.0.1:0", "--log-file", str(folder / "serve.log")],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith("sellerpulse serve: "):
        child.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return child, line.split()[2]


class View:
    """One attached view: reads its stream to the end, counting bytes and messages."""

    def __init__(self) -> None:
        self.bytes = 0
        self.messages = 0
        self.ended = False

    async def follow(self, session: aiohttp.ClientSession, url: str, connected: asyncio.Event) -> None:
        async with session.get(url + "/api/v1/stream") as response:
            connected.set()
            async for chunk in response.content.iter_any():
                self.bytes += len(chunk)
                self.messages += chunk.count(b"\n\n")
        self.ended = True


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used: less disturbed by a busy machine than wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def scrape(session: aiohttp.ClientSession, url: str) -> dict[str, float]:
    async with session.get(url + "/metrics") as response:
        text = await response.text()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.labels.get("source", "orders") == "orders"
    }


DRILL_DOWNS = {
    "metric rows": "/api/v1/accounts/acme/metrics/lsr_10d/rows",  # the engine scans every order held
    "queue items": "/api/v1/accounts/acme/queues/orders_to_ship/items",
}


async def drill_down(session: aiohttp.ClientSession, url: str, latencies: dict[str, list[float]]) -> None:
    """An operator opening details every 0.25 s (a metric's, then a queue's, in turn): the milliseconds
    until the rows arrive, per kind."""
    while True:
        for kind, path in DRILL_DOWNS.items():
            began = time.perf_counter()
            async with session.get(url + path) as response:
                await response.read()
            latencies.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
            await asyncio.sleep(0.25)


async def one_run(
    data: Path, rows: int, clients: int, idle: float, latencies: dict[str, list[float]] | None = None
) -> tuple[float, float, int, float]:
    """Ingest seconds, idle bytes per second per view, views dropped, serve's CPU seconds for the ingest.
    With ``latencies``, a drill-down is asked for every 0.25 s during the ingest (it makes ingest give
    way, as a key press does, so such a run is not one of the ingest comparison)."""
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as name:
        folder = Path(name)
        (folder / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
        with data.open("rb") as handle:
            header = handle.readline()
            body = handle.read()
        (folder / "events.csv").write_bytes(header)
        child, url = start(folder)
        try:
            timeout = aiohttp.ClientTimeout(total=None)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                views = [View() for _ in range(clients)]
                connected = [asyncio.Event() for _ in views]
                tasks = [
                    asyncio.create_task(v.follow(session, url, c))
                    for v, c in zip(views, connected, strict=True)
                ]
                for event in connected:
                    await event.wait()
                while not all(v.messages for v in views):  # every view has its full document
                    await asyncio.sleep(0.05)
                began, cpu = time.time(), cpu_seconds(child.pid)
                with (folder / "events.csv").open("ab") as handle:
                    handle.write(body)
                operator = (
                    asyncio.create_task(drill_down(session, url, latencies))
                    if latencies is not None
                    else None
                )
                while True:
                    await asyncio.sleep(0.5)
                    figures = await scrape(session, url)
                    if figures.get("sellerpulse_source_events_total", 0) >= rows:
                        cpu = cpu_seconds(child.pid) - cpu
                        break
                if operator is not None:
                    operator.cancel()
                seconds = figures["sellerpulse_source_last_event_timestamp_seconds"] - began
                await asyncio.sleep(2.5)  # the last patches of the ingest go out
                before = [v.bytes for v in views]
                await asyncio.sleep(idle)
                idle_rate = statistics.mean(
                    (v.bytes - b) / idle for v, b in zip(views, before, strict=True)
                ) if views else 0.0  # fmt: skip
                dropped = sum(v.ended for v in views)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            child.send_signal(signal.SIGTERM)
            child.wait(30)
    return seconds, idle_rate, dropped, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50, help="views attached in the second case")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each case (the median is shown; 0: only the drill-down run)",
    )
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle stream measured")
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()
    data, rows = prepare(args.orders, args.data)
    print(f"serve: {args.orders:,} orders, {rows:,} events, {os.cpu_count()} CPUs")
    results: dict[int, list[tuple[float, float, int, float]]] = {0: [], args.clients: []}
    for _ in range(args.repeat):
        for clients in results:  # alternated, so a busy moment of the machine hits both cases alike
            results[clients].append(asyncio.run(one_run(data, rows, clients, args.idle)))
    if args.repeat:  # 0: only the drill-down run
        # the median, and the fastest run: on a shared machine the fastest is the least disturbed
        base = statistics.median(r[0] for r in results[0])
        fastest = min(r[0] for r in results[0])
        base_cpu = statistics.median(r[3] for r in results[0])
        for clients, runs in results.items():
            seconds = statistics.median(r[0] for r in runs)
            best = min(r[0] for r in runs)
            cpu = statistics.median(r[3] for r in runs)
            line = (f"  {clients:3d} views: ingest {seconds:6.2f} s median ({rows / seconds:,.0f} events/s),"
                    f" {best:.2f} s fastest; serve CPU {cpu:.2f} s")  # fmt: skip
            if clients:
                line += f" ({(cpu / base_cpu - 1) * 100:+.1f} %)"
                rate = statistics.median(r[1] for r in runs)
                line += (f"; {(seconds / base - 1) * 100:+.1f} % median, {(best / fastest - 1) * 100:+.1f} % fastest"
                         f" vs no view (budget < 10 %); idle stream {rate:.0f} B/s per view (budget < 1024);"
                         f" views dropped {max(r[2] for r in runs)}")  # fmt: skip
            print(line)
        print(
            "  runs (s): "
            + "; ".join(f"{c} views " + ", ".join(f"{r[0]:.2f}" for r in rs) for c, rs in results.items())
        )
    latencies: dict[str, list[float]] = {}
    seconds = asyncio.run(one_run(data, rows, args.clients, 1.0, latencies))[0]
    print(
        f"  {args.clients} views and a drill-down every 0.25 s during ingest ({seconds:.2f} s; budget < 100 ms):"
    )
    for kind, times in latencies.items():
        ranked = sorted(times)
        print(f"    {kind}: {len(ranked)}, median {statistics.median(ranked):.0f} ms,"
              f" p95 {ranked[int(len(ranked) * 0.95)]:.0f} ms, max {ranked[-1]:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
