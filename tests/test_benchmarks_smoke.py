"""Every benchmark runs once at a small size, so none of them rots. (The figures are read by people at
full size, by hand: a timing assertion here would only measure how busy the CI machine is.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "engine": ["--orders", "3000", "--small-orders", "1000"],
    "sources": ["--orders", "2000"],
    "state": ["--events", "5000", "--batch", "1000"],
    "alerts": ["--accounts", "2", "--rounds", "2"],
    "load": ["--events", "20000"],
    "terminal": ["3", "--sizes", "80x24", "--backfill-days", "2"],
    "account_health": ["--orders-per-day", "50", "--days", "20", "--rounds", "2"],
    "attach": ["3", "--orders", "2000", "--views", "3", "--backfill-days", "2"],
    "serve": ["--orders", "2000", "--clients", "3", "--repeat", "1", "--idle", "1"],
    "bulk_formats": ["--orders", "300"],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_benchmark_runs_small_and_prints_figures(name: str, tmp_path: Path) -> None:
    args = list(CASES[name])
    if name in ("engine", "sources", "state", "load", "serve", "bulk_formats"):
        args += ["--data", str(tmp_path)]
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert any(ch.isdigit() for ch in result.stdout), result.stdout
