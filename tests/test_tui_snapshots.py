"""Screens as SVG snapshots: the worked example, a fixed instant, no clock, no timers, no threads.

Review a changed SVG before running ``pytest --snapshot-update``: the snapshot is the spec of the layout.
"""

from __future__ import annotations

from tui_fixtures import example_app


def test_main_screen_80x24(snap_compare):
    assert snap_compare(example_app(), terminal_size=(80, 24))


def test_main_screen_120x40(snap_compare):
    assert snap_compare(example_app(), terminal_size=(120, 40))


def test_main_screen_200x50_ascii(snap_compare):
    assert snap_compare(example_app(ascii_only=True), terminal_size=(200, 50))


def test_metric_drilldown(snap_compare):
    async def open_odr(pilot):
        await pilot.pause()  # the first panel takes focus once the first snapshot created it
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(example_app(), terminal_size=(100, 30), run_before=open_odr)


def test_help_80x24(snap_compare):
    assert snap_compare(example_app(), terminal_size=(80, 24), press=["f1"])
