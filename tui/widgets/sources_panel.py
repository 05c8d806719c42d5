"""Each source's health (ok / lagging / failing with its last error), events read and rows rejected.

``enter`` here (or the rejections key anywhere) opens the rejected rows with their reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from sellerpulse.core.sources import SourceHealth
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message

from .. import format as fmt
from ..theme import SOURCE_STATUS
from .line import Line

DIM = Style(dim=True)


class SourcesPanel(Vertical, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "details", "Rejected rows", id="details")]

    class Opened(Message):
        pass

    def __init__(self) -> None:
        super().__init__(id="sources", classes="panel side group-sources")
        self.border_title = "Sources"
        self.search_text = "sources rejected"
        self._last: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Line(Text("no sources", DIM), classes="source-empty")

    def action_details(self) -> None:
        self.post_message(self.Opened())

    def show(
        self, health: Mapping[str, SourceHealth], rejected: Mapping[str, int], styles: Mapping[str, Style]
    ) -> None:
        names = sorted(set(health) | set(rejected))
        key = (tuple((n, health.get(n), rejected.get(n, 0)) for n in names), id(styles))
        if key == self._last:
            return
        self._last = key
        lines: list[Text] = []
        for name in names:
            h = health.get(name)
            line = Text()  # wraps (see the .tcss): nothing of a source's health is cut
            state = h.state if h else "?"
            status = SOURCE_STATUS.get(state, "no_data")
            line.append(f"{fmt.clean(name)} ", Style(bold=True))
            line.append(fmt.clean(state), styles.get(status))
            count = max(rejected.get(name, 0), h.rejected if h else 0)
            if count:
                line.append(f"  {count:,} rejected", styles.get("warning"))
            if h is not None:
                line.append(f"  {h.events:,} events", DIM)
            lines.append(line)
            if h is not None and (h.last_error or h.detail):
                detail = Text()
                detail.append(
                    "  " + fmt.clean(h.last_error or h.detail), styles.get(status) if h.last_error else DIM
                )
                lines.append(detail)
        if not lines:
            lines = [Text("no sources", DIM)]
        current = list(self.query(Line))
        for n, text in enumerate(lines):
            if n < len(current):
                current[n].set(text)
            else:
                self.mount(Line(text, classes="source-line"))
        for extra in current[len(lines) :]:
            extra.remove()
