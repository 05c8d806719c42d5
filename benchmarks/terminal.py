"""What the dashboard costs over SSH: bytes written to the terminal per second, CPU, time to first frame.

Runs ``sellerpulse demo`` (90-day backfill, default 2 s refresh) in a pseudo-terminal of each size for
N seconds, reading everything it writes, and prints per size:

- ``first frame``: seconds from start until the first complete frame with data (metric panels, queues
  and footer drawn);
- ``backfill on screen``: seconds until the screen shows the mock source past its backfill;
- ``steady``: bytes per second written after the backfill is on screen (plus one refresh), i.e. what an
  operator's SSH link carries while the dashboard just runs;
- ``cpu``: CPU per cent of one core used by the dashboard process over the same steady window.

Budget (issue 4): <= 4 KB/s at 80x24, <= 12 KB/s at 200x50, < 5 % CPU, first frame < 2 s.

    .venv/bin/python benchmarks/terminal.py            # 60 s per size
    .venv/bin/python benchmarks/terminal.py 8 --backfill-days 3    # CI: short, steady state reached
    .venv/bin/python benchmarks/terminal.py 20 --sizes 80x24 --truecolor
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass

FIRST_FRAME_MARKERS = (b"Order Defect Rate", b"Orders to ship", b" %")
BACKFILL_DONE_MARKER = b"simulated time"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    size: str
    seconds: float
    total_bytes: int
    first_frame: float | None
    first_frame_cpu: float | None  # CPU seconds the process had used by then (what load cannot inflate)
    backfill_on_screen: float | None
    steady_bytes_per_s: float | None
    steady_window: float
    cpu_percent: float | None


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def run(size: str, seconds: float, refresh: float, truecolor: bool, extra: list[str]) -> Result:
    cols, rows = (int(n) for n in size.split("x"))
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR", "TEXTUAL")}
    env["TERM"] = "xterm-256color"
    if truecolor:
        env["COLORTERM"] = "truecolor"
    # --no-state: every run starts fresh, with the whole 90-day backfill to read
    command = [
        sys.executable,
        "-m",
        "sellerpulse.tui.cli",
        "demo",
        "--no-state",
        "--refresh",
        str(refresh),
        *extra,
    ]
    start = time.monotonic()
    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    chunks: list[tuple[float, int]] = []
    seen = b""
    first_frame = backfill = first_cpu = None
    cpu_mark: tuple[float, float] | None = None
    steady_from: float | None = None
    deadline = start + seconds
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                break
            ready, _, _ = select.select([master], [], [], min(0.2, deadline - now))
            if not ready:
                if proc.poll() is not None:
                    break
            else:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    break
                if not data:
                    break
                stamp = time.monotonic() - start
                chunks.append((stamp, len(data)))
                if first_frame is None or backfill is None:
                    seen = (seen + data)[-200_000:]
                    if first_frame is None and all(m in seen for m in FIRST_FRAME_MARKERS):
                        first_frame = stamp
                        first_cpu = _cpu_seconds(proc.pid)
                    if backfill is None and BACKFILL_DONE_MARKER in seen:
                        backfill = stamp
            elapsed = time.monotonic() - start
            if steady_from is None and backfill is not None:
                steady_from = elapsed + refresh  # let the refresh after the backfill land first
            if steady_from is not None and cpu_mark is None and elapsed >= steady_from:
                cpu_mark = (time.monotonic(), _cpu_seconds(proc.pid))
        cpu_percent = None
        if cpu_mark is not None and proc.poll() is None:
            wall = time.monotonic() - cpu_mark[0]
            if wall > 0.5:
                cpu_percent = 100.0 * (_cpu_seconds(proc.pid) - cpu_mark[1]) / wall
    finally:
        if proc.poll() is None:
            os.write(master, b"q")
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        os.close(master)
    end = min(seconds, chunks[-1][0] if chunks else seconds)
    steady = None
    window = 0.0
    if steady_from is not None and seconds - steady_from >= 2 * refresh:
        window = seconds - steady_from
        steady = sum(n for t, n in chunks if t >= steady_from) / window
    total = sum(n for _, n in chunks)
    return Result(size, end, total, first_frame, first_cpu, backfill, steady, window, cpu_percent)


def _fmt(value: float | None, unit: str, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60.0, help="seconds per size (default 60)")
    parser.add_argument("--sizes", default="80x24,200x50", help="terminal sizes, comma separated")
    parser.add_argument(
        "--refresh", type=float, default=2.0, help="dashboard refresh (default 2, as shipped)"
    )
    parser.add_argument("--truecolor", action="store_true", help="announce a truecolor terminal (COLORTERM)")
    parser.add_argument("--backfill-days", type=int, default=90, help="days of mock history (default 90)")
    args = parser.parse_args(argv)
    budgets = {"80x24": 4096, "200x50": 12288}
    print(f"sellerpulse demo, refresh {args.refresh:g} s, {args.seconds:g} s per size"
          f"{', truecolor' if args.truecolor else ', 256 colours'}, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    failed = False
    for size in args.sizes.split(","):
        extra = ["--backfill-days", str(args.backfill_days)]
        r = run(size.strip(), args.seconds, args.refresh, args.truecolor, extra)
        budget = budgets.get(r.size)
        verdict = ""
        if budget is not None and r.steady_bytes_per_s is not None:
            ok = r.steady_bytes_per_s <= budget and (r.cpu_percent is None or r.cpu_percent < 5.0)
            verdict = "within budget" if ok else "OVER BUDGET"
            failed |= not ok
        print(
            f"{r.size:>7}: first frame {_fmt(r.first_frame, ' s')} ({_fmt(r.first_frame_cpu, ' s')} CPU), "
            f"backfill on screen "
            f"{_fmt(r.backfill_on_screen, ' s')}, steady {_fmt(r.steady_bytes_per_s, ' B/s', 0)} over "
            f"{r.steady_window:.0f} s, cpu {_fmt(r.cpu_percent, ' %', 1)}, total {r.total_bytes:,} B {verdict}"
            + ("" if r.steady_bytes_per_s is not None else "(no steady state yet: run longer)")
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
