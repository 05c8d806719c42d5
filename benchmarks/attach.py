"""What attached views cost: terminal bytes of one view against ``run``, and 50 views on one ``serve``.

1. **Terminal bytes** (budget: an attached view writes no more than ``run``, about 0.3 KB/s at 80x24):
   the same config (the mock marketplace, live) shown by ``sellerpulse run`` and by ``sellerpulse
   attach`` on a ``serve`` of it, each in an 80x24 pseudo-terminal; bytes per second written after the
   first frame, and the bytes per second of the view's API stream over the same window.
2. **Fan-out** (budget: ``serve``'s ingest slows by under 10 % with 50 views; a key press in a view is
   answered in under 100 ms): ``serve`` reads a canonical CSV of ``--orders`` orders from the start,
   once alone (one stream follower watching for the end) and once with ``--views`` more streams held open
   by another process plus one attached dashboard (Textual's Pilot, threaded and live as in the terminal)
   whose operator keeps pressing keys: ``p`` (pause, answered by the view itself) and ``enter`` on the
   Order Defect Rate panel (the drill-down: rows fetched from ``serve`` while it ingests), then ``esc``.
   Prints ingest seconds both ways, the slowdown, and key latency (median, p95, max) per key.

    .venv/bin/python benchmarks/attach.py                       # 20 s windows, 100,000 orders, 50 views
    .venv/bin/python benchmarks/attach.py 3 --orders 2000 --views 3 --backfill-days 2    # CI smoke
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import generate

FIRST_FRAME = b"Order Defect Rate"
STEADY = b"simulated time"  # the mock source's detail once its backfill is done
URL = re.compile(r"sellerpulse serve: (http://\S+) ")
CLI = [sys.executable, "-m", "sellerpulse.tui.cli"]

MOCK_CONFIG = """
[general]
refresh = 2.0

[[sources]]
type = "mock"
name = "mock"
backfill_days = {backfill_days}
speed = 60.0
"""

CSV_CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "{path}"
follow = true
poll_interval = 0.05
"""


def private_env(folder: Path) -> dict[str, str]:
    """Token, serve file and state under ``folder``: the benchmark touches nothing of the user's."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR", "TEXTUAL")}
    env.update(
        TERM="xterm-256color", HOME=str(folder), XDG_STATE_HOME=str(folder / "state"),
        XDG_DATA_HOME=str(folder / "data"), XDG_CONFIG_HOME=str(folder / "config"),
    )  # fmt: skip
    return env


def start_serve(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [*CLI, "serve", "--config", "sellerpulse.toml", "--listen", "127.0.0.1:0", "--no-state",
         "--log-file", "serve.log"],
        cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    line = process.stdout.readline() if process.stdout else ""
    found = URL.search(line)
    if found is None:
        process.kill()
        raise SystemExit(f"serve did not start: {line!r}")
    return process, found.group(1)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# -- 1. terminal bytes -----------------------------------------------------------------------------


def terminal_bytes(
    command: list[str], folder: Path, env: dict[str, str], seconds: float
) -> tuple[float, float]:
    """Run ``command`` in an 80x24 pseudo-terminal: seconds to the first frame, then bytes per second
    written over ``seconds`` from 3 s after the mock source's backfill is on screen (steady state)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    began = time.monotonic()
    process = subprocess.Popen(command, cwd=folder, env=env, stdin=slave, stdout=slave, stderr=slave,
                               start_new_session=True)  # fmt: skip
    os.close(slave)
    seen, first, counted, window_from = b"", None, 0, None
    try:
        while True:
            now = time.monotonic()
            if window_from is not None and now >= window_from + seconds:
                break
            if now - began > 120:
                raise SystemExit(f"{command[3]}: no first frame in 120 s")
            ready, _, _ = select.select([master], [], [], 0.2)
            if not ready:
                continue
            data = os.read(master, 65536)
            if window_from is None:
                seen = (seen + data)[-100_000:]
                if first is None and FIRST_FRAME in seen:
                    first = time.monotonic() - began
                if first is not None and STEADY in seen:  # the backfill is on screen: live from now on
                    window_from = time.monotonic() + 3.0
            elif time.monotonic() >= window_from:
                counted += len(data)
    finally:
        os.write(master, b"q")
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    return first or 0.0, counted / seconds


def stream_bytes(url: str, seconds: float, out: list[float]) -> None:
    """Bytes per second of the API stream (after its first, whole message) over ``seconds``."""
    with (
        httpx.Client(timeout=httpx.Timeout(5.0, read=30.0)) as client,
        client.stream("GET", url + "/api/v1/stream") as r,
    ):
        chunks = r.iter_raw()
        next(chunks)  # the full view
        began, total = time.monotonic(), 0
        for chunk in chunks:
            total += len(chunk)
            if time.monotonic() - began >= seconds:
                break
        out.append(total / (time.monotonic() - began))


def backfilled(url: str) -> None:
    """Wait until serve's mock source has read its backfill (the views then see a steady state)."""
    from sellerpulse.tui.remote import RemoteData

    data = RemoteData(url)
    data.start()
    try:
        while "simulated time" not in getattr(data.health().get("mock"), "detail", ""):
            time.sleep(0.1)
    finally:
        data.close()


def bench_terminal(seconds: float, backfill_days: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sellerpulse-attach-") as name:
        folder = Path(name)
        env = private_env(folder)
        (folder / "sellerpulse.toml").write_text(
            MOCK_CONFIG.format(backfill_days=backfill_days), encoding="utf-8"
        )
        first_run, run_bps = terminal_bytes(
            [*CLI, "run", "--config", "sellerpulse.toml", "--no-state"], folder, env, seconds
        )
        serve, url = start_serve(folder, env)
        try:
            backfilled(url)
            api: list[float] = []
            reader = threading.Thread(target=stream_bytes, args=(url, seconds + 8, api), daemon=True)
            reader.start()
            first_attach, attach_bps = terminal_bytes([*CLI, "attach", url], folder, env, seconds)
            reader.join(30)
        finally:
            stop(serve)
    verdict = "within budget" if attach_bps <= max(run_bps, 300) * 1.1 else "OVER BUDGET"
    print(f"terminal 80x24, {seconds:g} s: run {run_bps:,.0f} B/s (first frame {first_run:.1f} s), "
          f"attach {attach_bps:,.0f} B/s (first frame {first_attach:.1f} s) {verdict}; "
          f"API stream {api[0] if api else float('nan'):,.0f} B/s per view")  # fmt: skip


# -- 2. fan-out ------------------------------------------------------------------------------------


async def _hold(url: str, count: int) -> None:
    """``count`` streams read to the end (the other views); their bytes on stderr when stopped."""
    total = [0]

    opened = [0]

    async def one(client: httpx.AsyncClient) -> None:
        async with client.stream("GET", url + "/api/v1/stream") as response:
            first = True
            async for chunk in response.aiter_raw():
                if first:  # the whole view arrived: this view is attached
                    first = False
                    opened[0] += 1
                    if opened[0] == count:
                        print("ready", flush=True)
                total[0] += len(chunk)

    async with httpx.AsyncClient(
        timeout=httpx.Timeout(10.0, read=None), limits=httpx.Limits(max_connections=count + 5)
    ) as client:
        tasks = [asyncio.create_task(one(client)) for _ in range(count)]
        stopping = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
        await stopping.wait()
        for task in tasks:
            task.cancel()
    print(f"{count} streams read {total[0]:,} bytes", file=sys.stderr)


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process has used: what other load on the machine cannot inflate."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def feed(data: Path, followed: Path) -> float:
    """Append every row to the file serve follows, on a thread; when it started."""

    def copy() -> None:
        with data.open("rb") as source, followed.open("ab") as target:
            shutil.copyfileobj(source, target, 1 << 20)

    began = time.monotonic()
    threading.Thread(target=copy, daemon=True).start()
    return began


def ingest_done(data, rows: int) -> bool:
    health = data.health().get("orders")
    return health is not None and (health.state == "done" or health.events + health.rejected >= rows)


async def _press(app, key: str, acted, character: str | None = None) -> float:
    """Deliver ``key`` as the terminal driver does; milliseconds until ``acted()`` (see load.py)."""
    from textual import events

    began = time.perf_counter()
    app.post_message(events.Key(key, character))
    while not acted():
        await asyncio.sleep(0.001)
    return (time.perf_counter() - began) * 1000


async def _operate(app, data, rows: int, key_every: float, latencies: dict[str, list[float]]) -> None:
    """Press keys in the attached dashboard until serve has read every row."""
    from sellerpulse.tui.screens.drilldown import MetricDetails
    from sellerpulse.tui.widgets.metric_panel import MetricPanel

    while not app.main.query(MetricPanel):
        await asyncio.sleep(0.05)
    app.main.query(MetricPanel).first().focus()
    while not ingest_done(data, rows):
        paused = app.paused
        latencies["p"].append(await _press(app, "p", lambda p=paused: app.paused != p, "p"))
        latencies["enter (drill-down)"].append(await _press(
            app, "enter", lambda: isinstance(app.screen, MetricDetails) and app.screen.loaded))  # fmt: skip
        latencies["esc"].append(
            await _press(app, "escape", lambda: not isinstance(app.screen, MetricDetails))
        )
        await asyncio.sleep(key_every)


async def phase(folder: Path, env: dict[str, str], rows: int, streams: int, dashboard: bool, key_every: float,
                latencies: dict[str, list[float]]) -> tuple[float, float]:  # fmt: skip
    """Seconds serve takes to read every row, and the CPU seconds it uses meanwhile, with ``streams`` other views' streams held open and, with
    ``dashboard``, an attached dashboard whose operator presses keys (else a bare follower watches)."""
    from sellerpulse.tui.attached import AttachedApp
    from sellerpulse.tui.remote import RemoteData

    followed = folder / "followed.csv"
    followed.write_bytes(b"")
    serve, url = start_serve(folder, env)
    others = None
    if streams:
        others = subprocess.Popen([sys.executable, __file__, "--hold-streams", url, str(streams)], env=env,
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        await asyncio.to_thread(others.stdout.readline)  # "ready": every view is attached
    data = RemoteData(url)
    try:
        if dashboard:
            app = AttachedApp(data, refresh=2.0, show_clock=False)
            async with app.run_test(size=(120, 40)):
                await asyncio.to_thread(data.wait_connected, 30)
                began, cpu = feed(folder / "orders.csv", followed), cpu_seconds(serve.pid)
                await _operate(app, data, rows, key_every, latencies)
                return time.monotonic() - began, cpu_seconds(serve.pid) - cpu
        else:
            data.start()
            await asyncio.to_thread(data.wait_connected, 30)
            began, cpu = feed(folder / "orders.csv", followed), cpu_seconds(serve.pid)
            while not ingest_done(data, rows):
                await asyncio.sleep(0.05)
        return time.monotonic() - began, cpu_seconds(serve.pid) - cpu
    finally:
        data.close()
        if others is not None:
            others.send_signal(signal.SIGTERM)
            others.wait(10)
        stop(serve)


def bench_fanout(orders: int, views: int, key_every: float, rounds: int) -> None:
    phases = {
        "alone": (0, False),
        f"{views} streams": (views, False),
        f"{views} streams + dashboard": (views, True),
    }
    seconds: dict[str, list[float]] = {name: [] for name in phases}
    latencies: dict[str, list[float]] = {"p": [], "enter (drill-down)": [], "esc": []}
    with tempfile.TemporaryDirectory(prefix="sellerpulse-fanout-") as name:
        folder = Path(name)
        env = private_env(folder)
        rows = generate(folder / "orders.csv", orders)
        (folder / "sellerpulse.toml").write_text(
            CSV_CONFIG.format(path=folder / "followed.csv"), encoding="utf-8"
        )
        for _ in range(rounds):  # interleaved, so a burst of load elsewhere does not favour one phase
            for label, (streams, dashboard) in phases.items():
                seconds[label].append(
                    asyncio.run(phase(folder, env, rows, streams, dashboard, key_every, latencies))
                )
    alone = min(wall for wall, _ in seconds["alone"])
    alone_cpu = min(cpu for _, cpu in seconds["alone"])
    print(
        f"fan-out, {orders:,} orders ({rows:,} events), serve's ingest, best of {rounds} (every run in brackets):"
    )
    for label, runs in seconds.items():
        wall, cpu = min(w for w, _ in runs), min(c for _, c in runs)
        slowdown, more_cpu = 100.0 * (wall - alone) / alone, 100.0 * (cpu - alone_cpu) / alone_cpu
        verdict = (
            "" if label == "alone" else (" within budget" if slowdown < 10 else " OVER BUDGET") + " (< 10 %)"
        )
        print(f"  {label}: {wall:.1f} s ({', '.join(f'{w:.1f}' for w, _ in runs)}) {slowdown:+.1f} %{verdict}; "
              f"serve's CPU {cpu:.1f} s ({', '.join(f'{c:.1f}' for _, c in runs)}) {more_cpu:+.1f} %")  # fmt: skip
    for key, values in latencies.items():
        if not values:
            continue
        values = sorted(values)
        p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
        print(f"  key {key}: {len(values)} presses, median {statistics.median(values):.1f} ms, p95 {p95:.1f} ms, "
              f"max {values[-1]:.1f} ms {'within budget' if p95 < 100 else 'OVER BUDGET'} (p95 < 100 ms)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=20.0, help="terminal window (default 20 s)")
    parser.add_argument("--orders", type=int, default=100_000, help="orders serve ingests (default 100,000)")
    parser.add_argument("--views", type=int, default=50, help="streams held open besides the dashboard")
    parser.add_argument(
        "--backfill-days", type=int, default=3, help="days of mock history for the terminal run"
    )
    parser.add_argument("--key-every", type=float, default=0.25, help="seconds between the operator's keys")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each fan-out phase (the best counts)")
    parser.add_argument("--hold-streams", nargs=2, metavar=("URL", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.hold_streams:
        asyncio.run(_hold(args.hold_streams[0], int(args.hold_streams[1])))
        return 0
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    bench_terminal(args.seconds, args.backfill_days)
    bench_fanout(args.orders, args.views, args.key_every, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
