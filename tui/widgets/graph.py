"""Low-bandwidth history graphs: a line of level characters whose colour runs are merged.

A stock sparkline writes every cell with its own colour code and reset; over SSH that is most of the
bytes a dashboard sends. Here consecutive points of the same status share one style span, so a
30-day line of one colour costs one escape sequence, and ``ascii_only`` draws with plain ASCII for
terminals and fonts without block characters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal

from rich.style import Style
from rich.text import Text

BLOCKS = " ▁▂▃▄▅▆▇█"  # index = eighths filled
ASCII_LEVELS = "_.-~=+*#"  # one character per level in a one-line graph
NO_VALUE = {False: "·", True: " "}


def point_status(value: float | None, target: str | None, warn: str | None, direction: str | None) -> str:
    """The status a past daily value had against today's target (for colouring, floats suffice)."""
    if value is None:
        return "no_data"
    if target is None or direction is None:
        return "info"
    t = float(Decimal(target))
    w = float(Decimal(warn)) if warn is not None else None
    if direction == "above":
        if value < t:
            return "breach"
        return "warning" if w is not None and value < w else "ok"
    if direction == "below":
        if value >= t:
            return "breach"
        return "warning" if w is not None and value >= w else "ok"
    return "ok" if value <= t else "breach"


def _scale(values: Sequence[float | None], target: str | None, direction: str | None) -> tuple[float, float]:
    """The range a graph spans: where the values move, not from 0 (a feedback score between 97 % and
    99 % drawn from 0 % is a solid block). The target joins the range when it is within one spread of
    the values (or the values do not move), so a graph near its target shows how near; a flat line
    without a target sits mid-height."""
    present = [v for v in values if v is not None]
    if not present:
        return 0.0, 1.0
    lo, hi = min(present), max(present)
    if target is not None:
        level = float(Decimal(target))
        spread = hi - lo
        if not spread or lo - spread <= level <= hi + spread:
            lo, hi = min(lo, level), max(hi, level)
    if hi <= lo:
        pad = abs(lo) * 0.05 or 1.0
        lo, hi = lo - pad, hi + pad
    return lo, hi


def _merge(cells: Sequence[tuple[str, str]], styles: Mapping[str, Style]) -> Text:
    """Characters with a status each -> one Text where each run of one status is a single span."""
    text = Text(no_wrap=True, overflow="crop")
    run_chars: list[str] = []
    run_status: str | None = None
    for char, status in cells:
        if status != run_status and run_chars:
            text.append("".join(run_chars), styles.get(run_status or "", None))
            run_chars = []
        run_status = status
        run_chars.append(char)
    if run_chars:
        text.append("".join(run_chars), styles.get(run_status or "", None))
    return text


def history_line(
    values: Sequence[float | None],
    target: str | None,
    warn: str | None,
    direction: str | None,
    styles: Mapping[str, Style],
    ascii_only: bool = False,
) -> Text:
    """One character per day, its height the value and its colour the status that day."""
    lo, hi = _scale(values, target, direction)
    levels = ASCII_LEVELS if ascii_only else BLOCKS[1:]
    top = len(levels) - 1
    cells = []
    for value in values:
        if value is None:
            cells.append((NO_VALUE[ascii_only], "no_data"))
            continue
        level = round((value - lo) / (hi - lo) * top)
        cells.append((levels[max(0, min(top, level))], point_status(value, target, warn, direction)))
    return _merge(cells, styles)


def chart_rows(
    values: Sequence[float | None],
    target: str | None,
    warn: str | None,
    direction: str | None,
    styles: Mapping[str, Style],
    height: int = 6,
    column_width: int = 1,
    ascii_only: bool = False,
) -> tuple[list[Text], float, float]:
    """A bar chart ``height`` rows tall (top row first) and its scale (lo, hi), for the drill-down."""
    lo, hi = _scale(values, target, direction)
    eighths = []
    statuses = []
    for value in values:
        if value is None:
            eighths.append(0)
            statuses.append("no_data")
        else:
            eighths.append(max(1, math.ceil((value - lo) / (hi - lo) * height * 8)))
            statuses.append(point_status(value, target, warn, direction))
    rows = []
    for row in range(height):
        floor = (height - 1 - row) * 8
        cells = []
        for filled, status in zip(eighths, statuses, strict=True):
            fill = max(0, min(8, filled - floor))
            if ascii_only:
                char = "#" if fill >= 6 else ("+" if fill >= 3 else ("." if fill else " "))
            else:
                char = BLOCKS[fill]
            cells.extend([(char, status)] * column_width)
        rows.append(_merge(cells, styles))
    return rows, lo, hi
