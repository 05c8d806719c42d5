"""Secrets never leave through the alerts: real source, real receivers, real state file, the CLI.

A hostile (or merely careless) API answers a poll with an error body that echoes the request URL, query
secrets included, and mentions another URL with a password; a notification program prints its token to
stderr; a mail server offers no STARTTLS. Every output a user or a receiver can see is searched for the
secrets: webhook bodies, the mail, the alert log, the SQLite state file's bytes, ``sellerpulse alerts
list`` (text and JSON) and the log records.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import subprocess
import sys
import threading

import pytest
from alert_fixtures import T0, HttpServer, PlainSmtp, delivery, fire, free_port, mail_text, wait_for
from sellerpulse.core.alerts import DeliveryError, Store, build_sinks
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.redact import Redactor
from sellerpulse.core.alerts.setup import manager_from_config
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.config import load_config, loads_config
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.runtime import sources_from_config
from sellerpulse.core.snapshot import Snapshot

PLUGINS = load_plugins(entry_points=False)
API_TOKEN = "tok-Q7ZX31"  # ${API_TOKEN} in the source's URL query
API_KEY = "key-LITERAL-88"  # written literally under a secret-looking key (params.api_key)
PAGER_TOKEN = "pager-5ECRET"  # ${PAGER_TOKEN}, an argument of the notification program
URL_PASSWORD = "pw-in-url-42"  # in a URL the server mentions: configured nowhere
URL_SIGNATURE = "sig-in-url-77"  # a secret-looking query parameter of that URL: configured nowhere
PROGRAM_URL_SECRET = "prog-url-secret-9"  # in a URL the program prints: configured nowhere
SECRETS = (API_TOKEN, API_KEY, PAGER_TOKEN, URL_PASSWORD, URL_SIGNATURE, PROGRAM_URL_SECRET)


@pytest.fixture
def servers():
    made = []

    def make(reply):
        made.append(HttpServer(reply))
        return made[-1]

    yield make
    for server in made:
        server.close()


@pytest.fixture
def smtp():
    with PlainSmtp() as server:
        yield server


def cli(tmp_path, *args, env):
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "alerts", *args],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
        env={**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"), **env},
    )  # fmt: skip


def test_a_source_error_echoing_secrets_and_a_program_printing_one_reach_no_output(
    tmp_path, servers, smtp, caplog
):
    echoed = f"; see https://ops:{URL_PASSWORD}@status.example/login?user=ops&sig={URL_SIGNATURE}"
    api = servers(lambda path: (400, f"bad request: GET {path}{echoed}"))
    hooks = servers(lambda path: (204, ""))
    program = tmp_path / "page.py"
    program.write_text(
        f"#!{sys.executable}\nimport sys\n"
        "sys.stderr.write(f'pager refused token {sys.argv[1]} at '\n"
        f"                 'https://pager.example/v1?password={PROGRAM_URL_SECRET}&team=ops')\n"
        "sys.exit(2)\n"
    )
    program.chmod(0o755)
    alert_log = tmp_path / "alerts.jsonl"
    config_path = tmp_path / "sellerpulse.toml"
    config_path.write_text(f"""
[[sources]]
type = "http"
name = "api"
url = "{api.url}/orders?token=${{API_TOKEN}}"
params = {{ api_key = "{API_KEY}" }}
max_retries = 0
timeout = 5

[[sinks]]
type = "webhook"
name = "hook"
url = "{hooks.url}/json"

[[sinks]]
type = "webhook"
name = "chat"
url = "{hooks.url}/slack"
format = "slack"

[[sinks]]
type = "email"
name = "mail"
host = "127.0.0.1"
port = {smtp.port}
sender = "pulse@example.com"
to = ["ops@example.com"]

[[sinks]]
type = "log"
name = "file"
path = "{alert_log}"

[[sinks]]
type = "command"
name = "pager"
command = ["{program}", "${{PAGER_TOKEN}}"]
retries = 1

[[alerts]]
name = "source-failing"
source = "*"
failing = true
severity = "critical"
""")
    config_path.chmod(0o600)
    env = {"API_TOKEN": API_TOKEN, "PAGER_TOKEN": PAGER_TOKEN}
    config = load_config(config_path, env=env)
    config.add_plugin_secrets(PLUGINS)  # as `run` does when it starts logging

    # the real http source polls the API once; the 400's body echoes the URL and its query secrets
    source = sources_from_config(config, PLUGINS)[0]

    async def poll_once():
        async for _ in source.batches(follow=False):
            pass

    with pytest.raises(Exception) as failure:
        asyncio.run(poll_once())
    source.report_error(str(failure.value))  # what a following source does with a failed poll
    assert API_TOKEN in api.requests[0][0] and "GET /orders?token=" in source.health().last_error  # the echo

    state = tmp_path / "state.sqlite3"
    manager = manager_from_config(config, PLUGINS.sinks(), Store(state), FixedClock(T0), group_wait=0)
    with caplog.at_level(logging.DEBUG, logger="sellerpulse"):
        queued = manager.evaluate(Snapshot(at=T0, accounts={}), {"api": source.health()})
        assert [(q["rule"], q["kind"]) for q in queued] == [("source-failing", "firing")]
        manager.start()
        try:
            settled = ("sent", "failed")
            assert wait_for(lambda: all(d["status"] in settled for d in manager.recent(1)[0]["deliveries"]))
        finally:
            manager.close()
            manager.store.close()

    listed = cli(tmp_path, "list", "--config", str(config_path), "--state", str(state), env=env)
    listed_json = cli(
        tmp_path, "list", "--json", "--config", str(config_path), "--state", str(state), env=env
    )
    assert listed.returncode == 0 and listed_json.returncode == 0, listed.stderr + listed_json.stderr
    tried = cli(tmp_path, "test", "pager", "--config", str(config_path), "--state", str(state), env=env)
    assert tried.returncode == 1

    outputs = {
        "webhook json body": b"".join(body for path, body in hooks.requests if path == "/json").decode(),
        "webhook slack body": b"".join(body for path, body in hooks.requests if path == "/slack").decode(),
        "mail": "\n".join(mail_text(raw) for raw in smtp.messages),
        "alert log": alert_log.read_bytes().decode(),
        "state file": b"".join(
            p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("state.sqlite3")
        ).decode("latin-1"),
        "alerts list": listed.stdout + listed.stderr,
        "alerts list --json": listed_json.stdout + listed_json.stderr,
        "alerts test pager": tried.stdout + tried.stderr,
        "log records": "\n".join(record.getMessage() for record in caplog.records),
    }
    # no output holds a secret ...
    leaks = {name: [s for s in SECRETS if s in text] for name, text in outputs.items()}
    assert leaks == {name: [] for name in outputs}, leaks
    # ... and every output holds the alert (so the search above cannot pass on an empty output)
    for name in ("webhook json body", "webhook slack body", "mail", "alert log", "state file", "alerts list"):
        assert "source api is failing: HTTP 400" in outputs[name], name
    assert "pager refused token ***" in outputs["alerts list"]  # the program's stderr, masked
    assert "pager refused token ***" in outputs["log records"]
    assert "sink 'pager' failed: " in outputs["alerts test pager"]
    data = json.loads(listed_json.stdout)
    assert data["failures"][0]["sink"] == "pager" and data["failures"][0]["status"] == "failed"
    summary = data["recent"][0]["summary"]
    assert "token=***" in summary and "api_key=***" in summary and "ops:***@status.example" in summary


class WireTap:
    """A TCP relay in front of a server that records every byte the client sent: what reached the wire."""

    def __init__(self, port: int):
        self.sent = bytearray()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.target = port
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source, sink, record):
        try:
            while data := source.recv(65536):
                if record:
                    self.sent += data
                sink.sendall(data)
        except OSError:
            pass  # the other direction ended first and closed both sockets
        finally:
            source.close()
            sink.close()

    def close(self):
        self.listener.close()


def test_email_auto_starttls_never_sends_a_password_in_clear(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    logins, received = [], []

    def authenticate(server, session, envelope, mechanism, auth_data):
        logins.append(auth_data)
        return AuthResult(success=True)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            return "250 OK"

    port = free_port()
    # a server without STARTTLS that accepts AUTH in clear (what a downgrading man in the middle offers)
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False)  # fmt: skip
    controller.start()
    tap = WireTap(port)
    try:
        config = loads_config(
            f'[[sinks]]\ntype = "email"\nname = "mail"\nhost = "127.0.0.1"\nport = {tap.port}\n'
            'sender = "pulse@example.com"\nto = ["ops@example.com"]\nusername = "pulse"\n'
            'password = "${SMTP_PASSWORD}"\nretries = 2\nbackoff = 0.01\n',
            env={"SMTP_PASSWORD": "s3cret-smtp"},
        )
        manager = fire(tmp_path, config.sinks)
        try:
            assert wait_for(lambda: delivery(manager, "mail")["status"] != "pending")
        finally:
            manager.close()
        failed = delivery(manager, "mail")
    finally:
        tap.close()
        controller.stop()
    assert b"EHLO" in tap.sent.upper()  # the tap saw the conversation ...
    assert b"AUTH" not in tap.sent.upper() and b"s3cret-smtp" not in tap.sent  # ... and no login in it
    assert logins == [] and received == []
    assert failed["status"] == "failed"
    assert failed["attempts"] == 2  # not permanent: retried by the dispatcher's rules, then given up
    assert failed["error"] == (
        'the server offers no STARTTLS, so no login was tried: starttls = "auto" never sends the password in clear'
    )


def test_alert_log_is_created_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "logs" / "alerts.jsonl"
    sink = build_sinks([{"type": "log", "name": "file", "path": str(path)}], PLUGINS.sinks())["file"]
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning", "labels": {}, "summary": "s"}
    previous = os.umask(0o022)  # the usual umask, under which a plain open() makes the file 0644
    try:
        sink.send(AlertMessage((alert,)))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sink.send(AlertMessage(({**alert, "key": "k2"},)))  # appending keeps the file as it is
    assert [json.loads(line)["key"] for line in path.read_text().splitlines()] == ["k", "k2"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_long_stderr_is_never_cut_inside_a_secret(tmp_path):
    secret = "S3CR3T-" + "abcdefghij" * 4
    program = tmp_path / "page.py"
    # the last 200 characters of stderr start 19 characters before the secret's end
    program.write_text(
        f"#!{sys.executable}\nimport sys\nsys.stderr.write('token {secret} ' + 'z' * 180)\nsys.exit(1)\n"
    )
    program.chmod(0o755)
    sink = build_sinks([{"type": "command", "name": "pager", "command": [str(program)]}], PLUGINS.sinks())[
        "pager"
    ]
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning", "labels": {}, "summary": "s"}
    with pytest.raises(DeliveryError) as failure:
        sink.send(AlertMessage((alert,)))
    error = str(failure.value)
    assert not [secret[i : i + 8] for i in range(len(secret) - 7) if secret[i : i + 8] in error]
    assert error.endswith(": ..." + "z" * 180)


def test_secrets_are_masked_as_a_url_carries_them_too():
    redactor = Redactor({"p@ss word/+1"})
    text = "GET /x?q=p%40ss%20word%2F%2B1 then /y?q=p%40ss+word%2F%2B1 then p@ss word/+1"
    assert redactor.text(text) == "GET /x?q=*** then /y?q=*** then ***"
    assert redactor.text("Late Shipment Rate is 5.00 % (5/100)") == "Late Shipment Rate is 5.00 % (5/100)"
