"""Switching screens stays cheap: the footer is rebuilt only when its keys change, and closed screens
leave nothing behind (every object kept alive is one more for each garbage collection to walk, which
under load was a pause of hundreds of milliseconds in the middle of a key press)."""

from __future__ import annotations

import gc

from sellerpulse.tui.screens.help import HelpScreen
from sellerpulse.tui.screens.rejections import RejectionsScreen
from sellerpulse.tui.widgets.footer import KeysFooter
from sellerpulse.tui.widgets.metric_panel import MetricPanel
from sellerpulse.tui.widgets.sources_panel import SourcesPanel
from textual import events
from textual.widget import Widget
from tui_fixtures import example_app, example_data

SIZE = (120, 40)


def footer_keys(app) -> list[Widget]:
    return list(app.main.query_one(KeysFooter).query("FooterKey"))


def removed_widgets() -> list[Widget]:
    """Widgets no longer in the DOM that something still keeps alive."""
    gc.collect()
    return [thing for thing in gc.get_objects() if isinstance(thing, Widget) and not thing.is_attached]


async def open_and_close(app, pilot, key: str, kind: type) -> None:
    await pilot.press(key)
    assert isinstance(app.screen, kind)
    await pilot.press("escape")
    assert app.screen is app.main


async def open_and_close_help(app, pilot) -> None:
    await open_and_close(app, pilot, "question_mark", HelpScreen)


async def test_closing_help_keeps_the_footer_and_a_new_focus_redraws_it():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = footer_keys(app)
        assert {key.description for key in before} >= {"Help", "Pause", "Details"}
        await open_and_close_help(app, pilot)
        await pilot.pause()
        assert footer_keys(app) == before  # the very same widgets: nothing was rebuilt
        app.main.query_one(SourcesPanel).focus()  # its enter key reads "Rejected rows"
        await pilot.pause()
        after = {key.description for key in footer_keys(app)}
        assert "Rejected rows" in after and "Details" not in after


async def test_help_is_built_once_and_lists_the_keys_of_the_screen_it_opens_on():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        first = app.screen
        assert "Filter" in str(first.query_one("#help-keys").render())
        await pilot.press("escape", "e")  # the rejected-rows table: sort keys, no panel toggles
        await pilot.press("question_mark")
        assert app.screen is first
        keys = str(first.query_one("#help-keys").render())
        assert "Sort" in keys and "Show/hide" not in keys
        await pilot.press("escape", "escape", "question_mark")
        assert app.screen is first and "Sort" not in str(first.query_one("#help-keys").render())


async def test_closed_screens_and_footer_keys_are_released():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        panels = [app.main.query_one(SourcesPanel), app.main.query_one("#metric-odr")]
        for turn in range(20):
            await open_and_close(app, pilot, "e", RejectionsScreen)
            panels[turn % 2].focus()  # footer rebuilt: "Rejected rows" <-> "Details"
            await pilot.pause()
        await pilot.pause()
        assert removed_widgets() == []  # every footer key it replaced is gone, with its render caches


async def test_a_live_dashboard_moves_its_widgets_out_of_the_collectors_way_until_it_exits():
    assert gc.get_freeze_count() == 0
    app = example_app(live=True, refresh=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert app.main.query("#metric-odr")  # drawn from data, then frozen
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


async def test_a_key_asks_ingest_to_give_way_as_it_arrives_before_the_app_handles_it():
    data = example_data()
    noted: list[bool] = []
    app = example_app(data=data)
    data.note_input = lambda: noted.append(app.paused)  # what the app had done when asked
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.post_message(events.Key("p", "p"))  # as the terminal driver delivers it
        assert noted == [False]  # asked at once, while the key still waits in the queue
        await pilot.pause()
        assert app.paused


async def test_panels_are_built_with_the_first_frame_and_data_only_fills_them():
    app = example_app()
    app.fetch = lambda: None  # no data yet: the first read happens below
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = list(app.main.query(MetricPanel))
        assert "odr" in {panel.metric_id for panel in before}
        assert app.reading is None
        app.apply(app.read(app.data.clock.now()))
        await pilot.pause()
        assert list(app.main.query(MetricPanel)) == before  # the same widgets, now with figures
        assert "%" in app.main.query_one("#metric-odr", MetricPanel).value_line.plain
