"""Rows the sources could not read, per source, with the position and the reason for each."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from .. import format as fmt
from ..theme import SOURCE_STATUS, status_styles
from ..widgets.line import Line
from .table_screen import Row, TableScreen, cells


class RejectionsScreen(TableScreen):
    COLUMNS = ("Source", "Position", "Reason")
    EMPTY = "no rejected rows"

    def show_for(self) -> None:
        """Read the rejected rows again (the app keeps one of these screens)."""
        self.start_over()

    def draw_head(self) -> None:
        styles = status_styles(self.app)
        reading = self.app.reading
        health = reading.health if reading else {}
        rejected = reading.snapshot.rejected if reading and reading.snapshot else {}
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Rejected rows", Style(bold=True))
        for name in sorted(set(health) | set(rejected)):
            h = health.get(name)
            count = max(rejected.get(name, 0), h.rejected if h else 0)
            title.append(f"  {fmt.clean(name)}: {count:,}")
            if h is not None and h.state != "ok":
                title.append(f" ({fmt.clean(h.state)})", styles[SOURCE_STATUS.get(h.state, "no_data")])
        self.query_one(".title", Line).set(title)

    def load(self, at: int) -> list[Row]:
        reading = self.app.reading
        names = set(reading.health) if reading else set()
        if reading and reading.snapshot:
            names |= set(reading.snapshot.rejected)
        rows = []
        for name in sorted(names):
            for rejection in self.app.data.rejections(name):
                rows.append(Row(cells(name, rejection.position, rejection.reason),
                                (name, str(rejection.position), rejection.reason)))  # fmt: skip
        return rows
