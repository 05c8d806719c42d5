"""A FIFO, a device or a directory given as an event file is refused at once with a clear message: by
``report``/``check --events`` (the usage exit status), by a configured csv source (failing health, the
other sources go on) and by ``run --headless``, which still stops on SIGTERM. Every command runs as a
subprocess with a timeout, so a regression fails instead of hanging: opening a FIFO blocks until a
writer comes, and /dev/zero never ends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sellerpulse.core.readers import NotRegularFile, read_event_file
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import make_source, read_source

GOOD = "ts,kind,order_id\n2026-11-16T18:00:00Z,order_placed,G-1\n"


def cli(folder: Path, *args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config"), "XDG_DATA_HOME": str(folder / "data")}
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, cwd=folder, env=env, timeout=timeout,
    )  # fmt: skip


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "orders.csv"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["report", "check"])
def test_events_from_a_fifo_is_a_usage_error(tmp_path: Path, fifo: Path, command: str) -> None:
    result = cli(tmp_path, command, "--events", fifo.name, "--at", "2026-11-20T00:00:00Z")
    assert result.returncode == 64, result.stderr
    assert result.stderr == (
        f"sellerpulse {command}: {fifo.name}: a FIFO (named pipe), not a regular file;"
        " event files are read from regular files only\n"
    )


def test_events_from_dev_zero_and_a_directory_are_usage_errors(tmp_path: Path) -> None:
    zero = cli(tmp_path, "report", "--events", "/dev/zero")
    assert zero.returncode == 64
    assert "/dev/zero: a character device, not a regular file" in zero.stderr
    folder = cli(tmp_path, "check", "--events", str(tmp_path))
    assert folder.returncode == 64
    assert f"{tmp_path}: a directory, not a regular file" in folder.stderr
    missing = cli(tmp_path, "report", "--events", "missing.csv")
    assert (missing.returncode, missing.stderr) == (
        64,
        "sellerpulse report: no such event file: missing.csv\n",
    )


def test_a_configured_source_on_a_fifo_or_dev_zero_fails_and_the_others_are_read(
    tmp_path: Path, fifo: Path
) -> None:
    (tmp_path / "good.csv").write_text(GOOD)
    (tmp_path / "sources.toml").write_text(
        '[[sources]]\ntype = "csv"\nname = "pipe"\npath = "orders.csv"\nfollow = true\n'
        '[[sources]]\ntype = "csv"\nname = "zero"\npath = "/dev/zero"\n'
        '[[sources]]\ntype = "csv"\nname = "good"\npath = "good.csv"\n'
    )
    result = cli(
        tmp_path, "report", "--config", "sources.toml", "--at", "2026-11-20T00:00:00Z", "--format", "json"
    )
    assert "Traceback" not in result.stderr
    pipe = f"source pipe failed: NotRegularFile: {fifo.name}: a FIFO (named pipe), not a regular file"
    assert pipe in result.stderr  # (the path as the config gives it)
    assert (
        "source zero failed: NotRegularFile: /dev/zero: a character device, not a regular file"
        in result.stderr
    )
    metrics = json.loads(result.stdout)["accounts"]["default"]["metrics"]
    assert metrics["pfcr"]["denominator"] == 1  # the good source was read


def test_headless_with_a_fifo_source_reports_it_failing_and_stops_on_sigterm(
    tmp_path: Path, fifo: Path
) -> None:
    (tmp_path / "sellerpulse.toml").write_text('[[sources]]\ntype = "csv"\nname = "pipe"\npath = "orders.csv"\n'
                                               "follow = true\n")  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml",
         "--no-state", "--log-file", "run.log"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")},
    )  # fmt: skip
    try:
        log = tmp_path / "run.log"
        deadline = time.monotonic() + 15
        while "source pipe failing" not in (log.read_text() if log.exists() else ""):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "a FIFO (named pipe), not a regular file" in log.read_text()


def test_the_readers_refuse_a_device_at_open(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile, match=r"^/dev/zero: a character device, not a regular file"):
        list(read_event_file("/dev/zero"))
    with pytest.raises(NotRegularFile, match="a character device"):
        read_source(make_source(CsvSource, {"path": "/dev/zero"}), timeout=10)
