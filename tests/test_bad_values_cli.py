"""One bad value never stops a command or a source: what a user sees from ``report``, ``check``, ``poa``
and ``run --headless`` (each a subprocess on real files) when rows hold instants that parse but lie
outside the range the engine can place in a day (``0001-01-01T00:00:00+14:00``, year 1 read in a zone
west of UTC, year 9999), or bytes that are not UTF-8.

Every figure below is worked out by hand: four good orders (one shipped late) among the bad rows.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

AT = "2026-11-20T12:00:00Z"
ZONE = "America/Los_Angeles"  # west of UTC: year 1 at midnight UTC is year 0 here
HEADER = "ts,kind,order_id,account,channel,ship_by,deliver_by,tracking\n"


def good_rows(first: int = 1, count: int = 4, late: int = 4) -> list[str]:
    """``count`` MFN orders placed 2026-11-16 10:00 PST with ship-by a day later, shipped with tracking
    two hours before ship-by, except order number ``late``, shipped two hours after it."""
    rows = []
    for n in range(first, first + count):
        rows.append(f"2026-11-16T18:00:00Z,order_placed,G-{n},shop,MFN,2026-11-17T18:00:00Z,,\n")
        shipped = "2026-11-17T20:00:00Z" if n == late else "2026-11-17T16:00:00Z"
        rows.append(f"{shipped},order_shipped,G-{n},shop,,,,1Z{n:04d}\n")
    return rows


# each parses as ISO-8601 with an offset, and each overflowed a date conversion in the engine
OUT_OF_RANGE = [
    "0001-01-01T00:00:00+14:00,order_placed,B-1,shop,MFN,,,\n",  # ts: year 0 in UTC
    "0001-01-01T00:00:00Z,order_placed,B-2,shop,MFN,,,\n",  # ts: year 0 in the account's zone
    "2026-11-16T18:00:00Z,order_placed,B-3,shop,MFN,0001-01-01T00:00:00+14:00,,\n",  # ship_by
    "2026-11-16T18:00:00Z,order_placed,B-4,shop,MFN,,9999-12-31T23:59:59-12:00,\n",  # deliver_by
    "9999-12-31T23:00:00Z,order_placed,B-5,shop,MFN,,,\n",  # ts: a day later is year 10000
]


def hostile_file(path: Path) -> list[int]:
    """Good rows with the out-of-range rows between them; returns the bad rows' line numbers."""
    good = good_rows()
    lines = [HEADER, *good[:3], OUT_OF_RANGE[0], OUT_OF_RANGE[1], *good[3:6], *OUT_OF_RANGE[2:], *good[6:]]
    path.write_text("".join(lines), encoding="utf-8")
    return [number for number, line in enumerate(lines, start=1) if ",B-" in line]


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, cwd=folder, env=env, timeout=60,
    )  # fmt: skip


def rejected_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("rejected ")]


def test_report_rejects_out_of_range_instants_and_counts_the_rest(tmp_path: Path) -> None:
    bad = hostile_file(tmp_path / "orders.csv")
    result = run(tmp_path, "report", "--events", "orders.csv", "--at", AT, "--timezone", ZONE,
                 "--format", "json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["rejected"] == [{"source": "orders.csv", "count": 5}]
    metrics = report["accounts"]["shop"]["metrics"]
    assert (metrics["lsr_10d"]["numerator"], metrics["lsr_10d"]["denominator"]) == (1, 4)
    assert metrics["pfcr"]["denominator"] == 4  # B-3 and B-4 (good ts, bad promise) are not orders
    reasons = rejected_lines(result.stderr)
    assert [line.split(":")[1] for line in reasons] == [f"line {n}" for n in bad]
    for line, field in zip(reasons, ("ts", "ts", "ship_by", "deliver_by", "ts"), strict=True):
        assert f"bad {field}: " in line and "out of range" in line


def test_check_exits_with_the_status_of_the_good_rows(tmp_path: Path) -> None:
    hostile_file(tmp_path / "orders.csv")
    result = run(tmp_path, "check", "--events", "orders.csv", "--at", AT, "--timezone", ZONE)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stdout + result.stderr  # LSR 1 of 4 = 25 %: a breach
    assert "BREACH shop lsr_10d 25.00 %" in result.stdout
    assert len(rejected_lines(result.stderr)) == 5


def test_poa_drafts_the_plan_from_the_good_rows(tmp_path: Path) -> None:
    hostile_file(tmp_path / "orders.csv")
    result = run(tmp_path, "poa", "lsr_10d", "--events", "orders.csv", "--at", AT, "--timezone", ZONE)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert "G-4" in result.stdout and "G-1" not in result.stdout  # the late order, and only it
    assert len(rejected_lines(result.stderr)) == 5


def test_report_and_check_reject_a_row_that_is_not_utf8(tmp_path: Path) -> None:
    good = good_rows()
    raw = (HEADER + "".join(good[:4])).encode() + b"2026-11-16T18:00:00Z,order_placed,\xff\xfe,shop,MFN,,,\n"
    raw += "".join(good[4:]).encode()
    (tmp_path / "orders.csv").write_bytes(raw)
    report = run(tmp_path, "report", "--events", "orders.csv", "--at", AT, "--format", "json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["rejected"] == [{"source": "orders.csv", "count": 1}]
    assert rejected_lines(report.stderr) == [
        "rejected orders.csv:line 6: not utf-8 text: invalid start byte at byte 34"
    ]
    lsr = json.loads(report.stdout)["accounts"]["shop"]["metrics"]["lsr_10d"]
    assert (lsr["numerator"], lsr["denominator"]) == (1, 4)
    check = run(tmp_path, "check", "--events", "orders.csv", "--at", AT)
    assert check.returncode == 2, check.stderr
    assert "Traceback" not in check.stderr and len(rejected_lines(check.stderr)) == 1


def test_json_objects_holding_bytes_that_are_not_utf8_are_rejected_alone(tmp_path: Path) -> None:
    good = b'{"ts": "2026-11-16T18:00:00Z", "kind": "order_placed", "order_id": "J-1", "account": "shop"}'
    bad = b'{"ts": "2026-11-16T18:00:00Z", "kind": "order_placed", "order_id": "\xc3\x28", "account": "shop"}'
    lines = good + b"\n" + bad + b"\n" + good.replace(b"J-1", b"J-2") + b"\n"
    (tmp_path / "orders.jsonl").write_bytes(lines)
    (tmp_path / "orders.json").write_bytes(b"[" + lines.replace(b"}\n", b"},\n").removesuffix(b",\n") + b"]")
    for name, position in (("orders.jsonl", "line 2"), ("orders.json", "item 1")):
        result = run(tmp_path, "report", "--events", name, "--at", AT, "--format", "json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["rejected"] == [{"source": name, "count": 1}]
        assert report["accounts"]["shop"]["metrics"]["pfcr"]["denominator"] == 2
        assert rejected_lines(result.stderr) == [f"rejected {name}:{position}: not utf-8 text"]


HEADLESS_CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "orders.csv"
follow = true
poll_interval = 0.05
"""


def journalled(folder: Path) -> int:
    try:
        with sqlite3.connect(folder / "state.sqlite3", timeout=5) as db:
            return db.execute("SELECT COALESCE(SUM(count), 0) FROM state_journal").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def wait_for_journal(process: subprocess.Popen[bytes], folder: Path, count: int) -> None:
    """Until ``count`` events are journalled; fails at once if the log says a source is failing."""
    deadline = time.monotonic() + 20
    while journalled(folder) < count:
        path = folder / "sellerpulse.log"
        log = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        assert "failing" not in log, log
        assert process.poll() is None and time.monotonic() < deadline, log
        time.sleep(0.05)
    assert journalled(folder) == count


def test_headless_rejects_out_of_range_rows_and_the_source_keeps_reading(tmp_path: Path) -> None:
    hostile_file(tmp_path / "orders.csv")
    (tmp_path / "sellerpulse.toml").write_text(HEADLESS_CONFIG + f'\n[general]\ntimezone = "{ZONE}"\n')
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    process = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml",
         "--state", "state.sqlite3", "--checkpoint-interval", "0.05", "--log-file", "sellerpulse.log"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for_journal(process, tmp_path, 8)  # the good rows before and after the bad ones
        with (tmp_path / "orders.csv").open("a", encoding="utf-8") as handle:
            handle.write(OUT_OF_RANGE[0].replace("B-1", "B-6") + good_rows(5, 1)[0])
        wait_for_journal(process, tmp_path, 9)  # the source still follows the file
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read().decode() if process.stderr else ""
    assert "Traceback" not in stderr and "failing" not in stderr, stderr
    assert stderr.count("out of range") == 6
    report = run(tmp_path, "report", "--state", "state.sqlite3", "--at", AT, "--format", "json")
    assert report.returncode == 0, report.stderr
    saved = json.loads(report.stdout)
    assert saved["rejected"] == [{"source": "orders", "count": 6}]
    assert saved["accounts"]["shop"]["metrics"]["pfcr"]["denominator"] == 5
