"""One CSV reader: ``report --events FILE`` and a configured ``csv`` source read the same hostile files to
the same report (JSON, compared whole) and the same rejection counts. Each path is one subprocess over
every file (one account a file), on real files.

Every file holds three orders placed (lines 2-4) and shipped on time (the last three lines), with the
hostile lines between: a reader that swallowed the shipments would show a false 100 % late shipment
rate, one that dropped an order would count fewer than three. The rejection counts are the rules of
docs/events.md: a record is one line; a quote still open at the end of its line rejects that line
only, and the next line is a row of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

AT = "2026-11-20T12:00:00Z"
HEADER = b"ts,kind,order_id,account,channel,ship_by,tracking,note\n"
PLACED = b"".join(
    b"2026-11-16T18:00:00Z,order_placed,G-%d,shop,MFN,2026-11-17T18:00:00Z,,\n" % n for n in (1, 2, 3)
)
SHIPPED = b"".join(b"2026-11-17T16:00:00Z,order_shipped,G-%d,shop,,,1Z%d,\n" % (n, n) for n in (1, 2, 3))
ROW = b"2026-11-16T19:00:00Z,order_placed,%s,shop,MFN,2026-11-17T18:00:00Z,,%s"

# name -> (hostile lines, rows rejected, orders they add)
HOSTILE: dict[str, tuple[bytes, int, int]] = {
    "quoted field with a line break": (ROW % (b"Q-1", b'"first\nsecond"\n'), 2, 0),
    "quote never closed, rows follow": (ROW % (b"Q-2", b'"oops\n'), 1, 0),
    "quote opened on one line, closed on a later one": (
        ROW % (b"Q-3", b'"open\n') + ROW % (b"Q-4", b'x"\n'),
        1,
        1,
    ),
    "quote inside an unquoted field": (ROW % (b'Q"5', b"\n"), 0, 1),
    "text after a closing quote": (ROW % (b"Q-6", b'"note"x\n'), 1, 0),
    "a line that is only a quote": (b'"\n', 1, 0),
    "bytes that are not UTF-8": (ROW % (b"\xff\xfe", b"\n"), 1, 0),
    "NUL bytes": (b"\x00\x00\x00\n" + ROW % (b"N\x00-1", b"\n"), 1, 1),
    "too many fields": (ROW % (b"F-1", b"note,extra\n"), 1, 0),
    "a carriage return inside a quoted row": (ROW % (b"C-1", b'"x"\ry\n'), 1, 0),
    "CRLF line ends with a quoted CRLF": (ROW % (b"C-2", b'"a\r\nb"\r\n') + ROW % (b"C-3", b"\r\n"), 2, 1),
    "blank and whitespace lines": (b"\n   \n\t\n" + ROW % (b"B-1", b"\n") + b"\n", 0, 1),
    "a line over the 1 MiB limit": (ROW % (b"L-1", b"x" * (1 << 20) + b"\n"), 1, 0),
    "quoted fields holding delimiters and doubled quotes": (ROW % (b'"D,""1"""', b'"a,b"\n'), 0, 1),
}
NO_ROWS = {"empty": b"", "header only": HEADER, "blank lines around the header": b"\n\n" + HEADER + b"\n"}


def report(folder: Path, *args: str) -> dict:
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
    result = subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "report", *args, "--at", AT, "--format", "json"],
        capture_output=True, text=True, cwd=folder, env=env, timeout=60,
    )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return json.loads(result.stdout)


def test_report_events_and_the_csv_source_read_hostile_files_alike(tmp_path: Path) -> None:
    files: dict[str, str] = {}  # case -> file (and account) name
    for number, (name, (hostile, _, _)) in enumerate(sorted(HOSTILE.items())):
        files[name] = f"case-{number:02d}"
        bom = b"\xef\xbb\xbf" if name.startswith("CRLF") else b""
        content = bom + HEADER + PLACED + hostile + SHIPPED
        (tmp_path / f"{files[name]}.csv").write_bytes(content.replace(b",shop,", f",{files[name]},".encode()))
    for number, (name, content) in enumerate(NO_ROWS.items()):
        files[name] = f"none-{number}"
        (tmp_path / f"{files[name]}.csv").write_bytes(content)
    paths = [f"{stem}.csv" for stem in files.values()]
    (tmp_path / "sources.toml").write_text(
        "".join(f'[[sources]]\ntype = "csv"\nname = "{path}"\npath = "{path}"\n' for path in paths)
    )
    by_events = report(tmp_path, *(arg for path in paths for arg in ("--events", path)))
    by_source = report(tmp_path, "--config", "sources.toml")
    assert by_events == by_source
    rejected = {item["source"]: item["count"] for item in by_events["rejected"]}
    accounts = by_events["accounts"]
    for name, (_, bad, added) in HOSTILE.items():
        stem = files[name]
        assert rejected[f"{stem}.csv"] == bad, name
        metrics = accounts[stem]["metrics"]
        assert metrics["pfcr"]["denominator"] == 3 + added, name  # every good order, nothing swallowed
        lsr = metrics["lsr_30d"]  # the orders a case adds never ship: late
        assert (lsr["numerator"], lsr["denominator"]) == (added, 3 + added), name
    assert sorted(accounts) == sorted(files[name] for name in HOSTILE)  # files with no rows add none
    assert all(rejected[f"{files[name]}.csv"] == 0 for name in NO_ROWS)


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "report", *args, "--at", AT],
        capture_output=True, text=True, cwd=folder, env=env, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"ts,kind,order_id\r" + PLACED.replace(b"\n", b"\r"), "the header holds a carriage return"),
        (b'"ts","kind,order_id\n' + PLACED, "unreadable header: quote not closed on its line"),
    ],
    ids=["old Mac line ends", "a quote left open"],
)
def test_a_header_that_cannot_be_read_reads_nothing_and_says_why(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    """A file of old Mac line ends (one line for the reader) or with a broken header: nothing is read and
    both paths say why at line 1 (``--events`` as a rejection, the source as its failure)."""
    (tmp_path / "orders.csv").write_bytes(content)
    (tmp_path / "source.toml").write_text(
        '[[sources]]\ntype = "csv"\nname = "orders.csv"\npath = "orders.csv"\n'
    )
    by_events = run(tmp_path, "--events", "orders.csv")
    assert by_events.stderr.startswith(f"rejected orders.csv:line 1: {reason}")
    by_source = run(tmp_path, "--config", "source.toml")
    assert f"source orders.csv failed: CsvFormatError: orders.csv: line 1: {reason}" in by_source.stderr
    for result in (by_events, by_source):
        assert "Traceback" not in result.stderr
        assert "account" not in result.stdout  # no account: nothing was read
