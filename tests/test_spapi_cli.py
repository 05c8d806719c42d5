"""The ``sp-api`` source from the command line: ``plugins --describe sp-api``, ``config show`` with its
credentials written in the file (masked), and ``report`` reading examples/spapi.toml's stand-in once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from spapi_fixtures import seller, spapi_server

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
        "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data"),
    }  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_describe_lists_the_options_with_the_credentials_secret(tmp_path: Path) -> None:
    result = cli(tmp_path, "plugins", "--describe", "sp-api", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["kind"] == "source" and data["plugin"] == "builtin"
    options = {option["name"]: option for option in data["options"]}
    for name in ("client_id", "client_secret", "refresh_token"):
        assert options[name]["required"] and options[name]["secret"]
    assert options["marketplace_ids"]["required"]
    assert options["region"]["choices"] == ["na", "eu", "fe"]
    assert "GET_V2_SELLER_PERFORMANCE_REPORT" in options["reports"]["default"]


def test_the_example_config_reads_the_stand_in_and_config_show_masks_the_credentials(tmp_path: Path) -> None:
    market = seller()
    server = spapi_server.serve_in_thread(market)
    try:
        config = (EXAMPLES / "spapi.toml").read_text(encoding="utf-8")
        config = config.replace("http://127.0.0.1:8766", server.url)
        config = config.replace("report_poll = 2", "report_poll = 0.05\nlookback_days = 20")
        path = tmp_path / "sellerpulse.toml"
        path.write_text(config, encoding="utf-8")
        path.chmod(0o600)
        shown = cli(tmp_path, "config", "show", "--config", str(path))
        report = cli(tmp_path, "report", "--config", str(path), "--format", "json")
    finally:
        server.shutdown()
        server.server_close()
    assert shown.returncode == 0, shown.stderr
    for secret in (spapi_server.CLIENT_ID, spapi_server.CLIENT_SECRET, spapi_server.REFRESH_TOKEN):
        assert secret not in shown.stdout + shown.stderr + report.stdout + report.stderr
    assert 'client_secret = "***"' in shown.stdout
    assert report.returncode in (0, 1, 2), report.stderr
    answer = json.loads(report.stdout)
    acme = answer["accounts"]["acme-us"]
    # Amazon's own numbers, read by the source from the Account Health report, beside ours
    assert [r["marketplace_id"] for r in answer["account_health"]["records"]] == ["ATVPDKIKX0DER"]
    assert "ATVPDKIKX0DER" in acme["metrics"]["pfcr"]["amazon"]
    # order 1's 1-star feedback and its A-to-z claim make it the one defective order of the last 60 days
    assert acme["metrics"]["odr_recent"]["numerator"] == 1
    assert market.count("createReport") == 4
