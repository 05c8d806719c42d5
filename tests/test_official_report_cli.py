"""``sellerpulse report --account-health [ACCOUNT=]FILE`` as a user runs it: a subprocess on real files.
The numbers are the ones hand-worked in test_official_compare.py (same events, same report)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from official_fixtures import EVENTS_CSV, US
from sellerpulse.core.events import Event
from sellerpulse.core.readers import read_event_file
from test_official_compare import amazon_report
from test_official_state import run_checkpointed

AT = "2026-09-20T00:00:00Z"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "report", "--at", AT, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    events, health = tmp_path / "events.csv", tmp_path / "health.json"
    events.write_text(EVENTS_CSV)
    document = amazon_report()
    document["performanceMetrics"][0]["validTrackingRate"] = {  # 12 valid of 10 shipments: rejected
        "reportingDateRange": {
            "reportingDateFrom": "2026-09-01T00:00Z",
            "reportingDateTo": "2026-09-10T23:59Z",
        },
        "shipmentCount": 10,
        "validTrackingCount": 12,
        "rate": 1.2,
    }
    health.write_text(json.dumps(document))
    return events, health


def test_the_table_has_amazons_numbers_beside_ours(files):
    events, health = files
    result = run("--events", str(events), "--account-health", f"acme={health}")
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("rejected rows: 0 (events.csv: 0)\n", 1)[1].splitlines()
    assert section[:11] == [
        "",
        f"Amazon's numbers beside ours: acme in {US} (account NORMAL)",
        "metric               amazon   n/d   ours      n/d  difference  verdict      amazon's days",
        "odr                  50.00 %  3/6   40.00 %   2/5  -10.00 pp   differs      2026-09-01..2026-09-10",
        "  orders: Amazon 6, ours 5 (1 fewer here)",
        "  defects: Amazon 3, ours 2 (1 fewer here)",
        "  A-to-z claims: Amazon 1, ours 1 (the same)",
        "  chargebacks: Amazon 0, ours 0 (the same)",
        "  negative feedback: Amazon 2, ours 1 (1 fewer here)",
        "  ours over Amazon's days, to find in Seller Central: A2, A4",
        "odr_afn              0.00 %   0/1   0.00 %    0/1  +0.00 pp    same         2026-09-01..2026-09-10",
    ]
    assert (
        "pfcr                 33.33 %  1/3   33.33 %   1/3  +0.00 pp    same         2026-09-04..2026-09-10"
        in section
    )
    assert "  Invoice Defect Rate: sellerpulse does not compute it" in section
    assert "policy violations (Amazon): listingPolicyViolations 0 (GOOD)" in section
    rejected = "health.json:$.performanceMetrics[0].validTrackingRate: validTrackingCount 12 is more than shipmentCount 10"
    assert section[-2:] == ["Account Health sections rejected: 1", f"  {rejected}"]
    assert result.stderr.splitlines() == [f"rejected {rejected}"]


def test_json_puts_amazon_under_each_metric_and_keeps_the_records_and_rejections(files):
    events, health = files
    result = run("--events", str(events), "--account-health", str(health), "--format", "json")  # one account
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    metrics = report["accounts"]["acme"]["metrics"]
    odr = metrics["odr"]["amazon"][US]
    assert odr["ours"] == {
        "value": 0.4,
        "numerator": 2,
        "denominator": 5,
        "days": {"from": "2026-09-01", "to": "2026-09-10"},
        "held": {"from": "2026-08-31", "to": "2026-09-11"},  # our MFN orders: A1's day to A6's
    }
    assert (odr["theirs"]["rate"], odr["theirs"]["numerator"], odr["theirs"]["denominator"]) == (0.5, 3, 6)
    assert odr["verdict"] == "differs" and odr["difference"] == pytest.approx(-0.1)
    assert odr["explanation"][0] == "orders: Amazon 6, ours 5 (1 fewer here)"
    assert odr["ours_behind"] == ["A2", "A4"]
    assert (metrics["pfcr"]["amazon"][US]["verdict"], metrics["pfcr"]["amazon"][US]["ours_behind"]) == (
        "same",
        [],
    )
    assert metrics["lsr_10d"]["amazon"][US]["ours"]["numerator"] == 4
    assert "amazon" not in metrics["lsr_30d"] and "amazon" not in metrics["vtr"]
    records = report["account_health"]["records"]
    assert [(r["account"], r["marketplace_id"]) for r in records] == [("acme", US)]
    assert "invoice_defect_rate" in [m["key"] for m in records[0]["metrics"]]
    assert report["account_health"]["rejected"] == [
        {
            "source": "health.json",
            "position": "$.performanceMetrics[0].validTrackingRate",
            "reason": "validTrackingCount 12 is more than shipmentCount 10",
        }
    ]


def test_a_report_without_account_health_is_unchanged(files):
    events, _ = files
    result = run("--events", str(events), "--format", "json")
    assert "account_health" not in json.loads(result.stdout)
    assert "Amazon's numbers" not in run("--events", str(events)).stdout


def test_whose_report_must_be_said_when_several_accounts_were_read(files, tmp_path: Path):
    events, health = files
    other = tmp_path / "other.csv"
    other.write_text(EVENTS_CSV.replace(",acme,", ",bolt,"))
    result = run("--events", str(events), "--events", str(other), "--account-health", str(health))
    assert result.returncode == 64
    assert result.stderr == (
        f"sellerpulse report: --account-health {health}: say whose report it is as ACCOUNT=FILE "
        "(accounts read: acme, bolt)\n"
    )
    missing = run("--events", str(events), "--account-health", f"acme={tmp_path / 'nothing.json'}")
    assert missing.returncode == 64
    assert "nothing.json" in missing.stderr and missing.stdout == ""


def test_report_of_a_state_file_shows_the_records_the_live_source_saved(files, tmp_path: Path):
    events, _ = files
    state = tmp_path / "state.sqlite3"
    read = [item for item in read_event_file(events) if isinstance(item, Event)]
    run_checkpointed(state, [("acme", amazon_report())], read)
    result = run("--state", str(state), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    odr = report["accounts"]["acme"]["metrics"]["odr"]["amazon"][US]
    assert (odr["ours"]["numerator"], odr["ours"]["denominator"], odr["verdict"]) == (2, 5, "differs")
    assert [r["account"] for r in report["account_health"]["records"]] == ["acme"]


def test_text_from_the_report_cannot_drive_the_terminal(files, tmp_path: Path):
    events, _ = files
    document = amazon_report()
    document["performanceMetrics"][0]["marketplaceId"] = "EVIL\x1b[2J\u202e"
    document["performanceMetrics"][0]["warningStates"] = [
        {"warningType": "x\x1b]52;c;cHdu\x07", "status": "BAD"}
    ]
    health = tmp_path / "evil.json"
    health.write_text(json.dumps(document))
    result = run("--events", str(events), "--account-health", f"acme={health}")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "Amazon's numbers beside ours: acme in EVIL\\x1b[2J\\u202e" in result.stdout
    assert "warnings (Amazon): x\\x1b]52;c;cHdu\\x07 BAD" in result.stdout
