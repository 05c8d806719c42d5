"""``report --events`` reads files through the bulk loader: the real CLI, as a subprocess, on a file of the
engine benchmark's kind (every order inside the retention, so it is folded) with duplicate rows and a bad
one, must print what the engine fed one event at a time shows, in UTC and in a zone west of UTC."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sellerpulse.core.bulk import BulkLoader
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.timeutil import parse_instant

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from engine import generate  # noqa: E402  (the benchmark's generator of a 90-day history)

AT = "2026-10-29T12:00:00Z"


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "history.csv"
    generate(path, 1500)
    lines = path.read_text().splitlines(keepends=True)
    # rows sent twice (same event id: dropped) and a row that cannot be read (rejected with its line)
    path.write_text("".join(lines + lines[100:140] + ["not-a-time,order_shipped,X,acme,bad1\n"]))
    return path


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_report_of_a_file_equals_the_engine_fed_one_by_one(events_file: Path, zone: str) -> None:
    command = [sys.executable, "-m", "sellerpulse.tui.cli", "report", "--events", str(events_file),
               "--at", AT, "--timezone", zone, "--format", "json"]  # fmt: skip
    run = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=events_file.parent)
    assert run.returncode == 0, run.stderr
    assert "rejected" in run.stderr
    at = parse_instant(AT)
    fed = [e for e in read_event_file(events_file) if isinstance(e, Event) and e.ts <= at]
    straight = Engine(timezone=zone)
    straight.ingest(fed)
    loader = BulkLoader(Engine(timezone=zone))
    loader.ingest(fed)
    assert loader.applied == 0 and loader.folded == straight.applied  # the file is folded whole
    want = straight.snapshot(at, weekly=True).to_json()["accounts"]
    got = json.loads(run.stdout)
    assert got["accounts"] == want
    assert got["accounts"]["acme"]["metrics"]["lsr_30d"]["denominator"] > 100
    assert got["rejected_rows"] == 1
