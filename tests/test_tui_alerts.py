"""The alerts as an operator meets them: a feed of the urgent ones (no ``no_data``), in the account's
zone, and a screen of their own with the full text, acknowledge and silence, acting on the real manager."""

from __future__ import annotations

from sellerpulse.core.alerts import AlertManager, Store, default_rules
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.profile import builtin_profile
from sellerpulse.tui.data import EngineData
from sellerpulse.tui.screens.alerts import AlertsScreen
from sellerpulse.tui.widgets.alert_feed import AlertFeed
from textual.widgets import DataTable, Static
from tui_fixtures import AT, TIMEZONE, example_app, example_engine


def manager_on(engine: Engine, tmp_path) -> AlertManager:
    """The default rules judged twice on the worked example, 11 minutes apart (past their ``for``)."""
    clock = FixedClock(AT - 11 * 60_000_000)
    manager = AlertManager(default_rules(builtin_profile("amazon")), Store(tmp_path / "a.sqlite3"), {}, clock)
    manager.evaluate(engine.snapshot(clock.now()))
    clock.at = AT
    manager.evaluate(engine.snapshot(AT))
    return manager


def alerting_app(tmp_path, engine: Engine | None = None):
    engine = engine or example_engine()[0]
    manager = manager_on(engine, tmp_path)
    data = EngineData(engine, FixedClock(AT), alerts=manager.states, alert_control=manager)
    return example_app(data=data, account="acme-us"), manager


def feed_lines(app) -> list[str]:
    return [line.plain for line in app.screen.query_one(AlertFeed).lines if line.plain]


async def test_the_feed_shows_firing_rules_not_rules_without_data(tmp_path):
    app, manager = alerting_app(tmp_path)
    states = manager.states()
    assert any(s["state"] == "no_data" for s in states)  # the example has rules that cannot judge yet
    firing = {(s["rule"], s["labels"]["account"]) for s in states if s["state"] == "firing"}
    assert len(firing) > 5  # more than the feed has lines: the urgent ones must not be pushed out
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        lines = feed_lines(app)
        assert len(lines) == 5
        assert all(" firing " in line for line in lines), lines
        assert not any("no_data" in line for line in lines)
        assert not any(line.split()[2].endswith("-warning") for line in lines)  # inhibited by their breach
        alerts = [s for s in states if s["state"] not in ("normal", "no_data") and not s["inhibited"]]
        assert app.screen.query_one(AlertFeed).border_subtitle == f"{len(alerts) - 5} more, enter"


async def test_feed_times_are_in_the_accounts_zone_when_the_data_comes_after_the_alerts(tmp_path):
    """After a restart the alert states are there before the engine has accounts: the feed first draws
    in UTC, and must redraw in the account's zone once the account arrives."""
    full, _ = example_engine()
    manager = manager_on(full, tmp_path)
    empty = Engine(timezone=TIMEZONE)
    data = EngineData(empty, FixedClock(AT), alerts=manager.states)
    app = example_app(data=data)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert feed_lines(app)[0].startswith("09:00 ")  # UTC: nothing says the zone yet
        data.engine = full
        app.fetch()
        await pilot.pause()
        assert feed_lines(app)[0].startswith("11:00 "), feed_lines(app)  # Europe/Berlin, CEST


async def test_enter_on_the_feed_opens_the_alerts_screen_with_the_full_text(tmp_path):
    app, manager = alerting_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one(AlertFeed).focus()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        table = screen.query_one(DataTable)
        # every rule with something to say (no_data included, last); the normal ones stay out
        assert table.row_count == len([s for s in manager.states() if s["state"] != "normal"])
        first = screen.selected()
        assert first is not None and first.state == "firing"
        text = str(screen.query_one("#alert-text", Static).render())
        assert first.message in text.replace("\n", " ")  # the whole summary, wrapped, not cut
        assert str(table.get_row_at(0)[1]).endswith(" 11:00")  # since when, in Europe/Berlin


async def test_acknowledge_and_silence_reach_the_manager(tmp_path):
    app, manager = alerting_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        first = screen.selected()
        await pilot.press("k")
        await pilot.pause()
        acked = {(s["rule"], s["labels"]["account"]) for s in manager.states() if s["acknowledged"]}
        assert acked == {(first.rule, first.account)}
        assert str(screen.query_one(DataTable).get_row_at(0)[4]) == "acked"
        await pilot.press("down", "z")
        await pilot.pause()
        second = screen.shown[1]
        assert [(s.rule, s.account) for s in manager.silences()] == [(second.rule, second.account)]
        assert screen.shown[1].silenced


async def test_a_view_without_the_manager_says_it_cannot_act(tmp_path):
    engine = example_engine()[0]
    manager = manager_on(engine, tmp_path)
    app = example_app(data=EngineData(engine, FixedClock(AT), alerts=manager.states))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("l", "k")
        await pilot.pause()
        assert not any(s["acknowledged"] for s in manager.states())
        assert any("only shown here" in str(n.message) for n in app._notifications)


async def test_a_warning_under_its_breach_is_marked_inhibited_on_the_alerts_screen(tmp_path):
    app, manager = alerting_app(tmp_path)
    inhibited = {(s["rule"], s["labels"]["account"]) for s in manager.states() if s["inhibited"]}
    assert inhibited and all(rule.endswith("-warning") for rule, _ in inhibited)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(n)] for n in range(table.row_count)]
        flagged = {(row[2], row[3]) for row in rows if "inhibited" in row[4]}
        assert flagged == inhibited


def test_alerts_screen_100x30(snap_compare, tmp_path):
    app, _ = alerting_app(tmp_path)
    assert snap_compare(app, terminal_size=(100, 30), press=["l"])


def test_alert_feed_at_80x24(snap_compare, tmp_path):
    app, _ = alerting_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24))


async def test_a_narrow_feed_says_how_many_more_alerts_there_are(tmp_path):
    app, manager = alerting_app(tmp_path)
    alerts = [s for s in manager.states() if s["state"] not in ("normal", "no_data") and not s["inhibited"]]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        feed = app.screen.query_one(AlertFeed)
        shown = [line.plain for line in feed.lines if line.display and line.plain]
        assert len(shown) == 2
        assert feed.more_line.display
        assert feed.more_line.plain == f"{len(alerts) - 2} more alerts: l lists them all"
    async with alerting_app(tmp_path / "wide")[0].run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert not pilot.app.screen.query_one(AlertFeed).more_line.display  # the border says it there
