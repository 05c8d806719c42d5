"""``sellerpulse alerts`` as a subprocess, on a real config, state file and HTTP receiver."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alert_fixtures import T0, lsr, snapshot
from sellerpulse.core.alerts import Store
from sellerpulse.core.alerts.setup import manager_from_config
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.config import load_config
from sellerpulse.core.plugins import load_plugins


@pytest.fixture
def receiver():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((dict(self.headers), json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()


def write_config(tmp_path, url, extra=""):
    path = tmp_path / "sellerpulse.toml"
    path.write_text(
        f"""
[[sinks]]
type = "webhook"
name = "team-chat"
url = "${{HOOK_URL}}"

[[sinks]]
type = "webhook"
name = "broken"
url = "http://127.0.0.1:9/nothing"
timeout = 0.5

[[alerts]]
name = "lsr-breach"
metric = "lsr_10d"
status = "breach"
sinks = ["team-chat", "terminal"]
{extra}
""",
        encoding="utf-8",
    )
    return path


def cli(tmp_path, *args, env_extra=None):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "alerts", *args],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )  # fmt: skip


def test_alerts_test_sends_a_sample_through_a_configured_sink(tmp_path, receiver):
    url, got = receiver
    config = write_config(tmp_path, url)
    result = cli(tmp_path, "test", "team-chat", "--config", str(config), "--state", str(tmp_path / "s.db"),
                 env_extra={"HOOK_URL": url})  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "sent a test alert through sink 'team-chat'" in result.stdout
    assert len(got) == 1 and got[0][1]["alerts"][0]["rule"] == "sellerpulse-test"

    failed = cli(tmp_path, "test", "broken", "--config", str(config), "--state", str(tmp_path / "s.db"),
                 env_extra={"HOOK_URL": url})  # fmt: skip
    assert failed.returncode == 1 and "sink 'broken' failed" in failed.stderr

    unknown = cli(tmp_path, "test", "nope", "--config", str(config), "--state", str(tmp_path / "s.db"),
                  env_extra={"HOOK_URL": url})  # fmt: skip
    assert unknown.returncode == 64 and "no sink named 'nope'" in unknown.stderr


@pytest.mark.slow
def test_list_shows_states_notifications_failures_and_silences(tmp_path, receiver):
    url, _ = receiver
    config_path = write_config(tmp_path, url)
    state = tmp_path / "state.sqlite3"
    config = load_config(config_path, env={"HOOK_URL": url})
    manager = manager_from_config(
        config, load_plugins(entry_points=False).sinks(), Store(state), FixedClock(T0)
    )
    manager.evaluate(snapshot(T0, {"lsr_10d": lsr(5, 100)}))
    manager.store.mark_failed([1], "HTTP 400 (not retried)", T0)
    manager.store.close()

    common = ["--config", str(config_path), "--state", str(state)]
    env = {"HOOK_URL": url}
    silenced = cli(
        tmp_path, "silence", "lsr-breach", "--for", "2h", "--account", "acme", *common, env_extra=env
    )
    assert silenced.returncode == 0, silenced.stderr
    result = cli(tmp_path, "list", *common, env_extra=env)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "lsr-breach" in text and "firing" in text and "account=acme metric=lsr_10d" in text
    assert "FIRING" in text and "team-chat:failed" in text and "terminal:pending" in text
    assert "Delivery failures (1)" in text and "HTTP 400 (not retried)" in text
    assert "rule=lsr-breach account=acme until" in text
    assert url not in text

    data = json.loads(cli(tmp_path, "--json", *common, env_extra=env).stdout)
    assert data["states"][0]["state"] == "firing" and data["states"][0]["silenced"] is True
    assert data["recent"][0]["kind"] == "firing"

    acked = cli(tmp_path, "ack", "lsr-breach", *common, env_extra=env)
    assert acked.returncode == 0 and "acknowledged 1 firing instance(s)" in acked.stdout
    data = json.loads(cli(tmp_path, "list", "--json", *common, env_extra=env).stdout)
    assert data["states"][0]["acknowledged"] is True


def test_errors_name_the_rule_and_key(tmp_path, receiver):
    url, _ = receiver
    config = write_config(
        tmp_path, url, extra='\n[[alerts]]\nname = "typo"\nmetric = "odr"\nstatus = "breach"\nrepaet = "1h"\n'
    )
    result = cli(
        tmp_path,
        "list",
        "--config",
        str(config),
        "--state",
        str(tmp_path / "s.db"),
        env_extra={"HOOK_URL": url},
    )
    assert result.returncode == 64
    assert "alert rule 'typo' (#2): unknown key 'repaet'; did you mean 'repeat'?" in result.stderr

    config = write_config(tmp_path, url)
    Store(tmp_path / "s.db").close()  # the commands below amend an existing state file
    bad = cli(tmp_path, "silence", "nope", "--for", "2h", "--config", str(config), "--state", str(tmp_path / "s.db"),
              env_extra={"HOOK_URL": url})  # fmt: skip
    assert bad.returncode == 64 and "no alert rule named 'nope'" in bad.stderr
    bad = cli(tmp_path, "silence", "lsr-breach", "--for", "soon", "--config", str(config),
              "--state", str(tmp_path / "s.db"), env_extra={"HOOK_URL": url})  # fmt: skip
    assert bad.returncode == 64 and "expected a duration" in bad.stderr
    bad = cli(tmp_path, "silence", "lsr-breach", "--until", "2020-01-01T00:00:00Z", "--config", str(config),
              "--state", str(tmp_path / "s.db"), env_extra={"HOOK_URL": url})  # fmt: skip
    assert bad.returncode == 64 and "must end in the future" in bad.stderr


def test_without_a_config_the_default_rules_apply(tmp_path):
    Store(tmp_path / "s.db").close()
    result = cli(tmp_path, "--state", str(tmp_path / "s.db"))
    assert result.returncode == 0, result.stderr
    assert "sinks: terminal" in result.stdout
    assert "odr-breach" in result.stdout and "message-unanswered-20h" in result.stdout
