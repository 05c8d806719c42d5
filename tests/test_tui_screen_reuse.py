"""Details screens are built once and shown again: opening them hundreds of times leaves the process
as large as it was (every object kept alive is one more for each garbage collection to walk, and
under load a collection walking a few hundred thousand paused the dashboard mid key press).

Counted with the public picture only: our own screen classes, Textual widgets that are no longer in
the DOM, and the interpreter's total of gc-tracked objects."""

from __future__ import annotations

import gc

from sellerpulse.tui.screens.account_picker import AccountPicker
from sellerpulse.tui.screens.alerts import AlertsScreen
from sellerpulse.tui.screens.customer_service import CustomerServiceScreen
from sellerpulse.tui.screens.drilldown import MetricDetails, QueueDetails
from sellerpulse.tui.screens.help import HelpScreen
from sellerpulse.tui.screens.plan import PlanScreen
from sellerpulse.tui.screens.rejections import RejectionsScreen
from sellerpulse.tui.widgets.metric_panel import MetricPanel
from sellerpulse.tui.widgets.queues_panel import QueueBlock
from textual.widget import Widget
from textual.widgets import DataTable
from tui_fixtures import example_app

SIZE = (120, 40)
SCREENS = (RejectionsScreen, MetricDetails, QueueDetails, PlanScreen, CustomerServiceScreen, AccountPicker,
           AlertsScreen, HelpScreen)  # fmt: skip


def alive(kind: type) -> list:
    gc.collect()
    return [thing for thing in gc.get_objects() if isinstance(thing, kind)]


async def visit_every_screen(app, pilot) -> None:
    """Open and close each details screen as an operator does, on two metrics and two queues."""
    main = app.main
    for panel_id in ("#metric-odr", "#metric-lsr_10d"):
        main.query_one(panel_id, MetricPanel).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, MetricDetails)
        await pilot.press("escape")
    # the plan of one metric: a plan of another is a new Markdown document, whose blocks Textual's
    # Markdown widget builds anew (their render caches then stay until Textual's cache bound)
    main.query_one("#metric-odr", MetricPanel).focus()
    await pilot.press("enter", "o")
    assert isinstance(app.screen, PlanScreen)
    await pilot.press("escape", "escape")
    for block in list(main.query(QueueBlock))[:2]:
        block.focus()
        await pilot.press("enter")
        assert isinstance(app.screen, QueueDetails)
        await pilot.press("escape")
    for key, kind in (("e", RejectionsScreen), ("c", CustomerServiceScreen), ("a", AccountPicker),
                      ("l", AlertsScreen), ("question_mark", HelpScreen)):  # fmt: skip
        await pilot.press(key)
        assert isinstance(app.screen, kind)
        await pilot.press("escape")
    assert app.screen is app.main
    await pilot.pause()


async def test_screens_opened_hundreds_of_times_leave_the_process_as_large_as_it_was():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await visit_every_screen(app, pilot)  # the first visit builds each screen
        screens = {kind: alive(kind) for kind in SCREENS}
        assert all(len(found) == 1 for found in screens.values()), screens
        gc.collect()
        before = len(gc.get_objects())
        for _ in range(8):  # 8 x 16 screens opened and closed
            await visit_every_screen(app, pilot)
        assert {kind: alive(kind) for kind in SCREENS} == screens  # the very same screens, no more
        assert [w for w in alive(Widget) if not w.is_attached] == []  # nothing removed is kept
        gc.collect()
        grown = len(gc.get_objects()) - before
        # ~700 here; building each screen anew kept ~4,800 more (Textual's render caches of the
        # closed widgets), whether for 8 rounds or 15: they fill to the caches' bound, then stay
        assert grown < 2_000, grown


async def test_a_screen_shown_again_shows_the_new_metric_from_the_start():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.query_one("#metric-odr", MetricPanel).focus()
        await pilot.press("enter", "slash", "x", "y", "z", "enter", "s")  # filtered to nothing, sorted
        details = app.screen
        assert details.filter_text == "xyz" and details.query_one(DataTable).row_count == 0
        await pilot.press("escape", "escape")
        app.main.query_one("#metric-lsr_10d", MetricPanel).focus()
        await pilot.press("enter")
        assert app.screen is details
        assert "lsr_10d" in str(details.query_one(".title").render())
        assert details.filter_text == "" and not details.query_one("#table-filter").display
        assert (details.sort_column, details.sort_reverse) == (1, True)  # newest day first again
        assert details.query_one(DataTable).row_count == len(details.rows) > 0


async def test_the_screens_the_app_opens_are_told_to_draw_in_ascii():
    app = example_app(ascii_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.query_one("#metric-odr", MetricPanel).focus()
        await pilot.press("enter")
        title = str(app.screen.query_one(".title").render())
        assert "odr" in title and "·" not in title
        await pilot.press("o")
        assert "·" not in str(app.screen.query_one(".plan-title").render())
