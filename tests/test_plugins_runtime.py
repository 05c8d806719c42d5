"""The runtime with the real engine and real files: concurrent sources, one failing without stopping
the others, a background thread followed by snapshots from the caller's thread, positions, callbacks,
and ``build_sources`` validation of ``[[sources]]`` tables."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import parse_event
from sellerpulse.core.options import Option, OptionError, validate_options
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.runtime import Runtime, SourceConfigError, build_sources
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.timeutil import parse_instant

HEADER = "ts,kind,order_id,account,event_id\n"


def rows(start: int, stop: int, account: str = "acme") -> str:
    return "".join(
        f"2026-11-02T10:00:00Z,order_placed,O{n},{account},{account}-{n}\n" for n in range(start, stop)
    )


class FailsAfterOneBatch(Source):
    """Delivers one event, then its upstream breaks."""

    type_name = "fragile"

    async def batches(self, follow):
        yield Batch(
            [parse_event({"ts": "2026-11-02T09:00:00Z", "kind": "order_placed", "order_id": "F1"})], []
        )
        await asyncio.sleep(0.01)
        raise ConnectionError("upstream closed the connection")


@pytest.fixture
def plugins(monkeypatch):
    monkeypatch.setenv("SELLERPULSE_LOAD_PLUGINS", "")
    return load_plugins()


def test_one_source_failing_leaves_the_others_running(tmp_path, plugins):
    path = tmp_path / "a.csv"
    path.write_text(HEADER + rows(0, 3000) + "garbage line\n")
    [csv_source] = build_sources([{"type": "csv", "path": str(path)}], plugins)
    engine = Engine()
    runtime = Runtime(engine, [FailsAfterOneBatch("fragile", {}), csv_source])
    health = runtime.run_once()
    assert health["fragile"].state == "failing"
    assert health["fragile"].last_error == "ConnectionError: upstream closed the connection"
    assert health["fragile"].events == 1
    assert health["csv"].state == "done" and health["csv"].events == 3000 and health["csv"].rejected == 1
    assert [r.position for r in csv_source.recent_rejections()] == ["line 3002"]
    snapshot = runtime.snapshot(parse_instant("2026-11-03T00:00:00Z"))
    assert sorted(snapshot.accounts) == ["acme", "default"]
    assert snapshot.rejected == {"csv": 1}


def test_background_thread_follows_while_the_caller_takes_snapshots(tmp_path, plugins):
    path = tmp_path / "live.csv"
    path.write_text(HEADER + rows(0, 5))
    sources = build_sources([{"type": "csv", "name": "live", "path": str(path), "follow": True,
                              "poll_interval": 0.02}], plugins)  # fmt: skip
    runtime = Runtime(Engine(), sources)
    seen: list[tuple[str, int, str]] = []
    runtime.on_batch.append(
        lambda name, batch: seen.append((name, len(batch.events), threading.current_thread().name))
    )
    runtime.on_batch.append(lambda name, batch: 1 / 0)  # a broken callback does not stop the others
    thread = runtime.start_in_thread()
    try:
        wait_for(lambda: runtime.health()["live"].events == 5)
        with path.open("a") as handle:
            handle.write(rows(5, 9, account="beta"))
        wait_for(lambda: runtime.health()["live"].events == 9)
        snapshot = runtime.snapshot(parse_instant("2026-11-03T00:00:00Z"))
        assert sorted(snapshot.accounts) == ["acme", "beta"]
        assert runtime.health()["live"].state == "ok"
        assert runtime.positions()["live"]["offset"] == path.stat().st_size
    finally:
        runtime.stop()
    assert not thread.is_alive() and runtime.finished.is_set()
    assert sum(count for _, count, _ in seen) == 9
    assert {name for name, _, _ in seen} == {"live"}
    assert {thread_name for _, _, thread_name in seen} == {"sellerpulse-runtime"}


class BreaksTwiceThenRecovers(Source):
    """An upstream that fails on the first two reads (after one order, then at once) and then works:
    each call of ``batches`` goes on from the orders already delivered."""

    type_name = "flaky"

    def __init__(self, name, options):
        super().__init__(name, options)
        self.calls = 0
        self.delivered = 0

    async def batches(self, follow):
        self.calls += 1
        while self.delivered < 3:
            if self.calls <= 2 and self.delivered == self.calls - 1 + (self.calls == 2):
                raise ConnectionError(f"upstream broke on read {self.calls}")
            self.delivered += 1
            event = {"ts": "2026-11-02T09:00:00Z", "kind": "order_placed", "order_id": f"K{self.delivered}"}
            yield Batch([parse_event(event)], [])
        while follow:
            await asyncio.sleep(0.01)


def test_a_followed_source_that_fails_is_read_again_after_a_back_off(monkeypatch):
    """A fault nobody foresaw stops a followed source for one back-off, not for the rest of the run; the
    wait doubles while it keeps failing and the health says when it tries again."""
    import sellerpulse.core.runtime as runtime_module

    monkeypatch.setattr(runtime_module, "RESTART_FIRST_SECONDS", 0.05)
    source = BreaksTwiceThenRecovers("flaky", {})
    runtime = Runtime(Engine(), [source])
    errors: list[str] = []
    original = source.report_error
    monkeypatch.setattr(source, "report_error", lambda error, state="failing": (errors.append(error),
                                                                                 original(error, state)))  # fmt: skip
    runtime.start_in_thread()
    try:
        wait_for(lambda: runtime.health()["flaky"].events == 3)
        assert source.calls == 3
        assert [e.split(" (")[0] for e in errors] == [
            "ConnectionError: upstream broke on read 1",
            "ConnectionError: upstream broke on read 2",
        ]
        assert all("trying again in" in e for e in errors)
        assert runtime.health()["flaky"].state == "ok" and runtime.health()["flaky"].last_error is None
        snapshot = runtime.snapshot(parse_instant("2026-11-03T00:00:00Z"))
        assert snapshot.accounts["default"] is not None
    finally:
        runtime.stop()


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def test_positions_restore_without_double_counting(tmp_path, plugins):
    path = tmp_path / "events.csv"
    path.write_text(HEADER + rows(0, 100))
    first = Runtime(Engine(), build_sources([{"type": "csv", "name": "orders", "path": str(path)}], plugins))
    first.run_once()
    saved = first.positions()
    with path.open("a") as handle:
        handle.write(rows(100, 120))
    second = Runtime(Engine(), build_sources([{"type": "csv", "name": "orders", "path": str(path)}], plugins))
    second.restore(saved)
    assert second.run_once()["orders"].events == 20


def test_build_sources_reports_every_problem_naming_the_source(plugins):
    tables = [
        {"type": "csv", "name": "orders", "pth": "x.csv"},
        {"name": "typeless"},
        {"type": "cvs", "path": "x.csv"},
        {"type": "csv", "name": "orders", "path": "y.csv"},
        {"type": "csv", "name": "feed", "path": "z.csv", "follow": "sometimes"},
    ]
    with pytest.raises(SourceConfigError) as caught:
        build_sources(tables, plugins, origin="shop.toml")
    lines = str(caught.value).splitlines()
    assert lines == [
        "shop.toml: source 'orders' (type 'csv'): unknown option 'pth'; did you mean 'path'?",
        "shop.toml: source 'orders' (type 'csv'): missing required option 'path' (the file to read (any extension))",
        "shop.toml: [[sources]] #2: missing 'type' (one of csv" + "".join(
            f", {name}" for name in sorted(plugins.sources()) if name != "csv") + ")",
        "shop.toml: source 'cvs' (type 'cvs'): unknown source type 'cvs'; did you mean 'csv'?",
        "shop.toml: source 'orders' (type 'csv'): duplicate name (also [[sources]] #1); give each a unique name",
        "shop.toml: source 'feed' (type 'csv'): option 'follow': expected true or false, got str 'sometimes'",
    ]  # fmt: skip


def test_build_sources_defaults_and_relative_paths(tmp_path, plugins):
    [source] = build_sources([{"type": "csv", "path": "data/events.csv"}], plugins, base_dir=tmp_path)
    assert source.name == "csv"
    assert source.settings["path"] == tmp_path / "data" / "events.csv"
    assert source.settings["follow"] is False and source.settings["poll_interval"] == 0.25


def test_validate_options_types_defaults_and_secrets():
    declared = (
        Option("count", "int", 3, "how many"),
        Option("ratio", "float", 0.5, "share"),
        Option("on", "bool", False, "switch"),
        Option("tags", "list", [], "labels"),
        Option("headers", "dict", {}, "extra headers"),
        Option("token", "str", None, "API token", secret=True),
        Option("mode", "str", "fast", "speed", choices=("fast", "careful")),
    )
    values = validate_options(declared, {"count": "7", "ratio": 2, "on": "yes", "tags": "one"}, "t")
    assert values == {"count": 7, "ratio": 2.0, "on": True, "tags": ["one"], "headers": {}, "token": None,
                      "mode": "fast"}  # fmt: skip
    values["headers"]["x"] = "1"
    assert validate_options(declared, {}, "t")["headers"] == {}  # defaults are copies
    with pytest.raises(OptionError) as caught:
        validate_options(declared, {"count": True, "token": 12345, "mode": "carefull", "on": 2}, "src")
    text = str(caught.value)
    assert "src: option 'count': expected an integer, got bool True" in text
    assert "src: option 'token': expected str" in text and "12345" not in text
    assert "src: option 'mode': 'carefull' is not one of fast, careful; did you mean 'careful'?" in text
    assert "src: option 'on': expected true or false, got int 2" in text
    with pytest.raises(ValueError, match="unknown type 'text'"):
        Option("x", "text")


def test_run_once_with_no_sources_returns_at_once():
    assert Runtime(Engine(), []).run_once() == {}


def test_source_state_changes_and_bounded_rejection_memory(tmp_path, plugins):
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "".join(f"nonsense {n}\n" for n in range(500)))
    [source] = build_sources([{"type": "csv", "path": str(path)}], plugins)
    assert source.health().state == "starting"
    Runtime(Engine(), [source]).run_once()
    health = source.health()
    assert (health.state, health.rejected, health.events) == ("done", 500, 0)
    recent = source.recent_rejections()
    assert len(recent) == source.recent_kept and recent[-1].position == "line 501"
    with pytest.raises(ValueError, match="unknown source state"):
        source.set_state("sleepy")


def test_stop_before_start_and_double_start(tmp_path, plugins):
    path = Path(tmp_path / "x.csv")
    path.write_text(HEADER)
    runtime = Runtime(Engine(), build_sources([{"type": "csv", "path": str(path), "follow": True}], plugins))
    runtime.stop()  # nothing to stop: no error
    runtime.start_in_thread()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            runtime.start_in_thread()
    finally:
        runtime.stop()
