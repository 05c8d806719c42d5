"""``sellerpulse report`` / ``check`` with configured ``http`` and ``mock`` sources, run as a user runs them.

The example API serves the worked example's events: reading them over HTTP must give the same metrics as
reading the file, and the access token comes from an environment variable and never shows in any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))
import http_server  # noqa: E402

EVENTS = EXAMPLES / "small-events.csv"
AT = "2026-10-15T09:00:00Z"
TOKEN = "tok-9f8e7d6c5b"


def sellerpulse(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


def metrics(report: str) -> dict[str, dict[str, object]]:
    accounts = json.loads(report)["accounts"]
    return {
        name: {mid: (m["numerator"], m["denominator"], m["status"]) for mid, m in account["metrics"].items()}
        for name, account in accounts.items()
    }


@pytest.fixture
def server():
    running = http_server.serve_in_thread(EVENTS, page_size=250, token=TOKEN)
    yield running
    running.shutdown()
    running.server_close()


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sellerpulse.toml"
    path.write_text('[general]\ntimezone = "Europe/Berlin"\n\n' + body, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_report_over_http_matches_the_file(server, tmp_path):
    config = write_config(
        tmp_path,
        f"""[[sources]]
type = "http"
name = "api"
url = "{server.url}/events"
headers = {{ "x-amz-access-token" = "${{SP_TEST_TOKEN}}" }}
""",
    )
    over_http = sellerpulse("report", "--config", str(config), "--at", AT, "--format", "json",
                            env={"SP_TEST_TOKEN": TOKEN})  # fmt: skip
    assert over_http.returncode == 0, over_http.stderr
    from_file = sellerpulse("report", "--events", str(EVENTS), "--at", AT, "--timezone", "Europe/Berlin",
                            "--format", "json")  # fmt: skip
    assert from_file.returncode == 0, from_file.stderr
    assert metrics(over_http.stdout) == metrics(from_file.stdout)
    assert len(server.api.requests) > 2  # it paged


def test_a_wrong_token_fails_the_source_without_showing_it(server, tmp_path):
    config = write_config(
        tmp_path,
        f"""[[sources]]
type = "http"
name = "api"
url = "{server.url}/events"
max_retries = 0
headers = {{ "x-amz-access-token" = "${{SP_TEST_TOKEN}}" }}
""",
    )
    result = sellerpulse(
        "report", "--config", str(config), "--at", AT, env={"SP_TEST_TOKEN": "wrong-" + TOKEN}
    )
    output = result.stdout + result.stderr
    assert "HTTP 403" in output
    assert "wrong-" + TOKEN not in output and TOKEN not in output


def test_check_on_the_late_shipping_mock_reports_the_breach(tmp_path):
    config = write_config(
        tmp_path,
        """[[sources]]
type = "mock"
scenario = "late-shipping"
orders_per_day = 60
start = "2026-11-20T12:00:00Z"
""",
    )
    result = sellerpulse("check", "--config", str(config), "--at", "2026-11-20T12:00:00Z", "--format", "json")
    assert result.returncode == 2, result.stderr
    assert "lsr_10d" in result.stdout


class EndlessPages(BaseHTTPRequestHandler):
    """An API whose every answer has a new page token and no events: it pages forever."""

    protocol_version = "HTTP/1.1"
    wbufsize = -1  # the answer leaves in one write: split writes wait for delayed ACKs (40 ms each)
    served = 0

    def do_GET(self) -> None:
        type(self).served += 1
        body = json.dumps({"events": [], "next": f"page-{type(self).served}"}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endless():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EndlessPages)
    EndlessPages.served = 0
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_report_on_an_api_that_pages_forever_returns_and_says_why(endless, tmp_path):
    config = write_config(
        tmp_path,
        f"""[[sources]]
type = "http"
name = "api"
url = "http://127.0.0.1:{endless.server_address[1]}/events"
""",
    )
    began = time.monotonic()
    result = sellerpulse("report", "--config", str(config), "--at", AT)
    assert time.monotonic() - began < 60
    assert (
        "source api failed" in result.stderr
        and "more than 100 pages in one poll (max_pages)" in result.stderr
    )
    assert EndlessPages.served == 100  # the default max_pages, then it stopped


def test_plugins_describe_lists_max_pages():
    result = sellerpulse("plugins", "--describe", "http")
    assert result.returncode == 0, result.stderr
    assert "max_pages (int) [default 100]" in result.stdout
