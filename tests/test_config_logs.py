"""The log file: JSON lines, rotation, owner-only files and no secret ever written."""

from __future__ import annotations

import argparse
import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sellerpulse.core import logs
from sellerpulse.core.config import load_config
from sellerpulse.tui.commands.common import start_logging


@pytest.fixture(autouse=True)
def clean_logging(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    yield
    logs.stop_logging()
    logs._filter.secrets.clear()


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_default_file_is_in_the_user_state_dir_and_private(tmp_path: Path) -> None:
    path = logs.setup_logging()
    assert path == tmp_path / "state" / "sellerpulse" / "sellerpulse.log"
    logging.getLogger("sellerpulse.sources").warning("source %s failing: %s", "orders", "timeout")
    logging.getLogger("sellerpulse.sources").debug("not at info level")
    logs.stop_logging()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [entry] = records(path)
    assert entry["level"] == "warning"
    assert entry["logger"] == "sellerpulse.sources"
    assert entry["message"] == "source orders failing: timeout"
    assert entry["time"].startswith("20")


def test_secrets_are_masked_in_message_args_extra_and_traceback(tmp_path: Path) -> None:
    path = logs.setup_logging("debug", tmp_path / "x.log", secrets={"tok-SECRET-1"})
    log = logging.getLogger("sellerpulse.alerts")
    log.info("delivered with header %s", "Bearer tok-SECRET-1", extra={"sink": "hook/tok-SECRET-1"})
    try:
        raise RuntimeError("upstream said tok-SECRET-1 is invalid")
    except RuntimeError:
        log.exception("delivery failed")
    log.info("bad format %d", "tok-SECRET-1")
    logs.add_secrets({"late-secret"})
    log.error("rejected row: late-secret")
    logs.stop_logging()
    text = path.read_text()
    assert "tok-SECRET-1" not in text and "late-secret" not in text
    entries = records(path)
    assert entries[0]["message"] == "delivered with header Bearer ***"
    assert entries[0]["sink"] == "hook/***"
    assert "RuntimeError: upstream said *** is invalid" in entries[1]["exception"]
    assert "bad format" in entries[2]["message"]
    assert entries[3]["message"] == "rejected row: ***"


def test_secrets_nobody_configured_are_masked_where_a_message_quotes_a_url(tmp_path: Path) -> None:
    """A server's error reply may echo the request URL: its password and secret query values never
    reach the log, even with no secret configured at all."""
    path = logs.setup_logging("info", tmp_path / "x.log")
    log = logging.getLogger("sellerpulse.sources")
    log.warning("source api failing: HTTP 400 for https://ops:URLPASS@api.example/o?sig=URLSIG&page=2")
    log.warning(
        "source api failing: GET /orders?access_token=QSECRET said no", extra={"url": "/x?api_key=K1"}
    )
    logs.stop_logging()
    text = path.read_text()
    for secret in ("URLPASS", "URLSIG", "QSECRET", "K1"):
        assert secret not in text
    first, second = records(path)
    assert "https://ops:***@api.example/o?sig=***&page=2" in first["message"]
    assert second["message"] == "source api failing: GET /orders?access_token=*** said no"
    assert second["url"] == "/x?api_key=***"


def test_a_log_file_that_cannot_be_written_is_said_once_not_per_record(capsys: pytest.CaptureFixture) -> None:
    """A full disk under the log file (``/dev/full`` refuses every write with ENOSPC): one warning on
    stderr, no traceback per record, and the program goes on."""
    logs.setup_logging("info", "/dev/full")
    log = logging.getLogger("sellerpulse.sources")
    for n in range(20):
        log.warning("source %d failing", n)
    logs.stop_logging()
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert err.count("cannot write the log file /dev/full: No space left on device") == 1


def test_rotation_keeps_private_backups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 400)
    path = logs.setup_logging("info", tmp_path / "r.log")
    for number in range(40):
        logging.getLogger("sellerpulse.sources").info("rejected row %d: bad timestamp", number)
    logs.stop_logging()
    backups = sorted(tmp_path.glob("r.log.*"))
    assert len(backups) == logs.BACKUPS
    for file in [path, *backups]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        assert file.stat().st_size <= 400
    assert records(path)[-1]["message"] == "rejected row 39: bad timestamp"


def test_start_logging_takes_secrets_and_level_from_config(tmp_path: Path) -> None:
    config_file = tmp_path / "c.toml"
    config_file.write_text('[general]\nlog_level = "warning"\nlog_file = "logs/sp.log"\n\n'
                           '[[sinks]]\ntype = "webhook"\nurl = "${HOOK}"\n')  # fmt: skip
    config_file.chmod(0o600)
    config = load_config(config_file, env={"HOOK": "https://hooks.invalid/abc-123"})
    args = argparse.Namespace(log_level=None, log_file=None)
    path = start_logging(args, config)
    assert path == tmp_path / "logs" / "sp.log"
    log = logging.getLogger("sellerpulse.alerts")
    log.info("below the configured level")
    log.warning("POST https://hooks.invalid/abc-123 returned 500")
    logs.stop_logging()
    [entry] = records(path)
    assert entry["message"] == "POST *** returned 500"

    args = argparse.Namespace(log_level="debug", log_file=str(tmp_path / "cli.log"))
    path = start_logging(args, config)
    logging.getLogger("sellerpulse.x").debug("now visible")
    logs.stop_logging()
    assert records(path)[0]["message"] == "now visible"


def test_unwritable_log_location_does_not_stop_the_program(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert logs.setup_logging("info", blocker / "sub" / "x.log") is None
    assert "cannot write the log file" in capsys.readouterr().err
    logging.getLogger("sellerpulse.x").info("goes nowhere, raises nothing")


def test_start_logging_masks_plugin_declared_secrets(tmp_path: Path) -> None:
    from sellerpulse.core.options import Option

    class Hook:
        options = (Option("url", "str", None, "where to POST", secret=True),)

    class Plugins:
        def source_class(self, name: str) -> type:
            raise KeyError(name)

        def sink_class(self, name: str) -> type:
            return Hook

    config_file = tmp_path / "c.toml"
    config_file.write_text('[[sinks]]\ntype = "hook"\nurl = "https://hooks.invalid/T0/literal-path"\n')
    config = load_config(config_file)
    args = argparse.Namespace(log_level=None, log_file=str(tmp_path / "p.log"))
    path = start_logging(args, config, plugins=Plugins())
    logging.getLogger("sellerpulse.alerts").warning("POST https://hooks.invalid/T0/literal-path failed")
    logs.stop_logging()
    assert records(path)[0]["message"] == "POST *** failed"


HOSTILE = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2Jx\u2028y\u202ez\x9b31m"


@pytest.mark.parametrize("secrets", [set(), {"tok-1"}])
def test_untrusted_text_is_inert_in_the_log_file_and_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture, secrets: set[str]
) -> None:
    """A log read with ``cat`` or ``tail -f`` is read on a terminal: no record's message, field or
    traceback writes a raw control there (with the secret filter active or not)."""
    path = logs.setup_logging("info", tmp_path / "x.log", stderr=True, secrets=secrets)
    log = logging.getLogger("sellerpulse.sources")
    log.error("source api failing: %s", HOSTILE, extra={"body": HOSTILE})
    try:
        raise ValueError(HOSTILE)
    except ValueError:
        log.exception("parse failed")
    logs.stop_logging()
    written = path.read_bytes().decode("utf-8")
    shown = capsys.readouterr().err
    for text in (written, shown):
        for raw in ("\x1b", "\x07", "\u2028", "\u202e", "\x9b"):
            assert raw not in text, (raw, text)
    first, second = records(path)
    assert (
        first["message"]
        == "source api failing: \\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2Jx\\u2028y\\u202ez\\x9b31m"
    )
    assert first["body"] == first["message"].split(": ", 1)[1]
    assert "ValueError: \\x1b]52;c;" in second["exception"]
    assert second["exception"].count("\n") >= 2  # a traceback keeps its lines
    [line] = [line for line in shown.splitlines() if "source api failing" in line]
    assert line.endswith("source api failing: \\x1b]52;c;cm0gLXJmIH4=\\x07\\x1b[2Jx\\u2028y\\u202ez\\x9b31m")
    assert "ValueError: \\x1b]52;c;" in shown
