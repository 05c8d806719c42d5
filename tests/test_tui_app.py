"""The dashboard driven headless with Textual's Pilot: every key, screen, drill-down and safety rule.

Data is the worked example (``examples/small-events.csv``) in the real engine as of a fixed instant;
expected figures come from ``examples/small-expected.json`` (worked out from the contract by hand).
"""

from __future__ import annotations

import json

import pytest
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.sources import SourceHealth
from sellerpulse.core.timeutil import US_PER_HOUR
from sellerpulse.tui.screens.account_picker import AccountPicker
from sellerpulse.tui.screens.drilldown import MetricDetails, QueueDetails
from sellerpulse.tui.screens.help import HelpScreen
from sellerpulse.tui.screens.rejections import RejectionsScreen
from sellerpulse.tui.widgets.header import HeaderLine
from sellerpulse.tui.widgets.line import Line
from sellerpulse.tui.widgets.metric_panel import MetricPanel
from sellerpulse.tui.widgets.queues_panel import QueueBlock
from sellerpulse.tui.widgets.sources_panel import SourcesPanel
from textual.command import CommandPalette
from textual.widgets import DataTable
from tui_fixtures import (
    AT,
    EXAMPLES,
    HOSTILE_ORDER,
    HOSTILE_REF,
    SOURCE,
    example_app,
    example_data,
    hostile_events,
)

EXPECTED = json.loads((EXAMPLES / "small-expected.json").read_text())["accounts"]
SIZE = (100, 30)


def header(app) -> str:
    return app.main.query_one(HeaderLine).plain


def panel(app, metric_id: str) -> MetricPanel:
    return app.main.query_one(f"#metric-{metric_id}", MetricPanel)


def lines(widget) -> list[str]:
    return [line.plain for line in widget.query(Line)]


def table_rows(screen) -> list[list[str]]:
    table = screen.query_one(DataTable)
    return [[cell.plain for cell in table.get_row_at(n)] for n in range(table.row_count)]


async def test_main_screen_has_a_panel_per_metric_with_the_contract_figures():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "acme-us" in header(app) and "1/2" in header(app)
        metrics = EXPECTED["acme-us"]["metrics"]
        components = {"negative_feedback_rate", "a_to_z_rate", "chargeback_rate"}
        shown = {p.metric_id for p in app.main.query(MetricPanel)}
        assert shown == set(builtin_profile("amazon").metrics) - components
        assert set(metrics) - components <= shown
        odr = panel(app, "odr")
        text = "\n".join(lines(odr))
        expected = metrics["odr"]
        assert f"{expected['numerator']}/{expected['denominator']}" in text
        assert f"{expected['value'] * 100:.2f} %" in text
        assert "target < 1.00 %" in text
        assert "over by 3 defects" in text  # 3/89 with ceil(0.89) - 1 = 0 allowed
        assert odr.has_class("-breach")
        assert odr.border_subtitle == "08-03..10-01"
        for cid, name in [("negative_feedback_rate", "Negative feedback"), ("a_to_z_rate", "A-to-z claims"),
                          ("chargeback_rate", "Chargebacks")]:  # fmt: skip
            line = odr.component_lines[cid].plain
            assert name in line and f"{metrics[cid]['value'] * 100:.2f} %" in line
        # every panel carries a 30-day history line
        assert len(odr.graph_line.plain) == 30


async def test_queues_show_counts_overdue_and_time_left():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        expected = EXPECTED["acme-us"]["queues"]["orders_to_ship"]
        head = app.main.query_one("#queue-orders_to_ship", QueueBlock).head_line.plain
        assert f"{expected['count']}" in head and f"{expected['overdue']} overdue" in head
        items = [line.plain for line in app.main.query_one("#queue-orders_to_ship", QueueBlock).item_lines]
        assert any("shipment overdue " in item for item in items)
        assert "all clear" in app.main.query_one("#queue-messages_awaiting_reply", QueueBlock).head_line.plain


async def test_account_picker_switches_account():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        assert isinstance(app.screen, AccountPicker)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.screen is app.main
        assert "bolt-eu" in header(app) and "2/2" in header(app)
        expected = EXPECTED["bolt-eu"]["metrics"]["odr"]
        assert f"{expected['numerator']}/{expected['denominator']}" in panel(app, "odr").ratio_line.plain
        await pilot.press("a", "escape")
        assert app.screen is app.main and app.account == "bolt-eu"


async def test_help_lists_live_bindings_and_closes():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            assert isinstance(app.screen, HelpScreen)
            ids = {row[2] for row in app.screen.rows}
            assert {"help", "quit", "pause", "faster", "slower", "refresh", "account", "filter",
                    "rejections", "details", "panel-1", "panel-8", "focus-next", "palette"} <= ids  # fmt: skip
            await pilot.press("escape")
            assert app.screen is app.main


async def test_help_fits_80x24_and_scrolls():
    app = example_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        box = app.screen.query_one("#help-box")
        assert box.region.width <= 80 and box.region.height <= 24
        assert box.max_scroll_y > 0  # the legend is below the fold: reachable by scrolling
        await pilot.press("q")
        assert app.screen is app.main


async def test_quit():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert not app.is_running


async def test_refresh_now_pause_and_resume():
    data = example_data()
    app = example_app(data=data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        block = app.main.query_one("#queue-messages_awaiting_reply", QueueBlock)
        assert "all clear" in block.head_line.plain
        data.engine.ingest([_message("m-new-1", "AC-NEW-1")])
        await pilot.press("p")
        assert "PAUSED" in header(app)
        app.tick()  # a timer tick while paused changes nothing
        await pilot.pause()
        assert "all clear" in block.head_line.plain
        await pilot.press("p")  # resuming reads at once
        await pilot.pause()
        assert "PAUSED" not in header(app)
        assert block.head_line.plain.endswith(" 1") and "AC-NEW-1" in block.item_lines[0].plain
        data.engine.ingest([_message("m-new-2", "AC-NEW-2")])
        await pilot.press("r")
        await pilot.pause()
        assert "    2" in block.head_line.plain


async def test_time_moves_queue_deadlines():
    data = example_data(extra=[_message_fields("m-clock", "AC-CLOCK")])
    app = example_app(data=data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        block = app.main.query_one("#queue-messages_awaiting_reply", QueueBlock)
        assert "reply due in 23 h" in block.item_lines[0].plain
        data.clock.advance(2 * US_PER_HOUR)
        await pilot.press("r")
        assert "reply due in 21 h" in block.item_lines[0].plain


async def test_faster_and_slower_refresh_with_a_floor():
    app = example_app(refresh=2.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("plus")
        assert app.refresh_interval == 1.0
        await pilot.press("plus", "plus", "plus")
        assert app.refresh_interval == 0.5
        assert "every 0.5 s" in header(app)
        await pilot.press("minus", "minus")
        assert app.refresh_interval == 2.0


async def test_live_timer_follows_the_refresh_interval():
    app = example_app(refresh=0.1)  # below the floor
    app.live = True
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.refresh_interval == 0.5
        assert app._timer is not None and app._timer._interval == 0.5
        await pilot.press("minus")
        assert app._timer._interval == 1.0


async def test_digits_toggle_panels():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        odr = panel(app, "odr")
        await pilot.press("1")
        assert not odr.display and not panel(app, "odr_afn").display
        assert panel(app, "pfcr").display
        await pilot.press("1")
        assert odr.display
        queues = app.main.query_one("#queues")
        await pilot.press("6")
        assert not queues.display
        await pilot.press("6")
        assert queues.display


async def test_tab_moves_focus_and_enter_opens_metric_details():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.focused is panel(app, "odr")
        await pilot.press("tab")
        assert app.focused is panel(app, "odr_recent")
        await pilot.press("shift+tab", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MetricDetails) and screen.metric_id == "odr"
        rows = table_rows(screen)
        assert len(rows) == EXPECTED["acme-us"]["metrics"]["odr"]["numerator"]
        for order_id, day, reason, when in rows:
            assert order_id and reason and when
            assert "2026-08-03" <= day <= "2026-10-01"  # inside the ODR window
        assert all(len(line.plain) > 10 for line in screen.query(".chart-row").results(Line))
        await pilot.press("escape")
        assert app.screen is app.main


async def test_drilldown_sorts_and_filters():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_metric("odr")
        await pilot.pause()
        screen = app.screen
        days = [row[1] for row in table_rows(screen)]
        assert days == sorted(days, reverse=True)  # newest first by default
        await pilot.press("S")
        assert [row[1] for row in table_rows(screen)] == sorted(days)
        await pilot.press("s", "s", "s")  # day -> reason -> when -> order
        ids = [row[0] for row in table_rows(screen)]
        assert ids == sorted(ids)
        target = ids[1]
        await pilot.press("slash", *target)
        await pilot.pause()
        assert [row[0] for row in table_rows(screen)] == [target]
        await pilot.press("escape")  # clears the filter first
        assert len(table_rows(screen)) == len(ids)
        await pilot.press("escape")
        assert app.screen is app.main


async def test_enter_on_a_queue_lists_it_all():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.main.query_one("#queue-orders_to_ship", QueueBlock).focus()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QueueDetails)
        rows = table_rows(screen)
        expected = EXPECTED["acme-us"]["queues"]["orders_to_ship"]
        assert len(rows) == expected["count"]
        assert sum("overdue" in row[4] for row in rows) == expected["overdue"]
        deadlines = [row[3] for row in rows]
        assert deadlines == sorted(deadlines)


async def test_main_filter_hides_panels_that_do_not_match():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"late ship")
        await pilot.pause()
        visible = {p.metric_id for p in app.main.query(MetricPanel) if p.display}
        assert visible == {"lsr_10d", "lsr_30d"}
        await pilot.press("escape")
        await pilot.pause()
        assert all(p.display for p in app.main.query(MetricPanel))


async def test_rejected_rows_with_reasons():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "10 rejected" in "\n".join(lines(app.main.query_one(SourcesPanel)))
        await pilot.press("e")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RejectionsScreen)
        rows = table_rows(screen)
        assert len(rows) == 10
        assert all(row[0] == SOURCE and row[2] for row in rows)
        await pilot.press("escape")
        assert app.screen is app.main


async def test_failing_source_is_shown_failing_with_its_error_as_plain_text():
    error = "ConnectionError: [bold red]refused[/] \x1b[2J\x1b]8;;http://x\x07"
    health = {"sp-api": SourceHealth("failing", last_error=error), SOURCE: SourceHealth("ok", events=5)}
    app = example_app(data=example_data(health=health))
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        assert "sp-api failing" in header(app)
        text = "\n".join(lines(app.main.query_one(SourcesPanel)))
        assert "sp-api failing" in text
        assert "[bold red]refused[/] \\x1b[2J\\x1b]8;;http://x\\x07" in text
        assert "\x1b" not in text


async def test_markup_and_escapes_in_data_appear_literally():
    app = example_app(data=example_data(extra=hostile_events()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        block = app.main.query_one("#queue-messages_awaiting_reply", QueueBlock)
        shown = block.item_lines[0].plain
        assert "[red]PWN[/red]\\x1b[2J" in shown
        assert "\x1b" not in shown
        # the rendered segments carry no link or colour taken from the data
        for segment in block.item_lines[0].render().render(app.console):
            assert "evil.example" not in str(segment.style or "")
        block.focus()
        await pilot.press("enter")
        await pilot.pause()
        rows = table_rows(app.screen)
        assert rows[0][0] == HOSTILE_ORDER.replace("\x1b", "\\x1b")
        assert rows[0][1] == HOSTILE_REF


async def test_remapped_keys_from_the_config_keymap():
    app = example_app(keymap={"pause": "z", "help": "h", "account": "ctrl+k"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p")
        assert not app.paused
        await pilot.press("z")
        assert app.paused
        await pilot.press("h")
        assert isinstance(app.screen, HelpScreen)
        keys = {row[2]: row[0] for row in app.screen.rows}
        assert keys["pause"] == "z" and keys["help"] == "h"
        await pilot.press("escape", "ctrl+k")
        assert isinstance(app.screen, AccountPicker)


async def test_command_palette_opens():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_threaded_reads_reach_the_screen():
    app = example_app(threaded=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "3/89" in panel(app, "odr").ratio_line.plain


async def test_equal_snapshots_redraw_nothing(monkeypatch):
    data = example_data()
    app = example_app(data=data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        repaints: list[Line] = []
        original = Line.refresh

        def counting(self, *args, **kwargs):
            repaints.append(self)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(Line, "refresh", counting)
        await pilot.press("r")
        assert repaints == []
        data.engine.ingest([_message("m-one", "AC-ONE")])
        await pilot.press("r")
        changed = {id(line) for line in repaints}
        block = app.main.query_one("#queue-messages_awaiting_reply", QueueBlock)
        assert id(block.head_line) in changed
        assert id(panel(app, "odr").value_line) not in changed  # a message changes no order metric


@pytest.mark.parametrize("ascii_only", [True, False])
async def test_ascii_mode_draws_without_block_characters(ascii_only):
    app = example_app(ascii_only=ascii_only)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        graph = panel(app, "odr").graph_line.plain
        has_blocks = any(ch in graph for ch in "▁▂▃▄▅▆▇█")
        assert has_blocks != ascii_only
        if ascii_only:
            assert all(ord(ch) < 128 for ch in header(app))


def _message_fields(ref: str, order_id: str) -> dict:
    return {"ts": "2026-10-15T08:00:00Z", "kind": "message_received", "order_id": order_id, "ref": ref,
            "account": "acme-us"}  # fmt: skip


def _message(ref: str, order_id: str):
    from sellerpulse.core.events import parse_event

    return parse_event(_message_fields(ref, order_id))


assert AT  # the fixed instant the fixtures use


async def test_alert_feed_shows_firing_alerts_first_and_the_alerts_screen_their_text():
    states = [
        {"rule": "odr-breach", "labels": {"account": "acme-us"}, "state": "firing",
         "since": "2026-10-15T08:30:00Z", "summary": "ODR 3.37 % [b]breach[/b]"},
        {"rule": "lsr-warning", "labels": {"account": "acme-us"}, "state": "pending",
         "since": "2026-10-15T08:45:00Z", "summary": "LSR 15.38 %"},
        {"rule": "quiet", "labels": {"account": "acme-us"}, "state": "ok", "since": "2026-10-15T08:50:00Z",
         "summary": ""},
    ]  # fmt: skip
    data = example_data()
    data._alerts = lambda: states
    app = example_app(data=data)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        feed = [line for line in lines(app.main.query_one("#alerts")) if line]
        assert len(feed) == 2  # the rule with nothing to say stays out
        assert feed[0] == "10:30 firing odr-breach acme-us"  # Berlin time, firing before the newer pending
        assert feed[1] == "10:45 pending lsr-warning acme-us"
        await pilot.press("l")
        await pilot.pause()
        text = str(app.screen.query_one("#alert-text").render())
        assert text == "odr-breach acme-us: ODR 3.37 % [b]breach[/b]"  # the text as sent, never markup


async def test_no_alert_feed_shows_no_alerts():
    app = example_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [line for line in lines(app.main.query_one("#alerts")) if line] == ["no alerts"]


async def test_keys_answer_while_the_engine_is_busy():
    """A snapshot that waits for the engine's lock (a backfill holding it) must not block the keys."""
    import threading

    data = example_data()
    held = threading.Lock()
    data._lock = held  # the same lock the runtime holds while it ingests a batch
    app = example_app(data=data, threaded=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        held.acquire()
        try:
            await pilot.press("r")  # this read now waits for the lock on its worker thread
            await pilot.press("f1")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape", "p")
            assert app.paused and app.screen is app.main
        finally:
            held.release()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "3/89" in panel(app, "odr").ratio_line.plain


async def test_closing_details_before_their_rows_arrive_is_harmless():
    import threading

    data = example_data()
    held = threading.Lock()
    data._lock = held
    app = example_app(data=data, threaded=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        with held:
            await pilot.press("enter")  # the drill-down's rows wait for the engine
            await pilot.pause()
            assert isinstance(app.screen, MetricDetails)
            await pilot.press("escape")
            assert app.screen is app.main
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.screen is app.main


async def test_metric_names_from_a_profile_are_not_markup():
    from sellerpulse.core.engine import Engine
    from sellerpulse.tui.data import EngineData

    base = builtin_profile("amazon")
    odd = base.with_overrides({"metrics": {"pfcr": {"name": "Cancel [b]rate[/b] [link=https://x.example]"}}})
    data = example_data()
    engine = Engine(profile=odd, timezone="Europe/Berlin")
    engine.account("acme-us")  # an account with no events yet: every panel, no data
    app = example_app(data=EngineData(engine, data.clock))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = panel(app, "pfcr").border_title
        assert shown is not None and shown == "Cancel \\[b]rate\\[/b] \\[link=https://x.example]"


async def test_the_main_filter_shows_what_is_typed_above_the_panels():
    app = example_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"late")
        await pilot.pause()
        bar = app.main.query_one("#filter-bar")
        assert bar.display and bar.region.height == 1
        assert bar.region.y == 1  # right under the header, above the panels, not under the footer
        assert "late" in "".join(segment.text for segment in bar.render_line(0))
        assert app.screen.get_widget_at(10, 1)[0] is bar  # drawn there, nothing over it
        app.open_metric("odr")
        await pilot.pause()
        await pilot.press("slash")
        assert type(app.screen.query_one("#table-filter")) is type(bar)  # one filter widget for both


async def test_hiding_every_group_leaves_a_hint_not_a_blank_screen():
    app = example_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        hint = app.main.query_one("#all-hidden")
        assert not hint.display
        await pilot.press(*"12345678")
        await pilot.pause()
        assert hint.display and hint.region.height >= 1
        assert hint.plain == "every panel is hidden: 1-8 show a group again"
        await pilot.press("1")
        await pilot.pause()
        assert not hint.display


async def test_a_filter_that_matches_nothing_says_so():
    app = example_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"zzz")
        await pilot.pause()
        assert app.main.query_one("#all-hidden").plain == "no panel matches 'zzz': esc clears the filter"


async def test_the_palette_offers_the_weekly_view_the_filter_and_details():
    from sellerpulse.tui.screens.customer_service import CustomerServiceScreen

    app = example_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert {"Customer-service view", "Filter", "Details", "Alerts"} <= set(titles)
        await pilot.press("ctrl+p", *"Customer-service view")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CustomerServiceScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p", *"Details")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert isinstance(app.screen, MetricDetails)  # the focused panel's: the first metric's


async def test_the_queue_drilldown_counts_its_rows_and_follows_each_refresh():
    from sellerpulse.core.events import parse_event

    app = example_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.open_queue("orders_to_ship")
        await pilot.pause()
        screen = app.screen
        rows = table_rows(screen)
        overdue = sum(row[4].startswith("overdue ") for row in rows)
        title = screen.query_one(".title").plain
        assert f"  {len(rows)} open  {overdue} overdue" in title
        assert all(row[4].startswith(("overdue ", "in ")) for row in rows)  # short: no cut words
        app.data.engine.apply(parse_event({
            "ts": "2026-10-15T06:00:00Z", "kind": "order_placed", "order_id": "NEW-1", "account": "acme-us",
            "ship_by": "2026-10-15T08:00:00Z",
        }))  # fmt: skip
        app.fetch()  # a refresh of the dashboard, no key pressed on the drill-down
        await pilot.pause()
        after = table_rows(screen)
        assert len(after) == len(rows) + 1 and any(row[0] == "NEW-1" for row in after)
        assert f"  {len(after)} open  {overdue + 1} overdue" in screen.query_one(".title").plain


def screen_text(app) -> str:
    """Every character on the terminal, from the app's own SVG screenshot."""
    import html
    import re

    svg = app.export_screenshot()
    text = "".join(html.unescape(t) for t in re.findall(r"<text [^>]*>(.*?)</text>", svg))
    return text.replace("\xa0", " ")  # the SVG writes spaces as no-break spaces


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_ascii_draws_every_cell_in_ascii(size):
    app = example_app(ascii_only=True)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        assert "Order Defect Rate" in shown and "Help" in shown
        assert sorted({ch for ch in shown if not ch.isascii()}) == []  # borders, footer, scrollbars
        await pilot.press("down")  # a focused panel (another border) and a moved scrollbar
        await pilot.pause()
        assert screen_text(app).isascii()
        app.open_metric("odr")
        await pilot.pause()
        assert screen_text(app).isascii()


@pytest.mark.parametrize("ascii_only", [False, True])
async def test_the_footer_fits_80_columns_on_the_main_screen_and_the_drilldown(ascii_only):
    def keys_fit() -> bool:
        keys = list(app.screen.query("FooterKey"))  # by its CSS name: Textual exports no such class
        palette = [k for k in keys if k.has_class("-command-palette")]
        others = [k for k in keys if not k.has_class("-command-palette")]
        assert palette and others
        return max(k.region.right for k in others) <= palette[0].region.x

    app = example_app(ascii_only=ascii_only)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert keys_fit()
        app.open_metric("odr")
        await pilot.pause()
        assert keys_fit()


def cut_lines(screen) -> list[str]:
    """The one-row lines of ``screen`` whose text is longer than the row they are drawn in."""
    from sellerpulse.tui.widgets.line import Line

    return [
        line.plain
        for line in screen.query(Line)
        if line.display and line.region.height == 1 and len(line.plain) > line.content_region.width
    ]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_no_line_of_the_main_screen_or_the_drilldown_is_cut(size):
    app = example_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert cut_lines(app.main) == []
        headroom = app.main.query_one("#metric-vtr .headroom")
        assert headroom.plain == "2 more shipments without tracking allowed"  # the whole sentence
        app.open_metric("odr")
        await pilot.pause()
        assert cut_lines(app.screen) == []
        remedy = [line.plain for line in app.screen.query(".remedy-line") if line.display]
        assert remedy[1].startswith("- Work every defect group above") and remedy[1].endswith(
            "their own fix."
        )


async def test_80x24_answers_which_metric_is_in_trouble_and_what_is_due():
    app = example_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = app.main.query_one("#body")
        visible = [
            p.metric_id
            for p in app.main.query(MetricPanel)
            if p.display and body.region.contains_region(p.region)
        ]
        assert len(visible) >= 6, visible  # two panels fitted before: queues, alerts and sources took 13 rows
        queues = app.main.query_one("#queues")
        shown = [b.queue_id for b in queues.query(QueueBlock) if b.display]
        assert shown == ["claims_awaiting_response", "orders_to_ship"]  # what is due; the empty ones left out
        assert queues.region.height + app.main.query_one("#alerts").region.height <= 5
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        await pilot.press("home")
        await pilot.pause()
        assert body.scroll_y == 0


async def test_the_help_lists_the_scrolling_keys():
    app = example_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        keys = str(app.screen.query_one("#help-keys").render())
        assert "Scrolling" in keys
        for words in ("pgup, pgdn  scroll a page", "home, end  to the top, to the bottom"):
            assert words in keys
