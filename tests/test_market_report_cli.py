"""``report`` and ``check`` on accounts of three marketplaces at once, as a user runs them (a subprocess
on a real config and event file): each account judged by its own profile, side by side, with the level
where the profile has a ladder. Expected numbers are worked out by hand in the comments."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

AT = "2026-11-20T12:00:00Z"
CONFIG = """
[accounts.az]
profile = "amazon"
[accounts.wm]
profile = "walmart"
[accounts.eb]
profile = "ebay"
"""


def write_events(path: Path) -> None:
    rows = []
    for account, count, cancelled in (("az", 50, 0), ("wm", 50, 2), ("eb", 200, 4)):
        for n in range(count):
            order = f"{account}-{n}"
            rows.append(
                {"ts": "2026-11-10T10:00:00Z", "kind": "order_placed", "account": account, "order_id": order}
            )
            if n < cancelled:
                rows.append({"ts": "2026-11-10T11:00:00Z", "kind": "order_cancelled", "account": account,
                             "order_id": order, "by": "seller"})  # fmt: skip
    rows.append({"ts": "2026-11-11T10:00:00Z", "kind": "refund", "account": "wm", "order_id": "wm-9",
                 "reason": "damaged"})  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, ["ts", "kind", "account", "order_id", "by", "reason"])
        writer.writeheader()
        writer.writerows(rows)


def run(tmp_path: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    write_events(tmp_path / "events.csv")
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", command, "--config", str(tmp_path / "sellerpulse.toml"),
         "--events", str(tmp_path / "events.csv"), "--at", AT, *args],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_report_shows_each_marketplace_by_its_own_rules_side_by_side(tmp_path: Path) -> None:
    result = run(tmp_path, "report")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    summary = {line.split()[0]: line for line in lines[2:6]}
    assert lines[2].split() == ["account", "marketplace", "profile", "status", "breach", "warning", "level"]
    # wm: 2 seller cancellations of 50 = 4 % > 2 %; 1 damaged refund of 50 = 2 % (<= 6 %, under 5 % warn)
    assert summary["wm"].split()[:5] == ["wm", "Walmart", "walmart", "breach", "cancel_rate"]
    # eb: 4 of 200 = 2 %, at eBay's bound (healthy) but past the 1.5 % warn level; Top Rated allows 3
    # defects, so the level is Above Standard, where 2 % of 200 = 4 defects leaves no room
    assert "Above Standard; the next defect drops it to Below Standard" in summary["eb"]
    assert summary["eb"].split()[:6] == ["eb", "eBay", "ebay", "warning", "-", "tdr"]
    # az: no defect among orders 10 days old (odr_recent counts them): ok
    assert summary["az"].split()[:4] == ["az", "Amazon", "amazon", "ok"]
    assert (
        "level Above Standard; the next defect drops it to Below Standard (misses tdr of the level above)"
        in lines
    )

    report = json.loads(run(tmp_path, "report", "--format", "json").stdout)
    eb, wm = report["accounts"]["eb"], report["accounts"]["wm"]
    assert (eb["marketplace"], eb["level"]["level"], eb["level"]["next_down"]) == (
        "eBay",
        "Above Standard",
        "Below Standard",
    )
    assert (wm["metrics"]["refund_rate"]["numerator"], wm["metrics"]["refund_rate"]["denominator"]) == (1, 50)
    assert "level" not in report["accounts"]["az"]


def test_check_judges_each_account_by_its_profile(tmp_path: Path) -> None:
    result = run(tmp_path, "check")
    # the Walmart account's cancellations are a breach: exit 2
    assert result.returncode == 2, result.stdout + result.stderr
    assert "BREACH wm cancel_rate 4.00 % (target <= 2 %)" in result.stdout.splitlines()
    assert "WARNING eb tdr 2.00 % (target <= 2 %)" in result.stdout.splitlines()
    assert not any(" az " in line for line in result.stdout.splitlines())
    report = json.loads(run(tmp_path, "check", "--format", "json").stdout)
    assert report["accounts"]["eb"]["level"]["level"] == "Above Standard"
    assert report["accounts"]["wm"] == {"marketplace": "Walmart", "profile": "walmart", "level": None}
