"""No text from data reaches the operator's terminal raw: ``report``, ``check`` and ``run --headless``
(its stderr and its log file, which is read with ``cat`` or ``tail -f``).

The hostile text holds an OSC 52 clipboard write, a screen clear, a line separator (U+2028), a
right-to-left override (U+202E) and a C1 control (CSI, U+009B). It arrives as a CSV header, a CSV
field and the error body of a real HTTP server on 127.0.0.1, each through the CLI as a subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

HOSTILE = "\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2Jx\u2028y\u202ez\x9b31m"
RAW = ("\x1b", "\x07", "\u2028", "\u202e", "\x9b")
AT = "2026-11-20T12:00:00Z"


def assert_inert(data: bytes, where: str) -> str:
    """``data`` as text, failing if any raw control of :data:`HOSTILE` is in it."""
    text = data.decode("utf-8")
    found = [f"U+{ord(char):04X}" for char in RAW if char in text]
    assert not found, f"{where} holds raw {', '.join(found)}: {text[-600:]!r}"
    return text


class _Hostile(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"no such feed {HOSTILE}".encode()
        self.send_response(404)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events"
    server.shutdown()
    server.server_close()


def write_inputs(folder: Path, url: str, follow: bool = False) -> Path:
    """A CSV whose header is hostile, a canonical CSV with a hostile row, an HTTP source whose server
    answers 404 with a hostile body, and the config naming them; returns the config."""
    (folder / "header.csv").write_text(f"order,{HOSTILE}\n1,2\n", encoding="utf-8")
    (folder / "rows.csv").write_text(
        "ts,kind,order_id,account,channel\n"
        "2026-11-19T10:00:00Z,order_placed,O-1,shop,MFN\n"
        f"2026-11-19T11:00:00Z,{HOSTILE},O-2,shop,MFN\n"
        f"{HOSTILE},order_placed,O-3,shop,MFN\n",
        encoding="utf-8",
    )
    options = "follow = true\npoll_interval = 0.05\n" if follow else ""
    config = folder / "sellerpulse.toml"
    config.write_text(
        f'[[sources]]\ntype = "http"\nname = "api"\nurl = "{url}"\nmax_retries = 0\ninterval = 60\n\n'
        f'[[sources]]\ntype = "csv"\nname = "header"\npath = "header.csv"\n{options}\n'
        f'[[sources]]\ntype = "csv"\nname = "rows"\npath = "rows.csv"\n{options}',
        encoding="utf-8",
    )
    return config


def environment(folder: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder),
            "XDG_CONFIG_HOME": str(folder / "cfg"), "XDG_STATE_HOME": str(folder / "st"),
            "XDG_DATA_HOME": str(folder / "data")}  # fmt: skip


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, cwd=cwd, env=environment(cwd), timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["report", "check"])
def test_report_and_check_print_hostile_text_inert(tmp_path: Path, api: str, command: str) -> None:
    config = write_inputs(tmp_path, api)
    result = cli(command, "--config", str(config), "--events", "rows.csv", "--at", AT, cwd=tmp_path)
    assert result.returncode in (0, 3), result.stderr
    out = assert_inert(result.stdout, "stdout")
    err = assert_inert(result.stderr, "stderr")
    both = out + err
    assert "HTTP 404" in both and "no such feed \\x1b]52;c;" in both  # the server's words, inert
    assert "unrecognised header (order, \\x1b]52;c;" in both  # the header, inert
    assert "\\u202ez\\x9b31m" in both
    assert "rows.csv:line 3" in err and "rows.csv:line 4" in err  # rejections keep file and line


def test_headless_stderr_and_log_file_hold_hostile_text_inert(tmp_path: Path, api: str) -> None:
    config = write_inputs(tmp_path, api, follow=True)
    process = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--listen", "127.0.0.1:0", "--config", str(config),
         "--no-state", "--log-file", "sellerpulse.log"],
        cwd=tmp_path, env=environment(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    timer = threading.Timer(20, process.kill)  # a hang fails the test instead of blocking it
    timer.start()
    lines: list[bytes] = []
    try:
        wanted = {b"source api failing", b"source header failing", b"rows:line 4"}
        while wanted:
            line = process.stderr.readline()
            assert line, b"".join(lines).decode("utf-8", "replace")
            lines.append(line)
            wanted = {w for w in wanted if w not in line}
        process.send_signal(signal.SIGTERM)
        lines.append(process.stderr.read())
        assert process.wait(30) == 0
    finally:
        timer.cancel()
        process.kill()
    err = assert_inert(b"".join(lines), "stderr")
    assert "no such feed \\x1b]52;c;" in err and "unrecognised header (order, \\x1b]52;c;" in err
    log = assert_inert((tmp_path / "sellerpulse.log").read_bytes(), "the log file")
    assert "no such feed \\\\x1b]52;c;" in log  # JSON escapes the visible backslash once more


def test_alerts_test_prints_a_sink_programs_stderr_inert(tmp_path: Path) -> None:
    pager = tmp_path / "pager.py"
    pager.write_text(f"import sys\nsys.stderr.write({HOSTILE!r})\nsys.exit(3)\n", encoding="utf-8")
    config = tmp_path / "sellerpulse.toml"
    config.write_text(
        f'[[sinks]]\ntype = "command"\nname = "pager"\ncommand = [{sys.executable!r}, {str(pager)!r}]\n',
        encoding="utf-8",
    )
    result = cli("alerts", "--config", str(config), "--state", "state.sqlite3", "test", "pager", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    err = assert_inert(result.stderr, "stderr")
    assert "exited with status 3: " in err and "]52;c;cm0gLXJmIH4=" in err  # the program's words, inert


def test_poa_lists_hostile_ids_inert(tmp_path: Path) -> None:
    order = f"O-{HOSTILE}"
    (tmp_path / "late.csv").write_text(
        "ts,kind,order_id,account,channel,ship_by\n"
        f"2026-11-17T10:00:00Z,order_placed,{order},shop,MFN,2026-11-18T10:00:00Z\n"
        f"2026-11-19T10:00:00Z,order_shipped,{order},shop,,\n",
        encoding="utf-8",
    )
    result = cli("poa", "lsr_10d", "--events", "late.csv", "--at", AT, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = assert_inert(result.stdout, "stdout")
    assert "]52;c;cm0gLXJmIH4=" in out  # the order is listed, inert
