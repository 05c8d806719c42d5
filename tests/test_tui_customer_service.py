"""The customer-service screen (``c``), the remedies in a metric's drill-down and its plan-of-action key.

Seeded data and a fixed clock (``cs_fixtures``: the mock's slow-replies store; ``tui_fixtures``: the
worked example). Review a changed SVG before ``pytest --snapshot-update``.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from cs_fixtures import ACCOUNT, NOW, cs_app, cs_events
from sellerpulse.core.remedies import ENV_VAR, load_remedies
from sellerpulse.core.timeutil import DayClock
from sellerpulse.tui.app import binding_ids
from sellerpulse.tui.screens.customer_service import CustomerServiceScreen
from sellerpulse.tui.screens.drilldown import MetricDetails
from sellerpulse.tui.screens.main import MainScreen
from sellerpulse.tui.screens.plan import PlanScreen
from sellerpulse.tui.widgets.line import Line
from tui_fixtures import AT, example_app, example_engine


@pytest.fixture(autouse=True)
def _no_user_remedies(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("SELLERPULSE_CONFIG", str(tmp_path / "absent.toml"))


async def _open_cs(pilot):
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()


def test_customer_service_80x24(snap_compare):
    assert snap_compare(cs_app(), terminal_size=(80, 24), run_before=_open_cs)


def test_customer_service_120x40(snap_compare):
    assert snap_compare(cs_app(), terminal_size=(120, 40), run_before=_open_cs)


def _block(screen, selector: str) -> str:
    return screen.query_one(selector)._shown.plain


async def test_weekly_rows_match_the_surveys_counted_from_the_events():
    app = cs_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_cs(pilot)
        screen = app.screen
        assert isinstance(screen, CustomerServiceScreen)
        rows = _block(screen, "#cs-weeks").splitlines()
        assert len(rows) == 1 + 9  # heading, the running week and 8 complete ones
        # brute force: the latest answer per message, counted in the week of that answer
        clock = DayClock("America/New_York")
        latest: dict[str, tuple[int, str]] = {}
        for e in cs_events():
            if e.kind == "cs_survey" and (e.ref not in latest or e.ts >= latest[e.ref][0]):
                latest[e.ref] = (e.ts, e.outcome)
        today = clock.day(NOW)
        monday = today - date.fromordinal(today).weekday()
        for n, row in enumerate(rows[1:]):
            first = monday - 7 * n
            answers = [o for ts, o in latest.values() if first <= clock.day(ts) <= first + 6]
            label = f"{date.fromordinal(first):%m-%d}..{date.fromordinal(first + 6):%m-%d}"
            assert row.startswith(label)
            assert f" {answers.count('yes')}/{len(answers)} " in row, (row, answers)
        assert rows[1].startswith(rows[1][:12] + " now")
        snapshot = app.data.snapshot(NOW, weekly=True).accounts[ACCOUNT]
        fcr = snapshot.weekly["first_contact_resolution"][-2]  # last complete week
        assert f"{fcr.value * 100:.1f} %  {fcr.numerator}/{fcr.denominator}" in rows[2]


async def test_feedback_and_slowest_threads_come_from_the_engine():
    app = cs_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_cs(pilot)
        screen = app.screen
        feedback = _block(screen, "#cs-feedback")
        metrics = app.data.snapshot(NOW).accounts[ACCOUNT].metrics
        for mid in ("feedback_score_30d", "feedback_score_lifetime"):
            m = metrics[mid]
            assert f"{m.value * 100:.1f} % positive" in feedback
            assert f"{m.numerator} of {m.denominator}" in feedback
        threads = _block(screen, "#cs-threads").splitlines()
        items = app.data.queue_items(ACCOUNT, "messages_awaiting_reply", NOW)
        assert threads[0].startswith(f"Slowest open threads  {len(items)} open")
        assert [line.split()[0] for line in threads[1:]] == [i.order_id or i.ref for i in items[:5]]
        wording = "reply overdue" if items[0].deadline < NOW else "reply due in"
        assert wording in threads[1] and "since 2026-" in threads[1]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_the_key_is_remappable_and_every_new_binding_has_an_id():
    assert {"customer-service", "plan-of-action", "plan-save"} <= binding_ids()
    app = cs_app(keymap={"customer-service": "v"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, CustomerServiceScreen)


async def _drill_into_odr(app, pilot):
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, MetricDetails) and app.screen.metric_id == "odr"


def _remedy_lines(screen) -> list[str]:
    return [line.plain for line in screen.query(".remedy-line").results(Line) if line.display]


async def test_drilldown_shows_the_metrics_remedies():
    odr = load_remedies("amazon")["odr"]
    app = example_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await _drill_into_odr(app, pilot)
        lines = _remedy_lines(app.screen)
        assert lines == [odr.title, *(f"- {a}" for a in odr.actions)]
    app = example_app()
    async with app.run_test(size=(100, 30)) as pilot:  # short: two actions and a pointer to the rest
        await _drill_into_odr(app, pilot)
        lines = _remedy_lines(app.screen)
        assert lines[1:3] == [f"- {a}" for a in odr.actions[:2]]
        assert lines[3].strip() == f"{len(odr.actions) - 2} more: o shows the plan of action"


async def test_drilldown_reads_the_users_remedies_file(tmp_path, monkeypatch):
    mine = tmp_path / "remedies.toml"
    mine.write_text('[metrics.odr]\ntitle = "Call the buyer"\nactions = ["Phone within the hour."]\n')
    monkeypatch.setenv(ENV_VAR, str(mine))
    app = example_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await _drill_into_odr(app, pilot)
        assert _remedy_lines(app.screen) == ["Call the buyer", "- Phone within the hour."]


async def test_plan_of_action_key_shows_and_writes_the_draft(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = example_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await _drill_into_odr(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PlanScreen)
        assert screen.text.startswith("# Plan of action: Order Defect Rate (odr)\n")
        # rendered, not raw: the heading is a heading block and no line starts with Markdown's marks
        heading = screen.query_one("#plan-text").query_one("MarkdownH1")
        assert "Plan of action: Order Defect Rate (odr)" in str(heading.content)
        shown = "\n".join(str(block.content) for block in screen.query("MarkdownBlock"))
        assert "# Plan" not in shown and "`AC-" not in shown
        assert re.search(r"\bAC-\d+\b", shown)  # the order ids, now as code
        await pilot.press("w")
        await pilot.pause()
        written = list(tmp_path.glob("poa-*.md"))
        assert [p.name for p in written] == ["poa-acme-us-odr-2026-10-15.md"]
        plan = written[0].read_text(encoding="utf-8")
        assert plan == screen.text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MetricDetails)
    # the orders it cites are the engine's own defects of the window, with the snapshot's counts
    engine, _ = example_engine()
    bad = engine.bad_outcomes("acme-us", "odr", AT)
    metric = engine.snapshot(AT).accounts["acme-us"].metrics["odr"]
    assert sorted(re.findall(r"`(AC-\d+)` \(", plan)) == sorted(b.order_id for b in bad)
    assert f"({metric.numerator} defects among {metric.denominator} orders)" in plan
    assert "1. Work every defect group above" in plan
    assert plan.index("## What is behind it") < plan.index("Work every defect group above")  # it is above


def test_the_mock_store_answers_surveys_and_writes_back_in_the_same_thread():
    """What the screen's figures need from the mock: survey answers, and buyers who write again in the
    same order's thread within 72 h of a reply (so First Contact Resolution is not always 100 %)."""
    events = cs_events()
    received = [e for e in events if e.kind == "message_received"]
    replied = {e.ref: e.ts for e in events if e.kind == "message_replied"}
    surveyed = {e.ref for e in events if e.kind == "cs_survey"}
    assert len(surveyed) >= 20 and surveyed <= {e.ref for e in received}
    follow_ups = [
        b
        for a in received
        if a.order_id and a.ref in replied
        for b in received
        if b.order_id == a.order_id
        and b is not a
        and replied[a.ref] < b.ts <= replied[a.ref] + 72 * 3600_000_000
    ]
    assert len(follow_ups) >= 5
