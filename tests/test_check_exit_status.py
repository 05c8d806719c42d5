"""``sellerpulse check`` never calls "healthy" what it could not read, and warns of overdue queue items.

Exit statuses as monitoring systems read them (Nagios plugin convention): 0 ok, 1 warning, 2 breach,
3 unknown. A breach found in what was read wins over inputs that could not be read (both are printed); an
input that gave nothing wins over a warning, since what it holds could be worse. Every case runs the CLI
as a subprocess on real files (or a real closed port on 127.0.0.1).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from order_fixtures import COLUMNS, write_orders

AT = "2026-11-20T12:00:00Z"


def check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "cfg"),
           "XDG_STATE_HOME": str(cwd / "st"), "XDG_DATA_HOME": str(cwd / "data")}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "check", "--at", AT, *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=60,
    )  # fmt: skip


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def failing_source_config(folder: Path) -> Path:
    config = folder / "sellerpulse.toml"
    config.write_text(
        f'[[sources]]\ntype = "http"\nname = "api"\nurl = "http://127.0.0.1:{closed_port()}/events"\n'
        "max_retries = 0\n",
        encoding="utf-8",
    )
    return config


def test_an_empty_file_is_unknown_not_healthy(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    result = check("--events", "empty.csv", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["UNKNOWN empty.csv: no events read"]


def test_a_header_only_file_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "header.csv").write_text(",".join(COLUMNS) + "\n")
    result = check("--events", "header.csv", "--format", "json", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "unknown"
    assert report["unread"] == [{"source": "header.csv", "problem": "no events read"}]


def test_an_unrecognised_header_is_unknown(tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text("a,b,c\n1,2,3\n")
    result = check("--events", "other.csv", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("UNKNOWN other.csv: failed: CsvFormatError: ")
    assert "unrecognised header (a, b, c)" in line


def test_a_failed_source_is_unknown(tmp_path: Path) -> None:
    config = failing_source_config(tmp_path)
    result = check("--config", str(config), cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith("UNKNOWN api: failed: HttpSourceError: request failed: ConnectError")


def test_a_failed_source_beside_a_warning_is_unknown(tmp_path: Path) -> None:
    config = failing_source_config(tmp_path)
    write_orders(tmp_path / "claim.csv", claim_opened=datetime(2026, 11, 17, 12, tzinfo=UTC))
    result = check("--config", str(config), "--events", "claim.csv", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("UNKNOWN api: failed: ")
    assert lines[1:] == ["WARNING shop claims_awaiting_response: 1 overdue (AZ-1 due 2026-11-19 12:00 UTC)"]


def test_a_breach_beside_a_failed_source_is_a_breach_and_both_are_printed(tmp_path: Path) -> None:
    config = failing_source_config(tmp_path)
    write_orders(tmp_path / "late.csv", late=20)  # LSR 30d = 20/200 = 10 %
    result = check("--config", str(config), "--events", "late.csv", "--format", "json", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "breach"
    lsr = {item["metric"]: item for item in report["unhealthy"]}["lsr_30d"]
    assert (lsr["numerator"], lsr["denominator"], lsr["status"]) == (20, 200, "breach")
    [unread] = report["unread"]
    assert unread["source"] == "api" and unread["problem"].startswith("failed: HttpSourceError: ")


def test_an_overdue_a_to_z_claim_is_a_warning(tmp_path: Path) -> None:
    # opened 2026-11-17 12:00, 48 h to answer: overdue since 11-19 12:00; the order is outside the ODR
    # and A-to-z windows (14 days' lag), so no metric moves
    write_orders(tmp_path / "claim.csv", claim_opened=datetime(2026, 11, 17, 12, tzinfo=UTC))
    result = check("--events", "claim.csv", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        "WARNING shop claims_awaiting_response: 1 overdue (AZ-1 due 2026-11-19 12:00 UTC)"
    ]
    data = check("--events", "claim.csv", "--format", "json", cwd=tmp_path)
    report = json.loads(data.stdout)
    assert report["status"] == "warning"
    assert report["overdue"] == [
        {"account": "shop", "queue": "claims_awaiting_response", "count": 1, "overdue": 1,
         "next": {"ref": "AZ-1", "deadline": "2026-11-19T12:00:00Z"}}
    ]  # fmt: skip


def test_a_claim_not_yet_due_is_healthy(tmp_path: Path) -> None:
    write_orders(tmp_path / "claim.csv", claim_opened=datetime(2026, 11, 19, 12, tzinfo=UTC))
    result = check("--events", "claim.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_saved_state_with_nothing_journalled_is_unknown(tmp_path: Path) -> None:
    from sellerpulse.core.state_store import StateStore

    StateStore(tmp_path / "state.sqlite3").close()
    result = check("--state", "state.sqlite3", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["UNKNOWN state.sqlite3: no events read"]


def test_help_documents_every_exit_status(tmp_path: Path) -> None:
    result = check("--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for status in ("0 healthy", "1 warning", "2 breach", "3 unknown"):
        assert status in text, status
