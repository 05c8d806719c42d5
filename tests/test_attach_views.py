"""Views attached to a real ``sellerpulse serve`` (a child process on 127.0.0.1), driven with Pilot:
two views at once, one quitting while the other goes on; ``kill -9`` of serve shows "reconnecting"
and the view comes back by itself after a restart; acknowledging alerts with and without the token."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from attach_fixtures import Serve, seller, user_dirs, wait_for
from sellerpulse.core.clock import SystemClock
from sellerpulse.core.timeutil import US_PER_DAY
from sellerpulse.tui.attached import AttachedApp
from sellerpulse.tui.remote import RemoteData
from sellerpulse.tui.widgets.header import HeaderLine
from sellerpulse.tui.widgets.line import Line
from sellerpulse.tui.widgets.metric_panel import MetricPanel
from sellerpulse.tui.widgets.sources_panel import SourcesPanel
from state_fixtures import append_events, history
from test_attach_cli import read_until

pytestmark = pytest.mark.slow  # each test starts serve (a second or two)

SIZE = (120, 40)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    seller(tmp_path)
    server = Serve(tmp_path)
    yield server
    server.stop()


def view(url: str, token: str | None = None) -> AttachedApp:
    """An attached view refreshed by hand (no timer, no worker threads): what it draws is what the
    stream last delivered when the test calls ``fetch``."""
    return AttachedApp(RemoteData(url, token), live=False, threaded=False, show_clock=False)


async def until(pilot, condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Refresh the view until ``condition`` holds (the stream delivers on its own thread)."""
    for _ in range(int(timeout / 0.05)):
        pilot.app.fetch()
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError("the view never showed it")


def header(app: AttachedApp) -> str:
    return app.main.query_one(HeaderLine).plain


def sources(app: AttachedApp) -> str:
    return "\n".join(line.plain for line in app.main.query_one(SourcesPanel).query(Line))


def events_shown(app: AttachedApp) -> int:
    """The events count the sources panel shows for the ``orders`` source."""
    found = re.search(r"^orders ok .*?([\d,]+) events$", sources(app), re.MULTILINE)
    return int(found.group(1).replace(",", "")) if found else -1


async def test_two_views_see_one_serve_and_one_quitting_changes_nothing_for_the_other(serve: Serve) -> None:
    first, second = view(serve.url), view(serve.url)
    async with first.run_test(size=SIZE) as one, second.run_test(size=SIZE) as two:
        await until(one, lambda: "acme" in header(first) and events_shown(first) > 0)
        await until(two, lambda: "acme" in header(second) and events_shown(second) > 0)
        assert first.main.query(MetricPanel)  # the same panels as a local dashboard
        assert events_shown(first) == events_shown(second)
        before = events_shown(second)
        await one.press("q")
        await one.pause()
        assert first.return_code == 0 and not first.is_running
        # new orders after the first view left: the second still follows serve
        append_events(
            serve.folder / "events.csv",
            history(1, orders_per_day=5, start=SystemClock().now() - US_PER_DAY, seed=9),
        )
        await until(two, lambda: events_shown(second) > before)
        assert "reconnecting" not in header(second)
    assert serve.process.poll() is None  # serve never noticed more than a closed stream


async def test_kill_9_of_serve_shows_reconnecting_and_the_view_comes_back_after_a_restart(
    serve: Serve, tmp_path: Path
) -> None:
    app = view(serve.url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: events_shown(app) > 0)
        shown = events_shown(app)
        serve.kill()
        await until(pilot, lambda: "serve reconnecting" in header(app))
        assert "serve reconnecting" in sources(app)
        assert events_shown(app) == shown  # the last view stays on screen meanwhile
        assert "acme" in header(app)
        restarted = Serve(tmp_path, port=serve.port)
        try:
            await until(pilot, lambda: "reconnecting" not in header(app) and events_shown(app) > 0)
            assert "serve" not in sources(app).split()  # the entry is gone, the source is back
        finally:
            restarted.stop()


async def test_k_acknowledges_the_firing_alerts_with_the_token_and_is_refused_without(serve: Serve) -> None:
    def acknowledged() -> list[bool]:
        states = httpx.get(serve.url + "/api/v1/view", timeout=5).json()["alerts"]
        return [s["acknowledged"] for s in states if s["rule"] == "late-shipping" and s["state"] == "firing"]

    notes: list[str] = []
    anonymous = view(serve.url)
    async with anonymous.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(anonymous.firing_rules()))
        anonymous.notify = lambda message, **kw: notes.append(message)  # what the operator is told
        await pilot.press("k")
        await pilot.pause()
    assert any("401" in note and "token required" in note for note in notes), notes
    assert acknowledged() and not any(acknowledged())

    notes.clear()
    operator = view(serve.url, serve.token)
    async with operator.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(operator.firing_rules()))
        shown = {a.account for a in operator.reading.alerts if a.state == "firing"}
        operator.notify = lambda message, **kw: notes.append(message)
        await pilot.press("k")
        await pilot.pause()
    assert notes == ["acknowledged 1 firing alert(s): late-shipping"], notes
    by_account = {
        s["labels"].get("account"): s["acknowledged"]
        for s in httpx.get(serve.url + "/api/v1/view", timeout=5).json()["alerts"]
        if s["state"] == "firing"
    }
    assert by_account[operator.account] is True  # the account on screen, and only that one
    assert all(not acked for account, acked in by_account.items() if account != operator.account)
    assert operator.account in shown


async def test_enter_on_a_metric_opens_its_drill_down_with_the_rows_serve_holds(serve: Serve) -> None:
    from sellerpulse.tui.screens.drilldown import MetricDetails, QueueDetails

    app = view(serve.url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.current_account is not None)
        metric = app.current_account.metrics["lsr_10d"]
        assert metric.numerator  # the seller ships late: there are rows to show
        panel = next(p for p in app.main.query(MetricPanel) if p.metric_id == "lsr_10d")
        panel.focus()
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MetricDetails) and app.screen.loaded)
        assert len(app.screen.rows) == metric.numerator  # one row per late shipment the panel counts
        await pilot.press("escape")
        app.open_queue("claims_awaiting_response")
        await until(pilot, lambda: isinstance(app.screen, QueueDetails) and app.screen.loaded)
        assert len(app.screen.rows) == app.current_account.queues["claims_awaiting_response"].count


async def test_a_wrong_token_is_shown_with_serves_reason_and_nothing_is_drawn_from_serve(
    serve: Serve,
) -> None:
    app = view(serve.url, "not-the-token")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "401" in sources(app))
        assert "serve reconnecting" in header(app)
        assert "wrong token" in sources(app)
        assert app.current_account is None and events_shown(app) == -1


async def test_c_shows_the_weekly_customer_service_figures_serve_computes(serve: Serve) -> None:
    from sellerpulse.tui.screens.customer_service import CustomerServiceScreen

    app = view(serve.url)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.current_account is not None)
        await pilot.press("c")
        await until(
            pilot, lambda: isinstance(app.screen, CustomerServiceScreen) and app.screen.shown is not None
        )
        shown = app.screen.shown.weekly
        account = app.screen.account
    # the report JSON of the same serve: every weekly figure, week by week
    report = httpx.get(serve.url + "/api/v1/snapshot", timeout=10).json()["accounts"][account]["weekly"]
    assert shown and set(shown) == set(report)
    for fid, weeks in report.items():
        assert [w["value"] for w in weeks] == [w.value for w in shown[fid]], fid


async def test_a_view_whose_terminal_hangs_up_ends_and_changes_nothing_for_the_others(serve: Serve) -> None:
    """An operator's SSH connection drops: the terminal of that view hangs up (its pseudo-terminal
    closes); that view ends, serve and the view still attached carry on."""
    master, slave = os.openpty()
    lost = subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "attach", serve.url], cwd=serve.folder,
        env={**user_dirs(serve.folder), "TERM": "xterm-256color"}, stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    seen = bytearray()
    other = view(serve.url)
    try:
        async with other.run_test(size=SIZE) as pilot:
            assert await asyncio.to_thread(read_until, master, b"Order Defect Rate", 60, seen)
            await until(pilot, lambda: events_shown(other) > 0)
            before = events_shown(other)
            # the connection is gone: the terminal hangs up, and the kernel sends SIGHUP to the view (here
            # the test does both: the pseudo-terminal is not the child's controlling terminal)
            os.close(master)
            master = -1
            os.killpg(lost.pid, signal.SIGHUP)
            assert await asyncio.to_thread(lambda: wait_for(lambda: lost.poll() is not None, 20))
            append_events(
                serve.folder / "events.csv",
                history(1, orders_per_day=5, start=SystemClock().now() - US_PER_DAY, seed=11),
            )
            await until(pilot, lambda: events_shown(other) > before)
            assert "reconnecting" not in header(other)
    finally:
        if master >= 0:
            os.close(master)
        if lost.poll() is None:
            lost.kill()
            lost.wait()
    assert serve.process.poll() is None


async def test_the_alerts_screen_of_a_view_acknowledges_through_serve_and_says_where_to_silence(
    serve: Serve,
) -> None:
    from sellerpulse.tui.screens.alerts import AlertsScreen

    notes: list[str] = []
    operator = view(serve.url, serve.token)
    async with operator.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(operator.firing_rules()))
        operator.notify = lambda message, **kw: notes.append(message)
        await pilot.press("l")
        await pilot.pause()
        screen = operator.screen
        assert isinstance(screen, AlertsScreen)
        await until(pilot, lambda: screen.selected() is not None)
        first = screen.selected()
        assert first.state == "firing"
        await pilot.press("z")
        await pilot.pause()
        assert notes[-1].startswith(
            f"silence it where serve runs: sellerpulse alerts silence {first.rule} --for 1h"
        )
        await pilot.press("k")
        await pilot.pause()
    assert notes[-1] == f"{first.rule} {first.account}: acknowledged", notes
    acked = {
        (s["rule"], s["labels"].get("account"))
        for s in httpx.get(serve.url + "/api/v1/view", timeout=5).json()["alerts"]
        if s["acknowledged"]
    }
    assert acked == {(first.rule, first.account)}
