"""The header line: account, overall status, its marketplace and seller level, the account's local clock,
sources' health, refresh.

Parts have priorities: on a narrow terminal the least important (brand, time zone name) are left out first,
so the account, its status, its level and failing sources always stay visible at 80 columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from rich.style import Style
from rich.text import Text
from sellerpulse.core.snapshot import AccountSnapshot
from sellerpulse.core.sources import SourceHealth

from .. import format as fmt
from ..level import level_status
from ..theme import SOURCE_STATUS, status_mark
from .line import Line

DIM = Style(dim=True)
BOLD = Style(bold=True)
SEP = " │ "
ASCII_SEP = " | "


def header_text(
    width: int,
    account: AccountSnapshot | None,
    accounts: int,
    position: int,
    at: int | None,
    tz: tzinfo | None,
    health: Mapping[str, SourceHealth],
    paused: bool,
    refresh: float,
    styles: Mapping[str, Style],
    ascii_only: bool = False,
) -> Text:
    """One line of at most ``width`` cells; ``at`` None leaves the clock out (snapshot tests)."""
    parts: list[tuple[int, Text]] = []  # (priority: lower is kept longer, text) in display order

    def part(priority: int, *pieces: tuple[str, Style | None]) -> None:
        text = Text()
        for words, style in pieces:
            text.append(words, style)
        parts.append((priority, text))

    part(6, ("sellerpulse", BOLD))
    if account is None:
        part(0, ("waiting for data", DIM))
    else:
        part(0, (fmt.clean(account.account), BOLD), (f" {position}/{accounts}" if accounts > 1 else "", DIM))
        part(2, (fmt.clean(account.marketplace or account.profile), DIM))
        counts: dict[str, int] = {}
        for metric in account.metrics.values():
            counts[metric.status] = counts.get(metric.status, 0) + 1
        marks = [(status, status_mark(status, ascii_only)) for status in ("breach", "warning", "ok")]
        shown = [
            (f"{mark}{counts[status]}", styles.get(status)) for status, mark in marks if counts.get(status)
        ]
        pieces: list[tuple[str, Style | None]] = []
        for n, piece in enumerate(shown):
            pieces.extend([(" ", None)] if n else [])
            pieces.append(piece)
        overdue = sum(q.overdue for q in account.queues.values())
        if overdue:
            pieces.append((f" {overdue} overdue", styles.get("breach")))
        if pieces:
            part(1, *pieces)
        if account.level is not None:
            part(1, (fmt.clean(account.level.describe()), styles.get(level_status(account.level))))
        if at is not None and tz is not None:
            part(3, (fmt.instant(at, tz), None))
            parts.append((5, Text(fmt.clean(account.timezone), DIM)))
    for name, h in sorted(health.items()):
        status = SOURCE_STATUS.get(h.state, "no_data")
        part(
            2 if status in ("breach", "warning") else 4,
            (fmt.clean(name) + " ", None),
            (fmt.clean(h.state), styles.get(status)),
        )
    if paused:
        part(0, ("PAUSED", Style(reverse=True, bold=True)))
    part(4, (f"every {refresh:g} s", DIM))

    sep = ASCII_SEP if ascii_only else SEP
    kept = list(parts)
    while len(kept) > 1 and sum(len(t) for _, t in kept) + len(sep) * (len(kept) - 1) > width:
        worst = max(range(len(kept)), key=lambda i: (kept[i][0], i))
        del kept[worst]
    text = Text(no_wrap=True, overflow="ellipsis")
    for n, (_, piece) in enumerate(kept):
        if n:
            text.append(sep, DIM)
        text.append_text(piece)
    return text


class HeaderLine(Line):
    DEFAULT_CSS = """
    HeaderLine { dock: top; height: 1; background: $panel; }
    """
