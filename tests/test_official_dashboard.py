"""Amazon's numbers beside ours on the dashboard (Textual Pilot and one snapshot): a panel's one line while
they differ, the drill-down's figures and explanation, and the runtime's records reaching the data object.

The worked example (``examples/small-events.csv``, acme-us in Europe/Berlin as of 2026-10-15T09:00Z) has,
by ``shared/examples/small-expected.json``: ODR 3/89 over 2026-08-03..2026-10-01 (1 A-to-z claim, 0
chargebacks, 2 negative feedback) and PFCR 0/7 over 2026-10-09..2026-10-15. Amazon's report below says
2 defects of 90 orders for the same ODR days, and the same PFCR.
"""

from __future__ import annotations

from official_fixtures import US, dates, odr, report
from sellerpulse.core.engine import Engine
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.runtime import Runtime
from sellerpulse.tui.data import EngineData, RuntimeData
from sellerpulse.tui.widgets.line import Line
from sellerpulse.tui.widgets.metric_panel import MetricPanel
from test_official_state import ReportFiles
from tui_fixtures import AT, example_app, example_data


def amazon_document() -> dict:
    item = {
        "marketplaceId": US,
        "orderDefectRate": {"mfn": odr(90, 1, 0, 1, "2026-08-03", "2026-10-01")},
        "preFulfillmentCancellationRate": {
            "reportingDateRange": dates("2026-10-09", "2026-10-15"),
            "orderCount": 7,
            "cancellationCount": 0,
            "rate": 0.0,
        },
    }
    return report(item)


def app_with_amazon():
    data = example_data()
    parsed = parse_account_health(amazon_document(), "acme-us")
    assert parsed.rejections == []
    with_records = EngineData(
        data.engine, data.clock, health=data.health(), account_health=lambda: parsed.records
    )
    return example_app(data=with_records)


async def test_a_panel_says_so_in_one_line_while_amazons_figure_differs():
    app = app_with_amazon()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        odr_panel = app.screen.query_one("#metric-odr", MetricPanel)
        assert odr_panel.amazon_line.display
        # 2/90 = 2.22 %; ours 3/89 = 3.37 %; 3/89 - 0.0222 = +1.15 pp
        assert odr_panel.amazon_line.plain == "Amazon 2.22 %, ours 3.37 % (+1.15 pp)"
        assert not app.screen.query_one("#metric-pfcr", MetricPanel).amazon_line.display  # the same
        assert not app.screen.query_one("#metric-lsr_30d", MetricPanel).amazon_line.display  # not reported


async def test_the_drilldown_shows_both_figures_and_what_could_explain_the_difference():
    app = app_with_amazon()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#metric-odr", MetricPanel).focus()
        await pilot.press("enter")
        await pilot.pause()
        box = app.screen.query_one(".amazon")
        assert box.display
        shown = [line.plain for line in app.screen.query(".amazon-line").results(Line) if line.display]
        assert shown == [
            f"Amazon 2.22 %  2/90  2026-08-03..2026-10-01  {US}",
            "ours   3.37 %  3/89  same days  +1.15 pp  differs",
            "- orders: Amazon 90, ours 89 (1 fewer here)",
            "- defects: Amazon 2, ours 3 (1 more here)",
            "- A-to-z claims: Amazon 1, ours 1 (the same)",
            "- chargebacks: Amazon 0, ours 0 (the same)",
            "- negative feedback: Amazon 1, ours 2 (1 more here)",
            "- days in Europe/Berlin here, UTC at Amazon: orders near midnight at either end may differ",
        ]


async def test_a_metric_amazon_does_not_report_has_no_amazon_box():
    app = app_with_amazon()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.screen.query_one("#metric-lsr_30d", MetricPanel).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not app.screen.query_one(".amazon").display


def test_the_runtimes_latest_records_reach_the_dashboards_data():
    runtime = Runtime(Engine(), [ReportFiles([("acme-us", amazon_document())])])
    runtime.run_once()
    found = RuntimeData(runtime).account_health(AT)
    assert [(c.account, c.theirs.key, c.metric_id, c.verdict) for c in found] == [
        ("acme-us", "odr_mfn", "odr", "differs"),
        ("acme-us", "pfcr", "pfcr", "differs"),
    ]
    assert found[0].explanation[-1] == "we hold no events of account acme-us in Amazon's range " + (
        "2026-08-03T00:00:00Z..2026-10-01T23:59:00Z"
    )


def test_drilldown_with_amazons_numbers(snap_compare):
    async def open_odr(pilot):
        await pilot.pause()
        await pilot.press("enter")  # the ODR panel has the focus first
        await pilot.pause()

    assert snap_compare(app_with_amazon(), terminal_size=(110, 44), run_before=open_odr)
