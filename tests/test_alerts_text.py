"""Hostile text in alerts is inert in every sink: escapes, line and paragraph separators, bidi overrides
and C1 controls arrive as visible escapes in text forms; JSON forms are ASCII and keep the data exact.

The sinks run against real receivers (an HTTP server, aiosmtpd, a program, a file) with an account id and
a source error written by an attacker.
"""

from __future__ import annotations

import json
import re
import sys
from email import message_from_bytes, policy

import pytest
from alert_fixtures import (
    RULE,
    SINK_CLASSES,
    T0,
    HttpServer,
    PlainSmtp,
    lsr,
    snapshot,
    wait_for,
)
from sellerpulse.core.alerts import AlertManager, Store, build_sinks, parse_rules
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.sources import SourceHealth

# OSC 52 (writes the clipboard), a screen clear, CSI as a C1 control, a forged line, right-to-left override
HOSTILE = "acme\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x9b31m\u2028FAKE LINE\u202egnp.exe\r\nSubject: x"
# what a terminal, a mail reader or a chat client would act on (C0, DEL, C1, separators, bidi controls)
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
VISIBLE = ("\\x1b]52;c;", "\\x07", "\\x9b31m", "\\u2028FAKE LINE", "\\u202egnp.exe", "\\x0d\\x0a")


def assert_inert_text(text: str) -> None:
    assert not UNSAFE.search(text.replace("\n", "")), repr(text)  # lines of its own making only
    for escape in VISIBLE:
        assert escape in text, (escape, text)


def test_text_forms_show_every_unsafe_character_as_a_visible_escape():
    alert = {"key": "k", "rule": "r", "kind": "firing", "severity": "warning", "labels": {"account": HOSTILE},
             "summary": f"order {HOSTILE} late", "remedies": [f"ship {HOSTILE}"]}  # fmt: skip
    message = AlertMessage((alert,))
    assert "\n" not in message.title()
    assert_inert_text(message.title())
    assert len(message.text().splitlines()) == 2  # the alert and its one remedy: no forged line
    assert_inert_text(message.text())


@pytest.fixture
def hostile_delivery(tmp_path):
    """One firing alert for the account HOSTILE, delivered to every built-in sink that leaves the process."""
    hooks = HttpServer(lambda path: (204, ""))
    program = tmp_path / "notify.py"
    program.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('SELLERPULSE_')}\n"
        f"open({str(tmp_path / 'got.json')!r}, 'w').write(json.dumps({{'env': env}}))\n"
        f"open({str(tmp_path / 'stdin.bin')!r}, 'wb').write(sys.stdin.buffer.read())\n"
    )
    program.chmod(0o755)
    with PlainSmtp() as smtp:
        sinks = build_sinks(
            [{"type": "webhook", "name": "hook", "url": f"{hooks.url}/json"},
             {"type": "webhook", "name": "chat", "url": f"{hooks.url}/slack", "format": "slack"},
             {"type": "email", "name": "mail", "host": "127.0.0.1", "port": smtp.port,
              "sender": "pulse@example.com", "to": ["ops@example.com"]},
             {"type": "command", "name": "cmd", "command": [str(program)]},
             {"type": "log", "name": "file", "path": str(tmp_path / "alerts.jsonl")}],
            SINK_CLASSES,
        )  # fmt: skip
        manager = AlertManager(
            parse_rules([RULE]), Store(tmp_path / "s.sqlite3"), sinks, FixedClock(T0), group_wait=0
        )
        manager.evaluate(snapshot(T0, {"lsr_10d": lsr(5, 100)}, account=HOSTILE))
        manager.start()
        try:
            assert wait_for(lambda: all(d["status"] == "sent" for d in manager.recent(1)[0]["deliveries"]))
        finally:
            manager.close()
            manager.store.close()
            hooks.close()
    yield {"hooks": dict(hooks.requests), "mails": smtp.messages, "dir": tmp_path}


def test_mail_subject_and_body_are_inert_and_the_attachment_exact(hostile_delivery):
    [raw] = hostile_delivery["mails"]
    mail = message_from_bytes(raw, policy=policy.default)
    assert_inert_text(mail["Subject"])
    parts = {part.get_content_type(): part for part in mail.walk()}
    assert_inert_text(parts["text/plain"].get_content().replace("\r\n", "\n"))  # mail's own line ends
    attached = parts["application/json"].get_content()
    assert attached.isascii() and json.loads(attached)["alerts"][0]["labels"]["account"] == HOSTILE


def test_webhook_chat_text_is_inert_and_the_json_body_ascii_and_exact(hostile_delivery):
    chat = json.loads(hostile_delivery["hooks"]["/slack"])["text"]
    assert_inert_text(chat)
    body = hostile_delivery["hooks"]["/json"]
    assert body.isascii()
    assert json.loads(body)["alerts"][0]["labels"]["account"] == HOSTILE


def test_command_environment_is_inert_and_stdin_ascii_and_exact(hostile_delivery):
    folder = hostile_delivery["dir"]
    env = json.loads((folder / "got.json").read_text())["env"]
    for name in ("SELLERPULSE_ACCOUNT", "SELLERPULSE_TITLE"):
        assert_inert_text(env[name])
    stdin = (folder / "stdin.bin").read_bytes()
    assert stdin.isascii() and json.loads(stdin)["alerts"][0]["labels"]["account"] == HOSTILE


def test_alert_log_is_ascii_and_exact(hostile_delivery):
    raw = (hostile_delivery["dir"] / "alerts.jsonl").read_bytes()
    assert raw.isascii() and raw.count(b"\n") == 1
    assert json.loads(raw)["labels"]["account"] == HOSTILE


def test_a_source_error_becomes_an_inert_summary_where_the_alert_is_made(tmp_path):
    rule = {"name": "source-failing", "source": "*", "failing": True}
    manager = AlertManager(parse_rules([rule]), Store(tmp_path / "s.sqlite3"), {}, FixedClock(T0))
    queued = manager.evaluate(
        snapshot(T0), {"api": SourceHealth("failing", last_error=f"HTTP 500: {HOSTILE}")}
    )
    assert [q["kind"] for q in queued] == ["firing"]
    for summary in (queued[0]["summary"], manager.states()[0]["summary"], manager.recent(1)[0]["summary"]):
        assert summary.startswith("source api is failing: HTTP 500: acme")
        assert_inert_text(summary)
    manager.store.close()
