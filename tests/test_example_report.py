"""The worked example of METRICS.md: ``examples/small-events.csv`` must give ``small-expected.json``.

The expected file was worked out from the contract, not from our code. Both the real CLI (as a user runs it)
and the brute-force reference of ``tests/reference.py`` must reproduce every field it lists.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from reference import reference_report
from sellerpulse.core.events import Event, Rejection
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.timeutil import parse_instant

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EVENTS = EXAMPLES / "small-events.csv"
EXPECTED = EXAMPLES / "small-expected.json"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"

pytestmark = pytest.mark.skipif(
    not (EVENTS.exists() and EXPECTED.exists()),
    reason=f"the worked example is missing from {EXAMPLES}",
)


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Every field of ``expected`` that ``actual`` lacks or differs in (floats within 1e-12)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out.extend(differences(value, actual[key], f"{path}.{key}"))
        return out
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        return [] if abs(expected - actual) <= 1e-12 else [f"{path}: expected {expected!r}, got {actual!r}"]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def expected() -> dict[str, Any]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_differences_reports_what_differs() -> None:
    """The comparison itself can fail: a changed number, a missing field and a float off by 1e-9."""
    want = {"a": {"n": 1, "v": 0.5, "w": None}}
    assert differences(want, {"a": {"n": 1, "v": 0.5 + 1e-13, "w": None}}) == []
    assert differences(want, {"a": {"n": 2, "v": 0.5 + 1e-9}}) == [
        ".a.n: expected 1, got 2",
        f".a.v: expected 0.5, got {0.5 + 1e-9!r}",
        ".a.w: missing",
    ]
    assert differences({"v": 0.0}, {"v": None}) == [".v: expected 0.0, got None"]


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/examples is not next to this clone")
def test_repository_copy_matches_the_shared_example() -> None:
    for name in ("small-events.csv", "small-expected.json"):
        assert (EXAMPLES / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_reference_reproduces_the_worked_example() -> None:
    want = expected()
    items = list(read_event_file(EVENTS))
    events = [item for item in items if isinstance(item, Event)]
    assert sum(isinstance(item, Rejection) for item in items) == want["rejected_rows"]
    got = reference_report(events, parse_instant(want["at"]), timezone=want["timezone"])
    assert sorted(got) == sorted(want["accounts"])
    assert differences(want["accounts"], got) == []


def test_cli_report_reproduces_the_worked_example() -> None:
    want = expected()
    command = [sys.executable, "-m", "sellerpulse.tui.cli", "report", "--events", str(EVENTS)]
    command += ["--at", want["at"], "--timezone", want["timezone"], "--format", "json"]
    run = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["at"] == want["at"]
    assert got["rejected_rows"] == want["rejected_rows"]
    assert sorted(got["accounts"]) == sorted(want["accounts"])
    # The time zone is reported at the top or, per account, on every account.
    zones = {got["timezone"]} if "timezone" in got else {a["timezone"] for a in got["accounts"].values()}
    assert zones == {want["timezone"]}
    assert differences(want["accounts"], got["accounts"]) == []
