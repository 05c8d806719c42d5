"""``sellerpulse report`` and ``sellerpulse check`` as a user runs them: a subprocess on real files.

The event files are built here from a few lines of arithmetic, so every expected number below is
worked out by hand from METRICS.md, not read back from the engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from order_fixtures import write_orders

AT = "2026-11-20T12:00:00Z"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def test_check_exit_status_is_zero_when_every_metric_is_healthy(tmp_path: Path) -> None:
    events = write_orders(tmp_path / "healthy.csv")
    result = run("check", "--events", str(events), "--at", AT, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_check_exit_status_is_one_on_a_warning(tmp_path: Path) -> None:
    # 9 of 200 shipments untracked: VTR = 191/200 = 95.5 %, healthy (>= 95 %) but under the 96 % warn level
    events = write_orders(tmp_path / "warn.csv", untracked=9)
    result = run("check", "--events", str(events), "--at", AT, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["WARNING shop vtr 95.50 % (target >= 95 %)"]


def test_check_exit_status_is_two_on_a_breach_and_json_lists_it(tmp_path: Path) -> None:
    # 20 of 200 shipped after ship-by; all 200 have ship-by days in the 30-day window: LSR 30d = 10 %
    events = write_orders(tmp_path / "late.csv", late=20)
    result = run("check", "--events", str(events), "--at", AT, "--format", "json", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "breach"
    lsr = {item["metric"]: item for item in report["unhealthy"]}["lsr_30d"]
    assert (lsr["numerator"], lsr["denominator"], lsr["status"]) == (20, 200, "breach")


def test_report_json_counts_exactly_and_respects_at(tmp_path: Path) -> None:
    events = write_orders(tmp_path / "orders.csv", late=20)
    # At 2026-11-16T09:00Z only orders placed 11-12..11-15 exist (n % 8 in 0..3: 100 orders), with
    # ship-by days 11-13..11-16, all inside the 30-day window. The late ones placed before 11-15 have
    # shipped late already; the three late ones placed on 11-15 (n = 3, 11, 19) have not shipped yet but
    # their ship-by (11-16 10:00) is later today: in the population, not late, and due within 4 h.
    result = run(
        "report", "--events", str(events), "--at", "2026-11-16T09:00:00Z", "--format", "json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    account = json.loads(result.stdout)["accounts"]["shop"]
    metrics, queues = account["metrics"], account["queues"]
    shipped_late = sum(1 for n in range(20) if n % 8 <= 2)
    assert (metrics["lsr_30d"]["numerator"], metrics["lsr_30d"]["denominator"]) == (shipped_late, 100)
    assert metrics["pfcr"]["denominator"] == 100
    to_ship = queues["orders_to_ship"]
    assert (to_ship["count"], to_ship["overdue"], to_ship["due_soon"]) == (3, 0, 3)
    assert [item["ref"] for item in to_ship["items"]] == ["O-0003", "O-0011", "O-0019"]


def test_report_table_is_plain_when_piped_and_coloured_on_request(tmp_path: Path) -> None:
    events = write_orders(tmp_path / "late.csv", late=20)
    plain = run("report", "--events", str(events), "--at", AT, cwd=tmp_path)
    assert plain.returncode == 0
    assert "\x1b[" not in plain.stdout
    assert "lsr_30d" in plain.stdout and "breach" in plain.stdout
    coloured = run("report", "--events", str(events), "--at", AT, "--color", "always", cwd=tmp_path)
    assert "\x1b[1;31mbreach" in coloured.stdout


def test_hostile_text_never_reaches_the_terminal_raw(tmp_path: Path) -> None:
    events = write_orders(tmp_path / "evil.csv", orders=3, account="evil\x1b]0;pwned\x07[red]x")
    result = run("report", "--events", str(events), "--at", AT, "--color", "never", cwd=tmp_path)
    assert result.returncode == 0
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "evil\\x1b]0;pwned\\x07[red]x" in result.stdout


def test_bad_rows_are_rejected_with_positions_and_the_rest_counts(tmp_path: Path) -> None:
    events = write_orders(tmp_path / "mixed.csv", orders=10)
    with events.open("a") as handle:
        handle.write("yesterday,order_placed,X-1,shop,,,,,,,,\n")  # line 22: bad ts
        handle.write("2026-11-19T10:00:00Z,order_teleported,X-2,shop,,,,,,,,\n")  # line 23: unknown kind
        handle.write("2026-11-19T10:00:00Z,order_placed,,shop,,,,,,,,\n")  # line 24: no order_id
    result = run("report", "--events", str(events), "--at", AT, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["rejected_rows"] == 3
    assert report["rejected"] == [{"source": "mixed.csv", "count": 3}]
    assert report["accounts"]["shop"]["metrics"]["lsr_30d"]["denominator"] == 10  # every good order counted
    lines = [line for line in result.stderr.splitlines() if line.startswith("rejected")]
    assert [line.split(":")[1] for line in lines] == ["line 22", "line 23", "line 24"]
    assert "needs order_id" in lines[2]


def test_json_lines_and_arrays_read_like_csv(tmp_path: Path) -> None:
    objects = [
        {
            "ts": "2026-11-19T10:00:00Z",
            "kind": "order_placed",
            "order_id": "J-1",
            "ship_by": "2026-11-20T10:00:00Z",
        },
        {"ts": "2026-11-19T11:00:00+01:00", "kind": "order_placed", "order_id": "J-2", "channel": "AFN"},
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(o) for o in objects) + "\n")
    (tmp_path / "b.json").write_text(
        json.dumps([{"ts": "2026-11-19T12:00:00Z", "kind": "refund", "order_id": "J-2"}])
    )
    result = run(
        "report", "--events", "a.jsonl", "--events", "b.json", "--at", AT, "--format", "json", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)["accounts"]["default"]["metrics"]
    assert (metrics["refund_rate"]["numerator"], metrics["refund_rate"]["denominator"]) == (1, 2)
    # J-1's ship-by (11-20 10:00) is before at and it never shipped: late
    assert (metrics["lsr_10d"]["numerator"], metrics["lsr_10d"]["denominator"]) == (1, 1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "missing.csv"], "no such event file: missing.csv"),
        ([], "nothing to read"),
        (["--events", "x.csv", "--at", "tomorrow"], "not an ISO-8601 instant"),
        (["--events", "x.csv", "--timezone", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_usage_errors_are_clear(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "x.csv").write_text("ts,kind\n")
    result = run("report", *args, cwd=tmp_path)
    assert result.returncode == 64
    assert message in result.stderr


def test_a_marketplace_report_is_read_whatever_its_name(tmp_path: Path) -> None:
    """`report --events "All Orders Report.txt"` just works: the header says it is Amazon's all-orders
    report (tab-separated, one row per order item), and the csv source maps it to events."""
    header = ["amazon-order-id", "purchase-date", "last-updated-date", "order-status", "fulfillment-channel",
              "sku", "item-status"]  # fmt: skip
    rows = [
        [
            "111-1",
            "2026-11-18T10:00:00+00:00",
            "2026-11-19T09:00:00+00:00",
            "Shipped",
            "Amazon",
            "A",
            "Shipped",
        ],
        [
            "111-1",
            "2026-11-18T10:00:00+00:00",
            "2026-11-19T09:00:00+00:00",
            "Shipped",
            "Amazon",
            "B",
            "Shipped",
        ],
        [
            "111-2",
            "2026-11-18T11:00:00+00:00",
            "2026-11-18T11:00:00+00:00",
            "Pending",
            "Merchant",
            "C",
            "Unshipped",
        ],
        [
            "111-3",
            "2026-11-18T12:00:00+00:00",
            "2026-11-19T12:00:00+00:00",
            "Cancelled",
            "Merchant",
            "D",
            "Cancelled",
        ],
        ["111-4", "not a date", "2026-11-19T12:00:00+00:00", "Pending", "Merchant", "E", "Unshipped"],
    ]
    text = "\n".join("\t".join(cells) for cells in [header, *rows]) + "\n"
    (tmp_path / "All Orders Report.txt").write_text(text)
    result = run("report", "--events", "All Orders Report.txt", "--at", AT, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    metrics = report["accounts"]["default"]["metrics"]
    # three orders (the two rows of 111-1 are one order), both channels
    assert metrics["refund_rate"]["denominator"] == 3
    # the two merchant-fulfilled orders, one cancelled (the report does not say by whom: the seller)
    assert (metrics["pfcr"]["numerator"], metrics["pfcr"]["denominator"]) == (1, 2)
    assert report["rejected"] == [{"source": "All Orders Report.txt", "count": 1}]


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "small-events.csv"
EXAMPLE_AT = "2026-10-15T09:00:00Z"


@pytest.fixture(scope="module")
def journalled_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state file written by `run --headless` reading the worked example to its end (its clean exit
    also saves the engine state, which holds the events dated after EXAMPLE_AT too)."""
    import os
    import signal
    import threading

    folder = tmp_path_factory.mktemp("journalled")
    (folder / "small-events.csv").write_bytes(EXAMPLE.read_bytes())
    (folder / "sellerpulse.toml").write_text(
        '[general]\ntimezone = "Europe/Berlin"\n\n'
        '[[sources]]\ntype = "csv"\nname = "small-events.csv"\npath = "small-events.csv"\n',
        encoding="utf-8",
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
           "XDG_CONFIG_HOME": str(folder / "cfg"), "XDG_STATE_HOME": str(folder / "st")}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--config", "sellerpulse.toml",
         "--state", "state.sqlite3", "--log-file", "run.log"],
        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    timer = threading.Timer(30, process.kill)
    timer.start()
    try:
        for line in process.stderr:  # the source says it is done once the file is read to its end
            if "source small-events.csv done" in line:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0, process.stderr.read()
    finally:
        timer.cancel()
        process.kill()
    return folder / "state.sqlite3"


def as_json(result: subprocess.CompletedProcess[str]) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("at", [EXAMPLE_AT, "2026-12-31T00:00:00Z"])
def test_report_state_at_an_instant_counts_only_events_up_to_it(
    journalled_example: Path, tmp_path: Path, at: str
) -> None:
    """The same numbers as reading the file as of ``at`` (the saved engine state, which holds later
    events, is not used for an earlier instant; the journal is replayed up to it). Run elsewhere, with
    no config: the state's own time zone applies."""
    saved = as_json(run("report", "--state", str(journalled_example), "--at", at, "--format", "json",
                        cwd=tmp_path))  # fmt: skip
    fresh = as_json(run("report", "--events", str(EXAMPLE), "--at", at, "--timezone", "Europe/Berlin",
                        "--format", "json", cwd=tmp_path))  # fmt: skip
    assert saved == fresh
    if at == EXAMPLE_AT:  # the worked example's figure, worked out from the contract
        expected = json.loads(EXAMPLE.with_name("small-expected.json").read_text())
        to_ship = saved["accounts"]["acme-us"]["queues"]["orders_to_ship"]["count"]
        assert to_ship == expected["accounts"]["acme-us"]["queues"]["orders_to_ship"]["count"] == 6


def test_report_state_at_an_instant_without_a_saved_engine_replays_the_journal(
    journalled_example: Path, tmp_path: Path
) -> None:
    """As after a crash (no engine state saved): the journal alone, up to the instant."""
    import shutil
    import sqlite3

    state = tmp_path / "crashed.sqlite3"
    shutil.copyfile(journalled_example, state)
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM state_engine").fetchone()[0] > 0
        db.execute("DELETE FROM state_engine")
    saved = as_json(
        run("report", "--state", str(state), "--at", EXAMPLE_AT, "--format", "json", cwd=tmp_path)
    )
    fresh = as_json(run("report", "--events", str(EXAMPLE), "--at", EXAMPLE_AT, "--timezone", "Europe/Berlin",
                        "--format", "json", cwd=tmp_path))  # fmt: skip
    assert saved == fresh


def test_rows_a_marketplace_report_rejects_are_listed_with_their_line_and_reason(tmp_path: Path) -> None:
    """Rows rejected while a source reads a file (an Amazon all-orders report here) are listed on stderr
    with their position and reason, as a canonical file's are, not only counted."""
    report = tmp_path / "All Orders.txt"
    report.write_text(
        "amazon-order-id\tpurchase-date\torder-status\tfulfillment-channel\n"
        "111-1\t2026-11-10T10:00:00+00:00\tPending\tMerchant\n"
        "111-2\tyesterday\tPending\tMerchant\n"
        "111-3\t2026-11-10T11:00:00+00:00\tPending\tDrone\n"
    )
    result = run("check", "--events", str(report), "--at", AT, cwd=tmp_path)
    assert "rejected All Orders.txt:line 3: unreadable date 'yesterday'" in result.stderr
    assert "rejected All Orders.txt:line 4: unknown fulfillment-channel 'drone'" in result.stderr


def test_a_report_in_a_zone_gives_deadlines_in_it_and_json_targets_as_numbers(tmp_path: Path) -> None:
    # a claim opened 2026-11-18 10:00 UTC is due 48 h later: 2026-11-20 10:00 UTC = 11:00 in Berlin (CET)
    opened = datetime(2026, 11, 18, 10, tzinfo=UTC)
    events = write_orders(tmp_path / "claim.csv", claim_opened=opened)
    table = run("report", "--events", str(events), "--at", AT, "--timezone", "Europe/Berlin", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    claims = next(line for line in table.stdout.splitlines() if line.startswith("claims_awaiting_response"))
    assert claims.endswith("AZ-1 2026-11-20 11:00 CET"), claims
    lifetime = next(line for line in table.stdout.splitlines() if line.startswith("feedback_score_lifetime"))
    assert lifetime.endswith("lifetime..2026-11-20"), lifetime
    assert "0001-01-01" not in table.stdout

    data = json.loads(
        run("report", "--events", str(events), "--at", AT, "--format", "json", cwd=tmp_path).stdout
    )
    metrics = data["accounts"]["shop"]["metrics"]
    assert metrics["odr"]["target"] == 0.01 and metrics["vtr"]["target"] == 0.95
    assert metrics["vtr"]["value"] >= metrics["vtr"]["target"]  # a number compares with a number
    assert metrics["feedback_score_lifetime"]["window"] == {"from": None, "to": "2026-11-20"}
