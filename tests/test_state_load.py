"""A CI-sized run of the load benchmark (benchmarks/load.py): events pushed through a followed CSV file
while the dashboard runs under Pilot and keys are pressed. Nothing may be dropped and every key must be
acted on; the 200 ms latency budget itself is judged on the full-size run's printed figures (a shared
CI box's load says more about its neighbours than about sellerpulse)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import load


@pytest.mark.slow
def test_load_run_drops_nothing_and_answers_every_key(tmp_path: Path, capsys) -> None:
    figures = load.run(30_000, tmp_path, refresh=0.5, key_every=0.1)
    with capsys.disabled():
        print("\n" + "\n".join(figures.lines()))
    assert figures.events > 25_000
    assert figures.dropped == 0 and figures.rejected == 0
    assert figures.orders_held > 8_000
    assert len(figures.latencies_ms) >= 3
    assert max(figures.latencies_ms) < 2_000  # every key acted on, even on a loaded box
