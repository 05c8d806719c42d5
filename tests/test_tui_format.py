"""The dashboard's words and graphs, without Textual: headroom, deadlines, trends, safe text, merged runs."""

from __future__ import annotations

from rich.style import Style
from sellerpulse.core.snapshot import MetricValue
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR
from sellerpulse.tui import format as fmt
from sellerpulse.tui.widgets.graph import BLOCKS, chart_rows, history_line, point_status

STYLES = {s: Style(color=c) for s, c in
          {"ok": "green", "warning": "yellow", "breach": "red", "no_data": "grey50", "info": "blue"}.items()}  # fmt: skip
MINUTE = US_PER_HOUR // 60


def metric(**kw) -> MetricValue:
    base = dict(id="odr", name="Order Defect Rate", value=0.0, numerator=0, denominator=150, target="0.01",
                warn="0.0075", direction="below", status="ok", headroom=1, window_from=739500, window_to=739559,
                unit="%", bad_noun="defect", history=())  # fmt: skip
    base.update(kw)
    return MetricValue(**base)


def test_headroom_in_words():
    # METRICS.md: ODR with 150 orders and 0 defects has headroom 1
    assert fmt.headroom(metric()) == "1 more defect allowed"
    assert fmt.headroom(metric(headroom=2)) == "2 more defects allowed"
    assert fmt.headroom(metric(headroom=0, numerator=1, value=1 / 150)) == "no more defects allowed"
    # 5 defects of 150 against < 1 %: 1 allowed (ceil(1.5) - 1), so 4 too many
    assert (
        fmt.headroom(metric(status="breach", numerator=5, value=5 / 150, headroom=0)) == "over by 4 defects"
    )
    # above: 100 shipments, 93 tracked, target 0.95 -> 5 untracked allowed, 7 untracked
    vtr = metric(direction="above", target="0.95", numerator=93, denominator=100, status="breach",
                 bad_noun="shipment without tracking")  # fmt: skip
    assert fmt.headroom(vtr) == "over by 2 shipments without tracking"
    assert fmt.headroom(metric(status="no_data", value=None, denominator=0, headroom=None)).startswith(
        "no orders"
    )
    count = metric(direction="at_most", unit="count", value=3, numerator=3, denominator=None, target="0",
                   bad_noun="violation")  # fmt: skip
    assert fmt.headroom(count) == "3 open violations"


def test_plural_of_profile_nouns():
    assert fmt.plural("late reply", 2) == "late replies"
    assert fmt.plural("negative feedback", 3) == "negative feedback ratings"
    assert fmt.plural("feedback below 4 stars", 2) == "feedback ratings below 4 stars"
    assert fmt.plural("dissatisfied return", 1) == "dissatisfied return"


def test_values_targets_and_trend():
    m = metric(value=0.0045, history=(0.0043,))
    assert fmt.metric_value(m) == "0.45 %"
    assert fmt.target(m) == "< 1.00 %"
    assert fmt.target(metric(direction="above", target="0.95"), ascii_only=True) == ">= 95.00 %"
    assert fmt.trend(m) == ("▲ 0.02 pp", "worse")
    assert fmt.trend(metric(value=0.0043, history=(0.0043,))) == ("═ same", "same")
    assert fmt.trend(metric(direction="above", value=0.97, history=(0.96,)), ascii_only=True) == (
        "+1.00 pp",
        "better",
    )
    assert fmt.trend(metric(value=None))[0] == ""
    assert fmt.metric_value(metric(unit="h", value=3.25)) == "3.2 h"


def test_deadlines_in_words():
    at = 1_000 * US_PER_DAY
    assert fmt.time_left("messages_awaiting_reply", at + 72 * MINUTE, at) == "reply due in 1 h 12 m"
    assert (
        fmt.time_left("messages_awaiting_reply", at + 72 * MINUTE, at, count=3) == "replies due in 1 h 12 m"
    )
    assert (
        fmt.time_left("orders_to_ship", at - 2 * US_PER_DAY - 5 * US_PER_HOUR, at)
        == "shipment overdue 2 d 5 h"
    )
    assert fmt.duration(30 * 1_000_000) == "< 1 m"


def test_untrusted_text_is_made_visible_not_active():
    assert fmt.clean("[red]x[/red]") == "[red]x[/red]"
    assert fmt.clean("a\x1b[2Jb\r\nc\x9b") == "a\\x1b[2Jb\\x0d\\x0ac\\x9b"
    assert fmt.clean("evil\u202egnp.exe") == "evil\\u202egnp.exe"


def test_history_line_merges_runs_of_one_colour():
    values = [0.002, 0.003, 0.004, 0.008, 0.009, 0.012, 0.013, None, 0.002]
    line = history_line(values, "0.01", "0.0075", "below", STYLES)
    assert len(line.plain) == len(values)
    statuses = [point_status(v, "0.01", "0.0075", "below") for v in values]
    assert statuses == ["ok"] * 3 + ["warning"] * 2 + ["breach"] * 2 + ["no_data", "ok"]
    assert len(line.spans) == 5  # one span per run, not one per cell
    assert [line.plain[s.start : s.end] for s in line.spans][2] == line.plain[5:7]


def test_ascii_graphs_use_no_block_characters():
    values = [0.96, 0.97, 0.99, None, 0.94]
    line = history_line(values, "0.95", "0.96", "above", STYLES, ascii_only=True)
    assert all(ord(ch) < 128 for ch in line.plain)
    rows, lo, hi = chart_rows(
        values, "0.95", "0.96", "above", STYLES, height=4, column_width=2, ascii_only=True
    )
    assert len(rows) == 4 and all(len(r.plain) == 10 for r in rows)
    assert all(ord(ch) < 128 for r in rows for ch in r.plain)
    assert lo <= 0.94 and hi >= 0.99
    blocks, _, _ = chart_rows(values, "0.95", "0.96", "above", STYLES, height=4)
    assert any(ch in BLOCKS for r in blocks for ch in r.plain.strip())


def test_graphs_are_scaled_to_where_the_values_move():
    # a feedback score between 97 % and 99 %, target at least 90 % (far below): not solid blocks from 0 %
    values = [0.97, 0.975, 0.98, 0.985, 0.99]
    line = history_line(values, "0.9", None, "above", STYLES)
    assert line.plain == "▁▃▅▆█"  # levels 0, 1.75, 3.5, 5.25, 7 of 0..7, rounded half to even
    rows, lo, hi = chart_rows(values, "0.9", None, "above", STYLES, height=4)
    assert (lo, hi) == (0.97, 0.99)
    assert rows[0].plain == "    █"  # only the best day reaches the top row
    # a target within the values' spread stays in view: how near it is shows
    _, lo, hi = chart_rows([0.004, 0.006, 0.008], "0.01", None, "below", STYLES)
    assert (lo, hi) == (0.004, 0.01)
    # a flat line is drawn mid-height, not as a full or empty bar
    assert history_line([0.98, 0.98, 0.98], None, None, None, STYLES).plain == "▅▅▅"  # level 3.5 of 0..7


def test_a_flat_line_is_drawn_against_its_target():
    # no defects for 5 days: at the bottom, the target above it (not a mid-height line that looks like some)
    assert history_line([0.0] * 5, "0.01", None, "below", STYLES).plain == "▁▁▁▁▁"
    assert history_line([1.0] * 5, "0.9", None, "above", STYLES).plain == "█████"
