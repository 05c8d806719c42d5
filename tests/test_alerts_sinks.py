"""Sinks against real receivers: an HTTP server on 127.0.0.1, an aiosmtpd server, a real program."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from alert_fixtures import RULE, SINK_CLASSES, T0, RecordingSink, delivery, fire, lsr, snapshot, wait_for
from sellerpulse.core.alerts import AlertManager, DeliveryError, Store, build_sinks, parse_rules
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.clock import FixedClock


class Receiver:
    """An HTTP receiver that answers from a script of behaviours: a status code, or ("hang", seconds)."""

    def __init__(self, script=()):
        self.script = list(script)
        self.requests: list[dict] = []
        self.answered: list[dict] = []  # requests answered with 2xx
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                entry = {"headers": dict(self.headers), "body": json.loads(body)}
                with receiver.lock:
                    receiver.requests.append(entry)
                    action = receiver.script.pop(0) if receiver.script else 200
                if isinstance(action, tuple):
                    time.sleep(action[1])
                    return  # never answers in time: the client has given up
                self.send_response(action)
                self.send_header("Content-Length", "0")
                self.end_headers()
                if 200 <= action < 300:
                    with receiver.lock:
                        receiver.answered.append(entry)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory():
    made = []

    def make(script=()):
        receiver = Receiver(script)
        made.append(receiver)
        return receiver

    yield make
    for receiver in made:
        receiver.close()


def test_webhook_success_posts_the_alert_as_json(tmp_path, receiver_factory):
    receiver = receiver_factory()
    manager = fire(tmp_path, [{"type": "webhook", "name": "hook", "url": receiver.url}])
    try:
        assert wait_for(lambda: delivery(manager, "hook")["status"] == "sent")
    finally:
        manager.close()
    assert len(receiver.requests) == 1
    body = receiver.requests[0]["body"]
    alert = body["alerts"][0]
    assert (alert["rule"], alert["kind"], alert["severity"]) == ("lsr-breach", "firing", "critical")
    assert alert["labels"] == {"account": "acme", "metric": "lsr_10d"}
    assert receiver.requests[0]["headers"]["Idempotency-Key"] == body["group_key"]
    assert delivery(manager, "hook")["attempts"] == 1


def test_webhook_500_twice_then_200_is_one_delivery(tmp_path, receiver_factory):
    receiver = receiver_factory([500, 500, 200])
    manager = fire(tmp_path, [{"type": "webhook", "name": "hook", "url": receiver.url, "backoff": 0.05}])
    try:
        assert wait_for(lambda: delivery(manager, "hook")["status"] == "sent")
        time.sleep(0.2)  # nothing more arrives after success
    finally:
        manager.close()
    assert len(receiver.requests) == 3
    assert len(receiver.answered) == 1
    assert len({r["headers"]["Idempotency-Key"] for r in receiver.requests}) == 1
    assert delivery(manager, "hook")["attempts"] == 3
    assert manager.store.delivery_counts() == {"sent": 2}  # the webhook and the terminal feed


def test_webhook_that_hangs_times_out_and_is_retried_without_duplicate(tmp_path, receiver_factory):
    receiver = receiver_factory([("hang", 1.0), 200])
    table = {"type": "webhook", "name": "hook", "url": receiver.url, "timeout": 0.3, "backoff": 0.05}
    manager = fire(tmp_path, [table])
    try:
        assert wait_for(lambda: delivery(manager, "hook")["status"] == "sent")
    finally:
        manager.close()
    assert len(receiver.requests) == 2  # the hung attempt and the retry, the same key
    assert (
        receiver.requests[0]["headers"]["Idempotency-Key"]
        == receiver.requests[1]["headers"]["Idempotency-Key"]
    )
    assert len(receiver.answered) == 1
    assert delivery(manager, "hook")["attempts"] == 2


def test_webhook_400_is_given_up_and_visible(tmp_path, receiver_factory):
    receiver = receiver_factory([400])
    manager = fire(tmp_path, [{"type": "webhook", "name": "hook", "url": receiver.url, "backoff": 0.01}])
    try:
        assert wait_for(lambda: delivery(manager, "hook")["status"] == "failed")
        time.sleep(0.2)
    finally:
        manager.close()
    assert len(receiver.requests) == 1
    failures = manager.failures()
    assert failures[0]["sink"] == "hook" and failures[0]["status"] == "failed"
    assert "HTTP 400" in failures[0]["error"]
    assert receiver.url not in failures[0]["error"]


def test_webhook_slack_format_escapes_untrusted_text(tmp_path, receiver_factory):
    receiver = receiver_factory()
    sinks = build_sinks(
        [{"type": "webhook", "name": "chat", "url": receiver.url, "format": "slack"}], SINK_CLASSES
    )
    sink = sinks["chat"]
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning",
             "labels": {"account": "<!channel>"}, "summary": "order <http://evil|x>\x1b[2J"}  # fmt: skip
    sink.send(AlertMessage((alert,)))
    sink.close()
    text = receiver.requests[0]["body"]["text"]
    assert set(receiver.requests[0]["body"]) == {"text"}
    assert "<" not in text and "&lt;!channel&gt;" in text and "\x1b" not in text


def test_a_hanging_sink_blocks_neither_evaluation_nor_other_sinks(tmp_path, receiver_factory):
    receiver = receiver_factory([("hang", 1.5), ("hang", 1.5)])
    sinks = build_sinks(
        [{"type": "webhook", "name": "slow", "url": receiver.url, "timeout": 1.0}], SINK_CLASSES
    )
    fast = RecordingSink("fast")
    sinks["fast"] = fast
    clock = FixedClock(T0)
    manager = AlertManager(parse_rules([RULE]), Store(tmp_path / "s.sqlite3"), sinks, clock, group_wait=0)
    manager.start()
    try:
        started = time.monotonic()
        manager.evaluate(snapshot(T0, {"lsr_10d": lsr(5, 100)}))
        assert time.monotonic() - started < 0.5
        assert fast.delivered.wait(0.5)
        assert wait_for(lambda: len(receiver.requests) == 1, 1.0)
        assert delivery(manager, "slow")["status"] == "pending"  # still trying
    finally:
        manager.close()


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    handler = Handler()
    with socket.socket() as probe:  # aiosmtpd checks readiness on the port it was given: pick a free one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_email_is_sent_over_smtp(tmp_path, smtp_server):
    handler, port = smtp_server
    table = {"type": "email", "name": "mail", "host": "127.0.0.1", "port": port, "sender": "pulse@example.com",
             "to": ["ops@example.com"], "starttls": "auto"}  # fmt: skip
    manager = fire(tmp_path, [table])
    try:
        assert wait_for(lambda: delivery(manager, "mail")["status"] == "sent")
    finally:
        manager.close()
    assert len(handler.messages) == 1
    sender, rcpts, content = handler.messages[0]
    assert (sender, rcpts) == ("pulse@example.com", ["ops@example.com"])
    mail = message_from_bytes(content)
    assert "[FIRING] lsr-breach" in mail["Subject"]
    parts = list(mail.walk())
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    assert "Late Shipment Rate, 10 days is 5.00 %" in text
    attached = next(p for p in parts if p.get_content_type() == "application/json")
    assert json.loads(attached.get_payload(decode=True))["alerts"][0]["rule"] == "lsr-breach"


def test_email_requiring_starttls_from_a_plain_server_fails_permanently(smtp_server):
    _, port = smtp_server
    sink = build_sinks([{"type": "email", "name": "mail", "host": "127.0.0.1", "port": port,
                         "sender": "a@example.com", "to": ["b@example.com"], "starttls": "always"}],
                       SINK_CLASSES)["mail"]  # fmt: skip
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning", "labels": {}, "summary": "s"}
    with pytest.raises(DeliveryError) as caught:
        sink.send(AlertMessage((alert,)))
    assert caught.value.permanent and "STARTTLS" in str(caught.value)


def test_email_to_a_closed_port_is_retried_not_lost():
    sink = build_sinks([{"type": "email", "name": "mail", "host": "127.0.0.1", "port": 9, "timeout": 1.0,
                         "sender": "a@example.com", "to": ["b@example.com"]}], SINK_CLASSES)["mail"]  # fmt: skip
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning", "labels": {}, "summary": "s"}
    with pytest.raises(DeliveryError) as caught:
        sink.send(AlertMessage((alert,)))
    assert not caught.value.permanent


def write_script(path, body):
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)
    return str(path)


def test_command_gets_json_on_stdin_and_environment(tmp_path):
    out = tmp_path / "got.json"
    script = write_script(
        tmp_path / "notify.py",
        "import json, os, sys\n"
        f"data = json.load(sys.stdin)\nenv = {{k: v for k, v in os.environ.items() if k.startswith('SELLERPULSE_')}}\n"
        f"open({str(out)!r}, 'w').write(json.dumps({{'data': data, 'env': env, 'argv': sys.argv[1:]}}))\n",
    )
    manager = fire(tmp_path, [{"type": "command", "name": "cmd", "command": [script, "--a b", "$HOME"]}])
    try:
        assert wait_for(lambda: delivery(manager, "cmd")["status"] == "sent")
    finally:
        manager.close()
    got = json.loads(out.read_text())
    assert got["argv"] == ["--a b", "$HOME"]  # no shell: arguments arrive as given
    assert got["data"]["alerts"][0]["rule"] == "lsr-breach"
    env = got["env"]
    assert env["SELLERPULSE_RULE"] == "lsr-breach" and env["SELLERPULSE_KIND"] == "firing"
    assert env["SELLERPULSE_SEVERITY"] == "critical" and env["SELLERPULSE_ACCOUNT"] == "acme"
    assert env["SELLERPULSE_COUNT"] == "1"


def test_command_failure_and_timeout_are_reported(tmp_path):
    failing = write_script(
        tmp_path / "fail.py", "import sys\nsys.stderr.write('no route to pager')\nsys.exit(3)\n"
    )
    slow = write_script(tmp_path / "slow.py", "import time\ntime.sleep(5)\n")
    sinks = build_sinks(
        [{"type": "command", "name": "f", "command": [failing]},
         {"type": "command", "name": "s", "command": [slow], "timeout": 0.3}], SINK_CLASSES,
    )  # fmt: skip
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning", "labels": {}, "summary": "s"}
    with pytest.raises(DeliveryError, match="exited with status 3: no route to pager"):
        sinks["f"].send(AlertMessage((alert,)))
    started = time.monotonic()
    with pytest.raises(DeliveryError, match="timeout"):
        sinks["s"].send(AlertMessage((alert,)))
    assert time.monotonic() - started < 2


def test_log_sink_appends_json_lines(tmp_path):
    path = tmp_path / "logs" / "alerts.jsonl"
    manager = fire(tmp_path, [{"type": "log", "name": "file", "path": str(path)}])
    try:
        assert wait_for(lambda: delivery(manager, "file")["status"] == "sent")
    finally:
        manager.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["rule"] == "lsr-breach"


def test_terminal_feed_is_always_there_and_readable(tmp_path):
    manager = fire(tmp_path, [])
    try:
        terminal = manager.sinks["terminal"]
        assert wait_for(lambda: len(terminal.entries()) == 1)
    finally:
        manager.close()
    entry = terminal.entries(5)[0]
    assert entry["rule"] == "lsr-breach" and entry["kind"] == "firing"


def test_sink_config_errors_name_the_table_and_key():
    with pytest.raises(ValueError) as caught:
        build_sinks(
            [{"type": "webhok", "url": "http://x"}, {"type": "webhook", "name": "h", "urll": "x"}],
            SINK_CLASSES,
        )
    text = str(caught.value)
    assert "unknown sink type 'webhok'; did you mean 'webhook'?" in text
    assert "[[sinks]] #2 (h): unknown option 'urll'; did you mean 'url'?" in text
    with pytest.raises(ValueError, match="http:// or https://"):
        build_sinks([{"type": "webhook", "url": "ftp://x"}], SINK_CLASSES)


def test_sinks_register_through_the_plugin_hook():
    assert {"terminal", "log", "webhook", "command", "email"} <= set(SINK_CLASSES)
    assert os.environ.get("SELLERPULSE_DISABLE_PLUGINS") is None


def test_email_upgrades_to_starttls_and_logs_in_with_credentials_from_the_environment(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
    from sellerpulse.core.config import loads_config

    if subprocess.run(["openssl", "version"], capture_output=True).returncode != 0:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins, received = [], []

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"pulse",
            b"s3cret",
        )
        logins.append((ok, session.ssl is not None))
        return AuthResult(success=ok)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope.content)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=server_tls,
                            require_starttls=True, authenticator=authenticate, auth_require_tls=True)  # fmt: skip
    controller.start()
    try:
        config = loads_config(
            f'[[sinks]]\ntype = "email"\nname = "mail"\nhost = "127.0.0.1"\nport = {port}\n'
            f'sender = "pulse@example.com"\nto = ["ops@example.com"]\nusername = "pulse"\n'
            f'password = "${{SMTP_PASSWORD}}"\ncafile = "{cert}"\n',
            env={"SMTP_PASSWORD": "s3cret"},
        )
        sink = build_sinks(config.sinks, SINK_CLASSES)["mail"]
        alert = {
            "key": "k",
            "rule": "r",
            "kind": "firing",
            "severity": "warning",
            "labels": {},
            "summary": "s",
        }
        sink.send(AlertMessage((alert,)))
    finally:
        controller.stop()
    assert logins == [(True, True)]  # logged in, over TLS
    assert len(received) == 1


def test_text_forms_neutralise_untrusted_control_characters():
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning",
             "labels": {"account": "a\nFAKE LINE"}, "summary": "order \x1b]0;pwned\x07 late\r\nSubject: x"}  # fmt: skip
    message = AlertMessage((alert,))
    for text in (message.text(), message.title()):
        assert "\n" not in text and "\x1b" not in text and "\r" not in text and "\x07" not in text
    body = json.loads(json.dumps(message.to_json()))
    assert body["alerts"][0]["summary"] == alert["summary"]  # JSON keeps the data, properly encoded


def test_webhook_429_is_retried_not_given_up(tmp_path, receiver_factory):
    receiver = receiver_factory([429, 200])
    manager = fire(tmp_path, [{"type": "webhook", "name": "hook", "url": receiver.url, "backoff": 0.01}])
    try:
        assert wait_for(lambda: delivery(manager, "hook")["status"] == "sent")
    finally:
        manager.close()
    assert len(receiver.requests) == 2 and len(receiver.answered) == 1
