"""``sellerpulse serve`` as a real process on 127.0.0.1: its snapshot and its Prometheus metrics give what
``report`` gives on the same data; a view following the stream ends with the served view; the token
rules hold; a second serve on the same state file is refused; after ``kill -9`` the serve file is seen
as stale and a new serve resumes from the state."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sellerpulse.core.api import discovery, wire
from sellerpulse.core.api.stream import StreamFollower
from serve_fixtures import AT, CONFIG, EXAMPLES, StreamReader, get, serve_command, start_serve, stop, wait_for
from state_fixtures import child_env, reaped

children = pytest.fixture(reaped, name="children")
pytestmark = pytest.mark.slow


def folder_with_events(tmp_path: Path, lines: int | None = None) -> list[str]:
    """The worked example's events in ``events.csv`` (its first ``lines`` rows); returns all its rows."""
    rows = (EXAMPLES / "small-events.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = rows if lines is None else rows[: lines + 1]
    (tmp_path / "events.csv").write_text("".join(kept), encoding="utf-8")
    (tmp_path / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    return rows


def report_json(folder: Path) -> dict:
    result = subprocess.run(
        [*serve_command()[:3], "report", "--config", "sellerpulse.toml", "--at", AT, "--format", "json"],
        cwd=folder, env=child_env(folder), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def samples(text: str) -> dict[str, dict[tuple, float]]:
    """Every sample of a Prometheus text page, by name and sorted labels, parsed by prometheus_client."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def test_snapshot_and_metrics_give_what_report_gives_on_the_same_data(tmp_path: Path, children) -> None:
    folder_with_events(tmp_path)
    expected = report_json(tmp_path)
    child, url = start_serve(tmp_path, "--at", AT)
    children.append(child)
    # the source is followed: wait until every row is read
    wait_for(lambda: get(url + "/api/v1/snapshot")[1] == expected, what="the snapshot to equal report's")

    alerts = wait_for(lambda: get(url + "/api/v1/view")[1]["alerts"], what="the first alert evaluation")
    page = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    got = {"sellerpulse_metric_seconds": {}, "sellerpulse_metric_value": {}, **samples(page)}
    compared = 0
    for account, acc in expected["accounts"].items():
        for mid, metric in acc["metrics"].items():
            key = (("account", account), ("metric", mid))
            if metric["value"] is None:
                assert key not in got["sellerpulse_metric_ratio"]
            elif key in got["sellerpulse_metric_ratio"]:
                assert got["sellerpulse_metric_ratio"][key] == metric["value"]
            elif key in got["sellerpulse_metric_seconds"]:
                assert got["sellerpulse_metric_seconds"][key] == pytest.approx(
                    metric["value"] * 3600, rel=1e-12
                )
            else:
                assert got["sellerpulse_metric_value"][(*key, ("unit", "count"))] == metric["value"]
            for field in ("numerator", "denominator", "headroom"):
                if metric[field] is not None:
                    assert got[f"sellerpulse_metric_{field}"][key] == metric[field], (account, mid, field)
            current = {
                dict(labels)["status"] for labels, value in got["sellerpulse_metric_status"].items()
                if value == 1 and labels[:2] == key
            }  # fmt: skip
            assert current == {metric["status"]}
            compared += 1
        for qid, waiting in acc["queues"].items():
            key = (("account", account), ("queue", qid))
            assert got["sellerpulse_queue_items"][key] == waiting["count"]
            assert got["sellerpulse_queue_overdue_items"][key] == waiting["overdue"]
            assert got["sellerpulse_queue_due_soon_items"][key] == waiting["due_soon"]
    assert compared >= 40 and len(expected["accounts"]) == 2
    rejected = {r["source"]: r["count"] for r in expected["rejected"]}
    assert got["sellerpulse_rows_rejected_total"] == {(("source", "orders"),): rejected["orders"]}
    assert got["sellerpulse_source_state"][(("source", "orders"), ("state", "ok"))] == 1
    assert got["sellerpulse_source_events_total"][(("source", "orders"),)] > 0
    for alert in alerts:  # the profile's default rules: one series per state, 1 for the current one
        labels = alert["labels"]
        rest = ",".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != "account")
        key = (("account", labels.get("account", "")), ("labels", rest), ("rule", alert["rule"]))
        assert got["sellerpulse_alert_state"][(*key, ("state", alert["state"]))] == 1
    assert "# HELP sellerpulse_metric_ratio " in page
    # the example alerting rules select series and label values that are served
    rules = (EXAMPLES / "prometheus-rules.yml").read_text(encoding="utf-8")
    selectors = re.findall(r"expr: (sellerpulse_\w+)(?:\{(\w+)=\"(\w+)\"\})?", rules)
    assert len(selectors) == 3
    for name, label, value in selectors:
        assert got[name], name
        assert not label or any((label, value) in series for series in got[name]), (name, label, value)
    assert stop(child)[0] == 0


def read_events(stream: StreamReader, follower: StreamFollower, quiet: float) -> int:
    """Apply stream messages until none comes for ``quiet`` seconds; how many were patches."""
    patches = 0
    while True:
        try:
            item = stream.next(quiet)
        except queue.Empty:
            return patches
        assert item is not None, "the stream ended"
        event, payload = item
        assert follower.feed(event, payload), f"out of step at {payload.get('seq')}"
        patches += event == "patch"


def test_a_view_applying_the_streamed_patches_ends_with_the_served_view(tmp_path: Path, children) -> None:
    rows = folder_with_events(tmp_path, lines=300)
    child, url = start_serve(tmp_path, "--at", AT)
    children.append(child)
    follower = StreamFollower()
    stream = StreamReader(url)
    assert stream.response.headers["Content-Type"] == "text/event-stream"
    patches = read_events(stream, follower, quiet=1.0)
    assert follower.document is not None
    first = wire.decode_view(follower.document).snapshot
    with (tmp_path / "events.csv").open("a", encoding="utf-8") as handle:
        for start in range(301, len(rows), 400):  # the rest of the file, in three appends
            handle.writelines(rows[start : start + 400])
            handle.flush()
            time.sleep(0.3)
    deadline = time.monotonic() + 30
    while True:
        patches += read_events(stream, follower, quiet=1.0)
        served = get(url + "/api/v1/view")[1]
        if follower.document == served or time.monotonic() > deadline:
            break
    assert follower.document == served
    last = wire.decode_view(follower.document).snapshot
    assert patches >= 2 and last != first
    assert sum(q.count for a in last.accounts.values() for q in a.queues.values()) > 0
    assert stop(child)[0] == 0


def test_the_token_rules(tmp_path: Path, children) -> None:
    folder_with_events(tmp_path)
    child, url = start_serve(tmp_path, "--at", AT)
    children.append(child)
    token_file = tmp_path / "state" / "sellerpulse" / "serve.token"
    assert f"the action token is in {token_file}" in (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert token_file.stat().st_mode & 0o777 == 0o600
    token = token_file.read_text(encoding="ascii").strip()
    wrong = token[:-1] + ("a" if token[-1] != "a" else "b")

    for path in ("/api/v1/snapshot", "/metrics", "/api/v1/stream"):
        status, body = get(url + path, wrong)
        assert status == 401 and body["error"].startswith("wrong token"), path
    assert get(url + "/api/v1/snapshot")[0] == 200  # loopback: reads need no token
    status, body = get(url + "/api/v1/alerts/ack", method="POST", body={"rule": "odr"})
    assert status == 401 and "token required" in body["error"]
    status, body = get(url + "/api/v1/alerts/ack", wrong, method="POST", body={"rule": "odr"})
    assert status == 401 and body["error"].startswith("wrong token")

    rule = wait_for(lambda: get(url + "/api/v1/view")[1]["alerts"], what="alert states")[0]["rule"]
    assert get(url + "/api/v1/alerts/ack", token, "POST", {"rule": rule}) == (200, {"acknowledged": 0})
    assert get(url + "/api/v1/alerts/ack", token, "POST", {"rule": "nope"}) == (
        404, {"error": "no alert rule named 'nope'"}
    )  # fmt: skip
    status, body = get(url + "/api/v1/alerts/silence", token, "POST", {"rule": rule, "for": "soon"})
    assert status == 400 and "soon" in body["error"]
    status, body = get(url + "/api/v1/alerts/silence", token, "POST", {"rule": rule, "for": "2h"})
    assert status == 200 and isinstance(body["silence"], int)
    silenced = wait_for(
        lambda: [a for a in get(url + "/api/v1/view")[1]["alerts"] if a["rule"] == rule and a["silenced"]],
        what="the silence in the alert states",
    )
    assert silenced
    assert stop(child)[0] == 0


def wait_until_read(url: str, rows: int) -> None:
    """Until serve's source has read every row of the followed file (as events or rejections)."""

    def every_row_read() -> bool:
        health = get(url + "/api/v1/view")[1]["health"]["orders"]
        return health["events"] + health["rejected"] == rows

    wait_for(every_row_read, what="every row read")


def test_drill_down_rows_come_from_the_api(tmp_path: Path, children) -> None:
    rows = len(folder_with_events(tmp_path)) - 1
    child, url = start_serve(tmp_path, "--at", AT)
    children.append(child)
    wait_until_read(url, rows)
    status, rows = get(url + "/api/v1/accounts/acme-us/metrics/odr/rows")
    assert status == 200 and rows
    decoded = wire.decode_bad_outcomes(rows)
    view = wire.decode_view(get(url + "/api/v1/view")[1]).snapshot
    assert len(decoded) == view.accounts["acme-us"].metrics["odr"].numerator
    status, items = get(url + "/api/v1/accounts/acme-us/queues/orders_to_ship/items")
    assert status == 200 and len(items) == view.accounts["acme-us"].queues["orders_to_ship"].count
    status, rejected = get(url + "/api/v1/sources/orders/rejections")
    assert status == 200 and {"position", "reason"} <= set(rejected[0])
    assert get(url + "/api/v1/accounts/nobody/metrics/odr/rows") == (404, {"error": "no account 'nobody'"})
    assert get(url + "/api/v1/accounts/acme-us/queues/nope/items")[0] == 404
    assert stop(child)[0] == 0


def test_a_second_serve_on_the_same_state_is_refused(tmp_path: Path, children) -> None:
    folder_with_events(tmp_path)
    first, url = start_serve(tmp_path, "--at", AT)
    children.append(first)
    second = subprocess.run(
        serve_command("--state", "state.sqlite3", "--listen", "127.0.0.1:0", "--at", AT),
        cwd=tmp_path, env=child_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert second.returncode == 64
    assert "is in use by another sellerpulse" in second.stderr and f"pid {first.pid}" in second.stderr
    assert second.stdout == ""  # it never listened
    assert get(url + "/api/v1/snapshot")[0] == 200
    assert stop(first)[0] == 0


def test_kill_9_leaves_a_stale_serve_file_and_a_new_serve_resumes(tmp_path: Path, children) -> None:
    rows = len(folder_with_events(tmp_path)) - 1
    child, url = start_serve(tmp_path, "--at", AT)
    children.append(child)
    serve_file = discovery.serve_file(tmp_path / "sellerpulse.toml", tmp_path / "state" / "sellerpulse")
    assert discovery.running(serve_file)["url"] == url
    wait_until_read(url, rows)
    before = get(url + "/api/v1/snapshot")[1]
    time.sleep(0.5)  # a checkpoint or two
    stream = StreamReader(url)
    assert stream.next(10)[0] == "full"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    while stream.next(10) is not None:  # the stream ends with the process, no hang
        pass
    assert serve_file.exists() and discovery.running(serve_file) is None and not serve_file.exists()

    again, url = start_serve(tmp_path, "--at", AT)
    children.append(again)
    wait_for(lambda: get(url + "/api/v1/snapshot")[1] == before, what="the resumed snapshot")
    assert stop(again)[0] == 0
    assert not serve_file.exists()  # a clean exit removes it


def test_a_port_in_use_is_a_clear_error(tmp_path: Path, children) -> None:
    folder_with_events(tmp_path)
    first, url = start_serve(tmp_path, "--at", AT, state="one.sqlite3")
    children.append(first)
    taken = url.removeprefix("http://")
    result = subprocess.run(
        serve_command("--state", "two.sqlite3", "--listen", taken, "--at", AT),
        cwd=tmp_path, env=child_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 64 and f"cannot listen on {taken}" in result.stderr
    assert stop(first)[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listen", "8710"], "--listen '8710': expected HOST:PORT, such as 127.0.0.1:8710"),
        (["--at", "yesterday"], "yesterday"),
    ],
)
def test_bad_serve_arguments_are_clear_errors(tmp_path: Path, args: list[str], message: str) -> None:
    folder_with_events(tmp_path)
    result = subprocess.run(
        serve_command("--state", "state.sqlite3", *args),
        cwd=tmp_path, env=child_env(tmp_path), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 64 and result.stderr.startswith("sellerpulse: error: ")
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "state.sqlite3").exists()  # refused before anything was opened
