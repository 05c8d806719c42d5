"""``--ascii`` for what CSS cannot reach: scrollbars and the names of keys.

Borders and the footer's separator are switched in ``sellerpulse.tcss`` (``App.-ascii``). Scrollbars are
drawn by Textual's :class:`~textual.scrollbar.ScrollBarRender` with eighth-block characters at the ends of
the thumb; :class:`AsciiScrollBarRender` draws the thumb with spaces in reverse video only. Key names
(``⏎``, arrows) become the key's own name (``enter``, ``up``).
"""

from __future__ import annotations

from typing import ClassVar

from textual.scrollbar import ScrollBar, ScrollBarRender


class AsciiScrollBarRender(ScrollBarRender):
    VERTICAL_BARS: ClassVar[list[str]] = [" "] * 8
    HORIZONTAL_BARS: ClassVar[list[str]] = [" "] * 8


class AsciiScrollbars:
    """Scrollbars in ASCII while an app runs: Textual picks the renderer from a class attribute of
    :class:`ScrollBar`, so it is set when the app starts and put back when it ends."""

    def __init__(self) -> None:
        self._before: type[ScrollBarRender] | None = None

    def start(self) -> None:
        self._before = ScrollBar.renderer
        ScrollBar.renderer = AsciiScrollBarRender

    def stop(self) -> None:
        if self._before is not None:
            ScrollBar.renderer = self._before
            self._before = None


def ascii_key(display: str, key: str) -> str:
    """A key as shown (``⏎``) in ASCII: as shown when it is already, else the key's own name."""
    return display if display.isascii() else key
