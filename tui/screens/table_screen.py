"""A details screen around one sortable, filterable table: the base of drill-downs and rejections.

Rows are loaded off the UI thread when the app is threaded, rendered as plain ``Text`` cells (never
markup: ids and reasons come from outside), filtered with ``/`` and sorted with ``s`` / ``S`` or a
click on a column header. ``esc`` clears an open filter first, then goes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable

from .. import format as fmt
from ..theme import status_styles
from ..widgets.filter_bar import FilterBar
from ..widgets.footer import KeysFooter
from ..widgets.line import Line

if TYPE_CHECKING:
    from ..host import DashboardHost


@dataclass(frozen=True, slots=True)
class Row:
    cells: tuple[str, ...]  # shown text (cleaned when rendered)
    keys: tuple[Any, ...]  # sort key per column
    style: str | None = None  # a status to colour the row with


class TableScreen(Screen):
    ascii_only = False  # ASCII marks and separators only; the app sets it (open_screen)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("s", "sort", "Sort", show=False, id="sort"),
        Binding("S", "reverse", "Reverse", show=False, id="sort-reverse"),
        Binding("escape", "back", "Back", id="back"),
    ]
    COLUMNS: tuple[str, ...] = ()
    EMPTY = "nothing to show"
    FOLLOWS_READINGS = False  # True: the rows are read again with every refresh of the dashboard
    HINT = "  · s sort · / filter · esc back"
    SORT_COLUMN = 0  # the order rows first show in
    SORT_REVERSE = False

    app: DashboardHost  # what these screens read of the app (tui/host.py)

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.sort_column = self.SORT_COLUMN
        self.sort_reverse = self.SORT_REVERSE
        self.filter_text = ""
        self.loaded = False
        self._generation = 0  # counts the things shown, so rows read for an earlier one are dropped

    def compose(self) -> ComposeResult:
        with Vertical(classes="details-head"):
            yield from self.compose_head()
        yield from self.compose_extra()
        yield Line(classes="counts")
        yield FilterBar("filter rows (esc clears)", id="table-filter")
        table: DataTable = DataTable(classes="details-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield KeysFooter()

    def compose_head(self) -> ComposeResult:
        yield Line(classes="title")

    def compose_extra(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in self.COLUMNS:
            table.add_column(label, key=label)
        table.focus()
        self.reload()

    # -- loading ----------------------------------------------------------------------------------

    def load(self, at: int) -> list[Row]:
        """Read the rows (runs on a worker thread when the app is threaded)."""
        raise NotImplementedError

    def draw_head(self) -> None:
        """Redraw the lines above the table from the app's latest snapshot."""

    def start_over(self) -> None:
        """Show the screen afresh (the app builds each details screen once and shows it again for
        the next metric, queue or look): no rows, no filter, the first sort order, then read."""
        self._generation += 1
        self.rows = []
        self.loaded = False
        self.sort_column = self.SORT_COLUMN
        self.sort_reverse = self.SORT_REVERSE
        self.filter_text = ""
        if not self.is_mounted:
            return  # on_mount reads
        bar = self.query_one(FilterBar)
        with bar.prevent(FilterBar.Changed):
            bar.close()
        table = self.query_one(DataTable)
        table.clear()
        table.focus()
        self.reload()

    def reload(self) -> None:
        self.draw_head()
        at = self.app.reading.at if self.app.reading else self.app.data.clock.now()
        generation = self._generation
        if self.app.threaded:
            # exit_on_error off: a screen closed before its rows arrive must not take the app down
            self.run_worker(
                lambda: self.app.call_from_thread(self.set_rows, self._safe_load(at), generation),
                thread=True,
                exit_on_error=False,
            )
        else:
            self.set_rows(self._safe_load(at), generation)

    def _safe_load(self, at: int) -> list[Row] | str:
        try:
            return self.load(at)
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"

    def set_rows(self, rows: list[Row] | str, generation: int | None = None) -> None:
        if not self.is_attached:  # closed while its rows were being read
            return
        if generation is not None and generation != self._generation:
            return  # rows of what the screen showed before
        if isinstance(rows, str):
            self.notify(rows, title="reading the details failed", severity="error", markup=False)
            rows = []
        self.rows = rows
        self.loaded = True
        self.render_rows()

    # -- table ------------------------------------------------------------------------------------

    def visible_rows(self) -> list[Row]:
        needle = self.filter_text
        rows = [r for r in self.rows if not needle or any(needle in c.lower() for c in r.cells)]
        column = self.sort_column
        rows.sort(key=lambda r: (r.keys[column] is None, r.keys[column]), reverse=self.sort_reverse)
        return rows

    def render_rows(self) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row  # kept across a refresh: the operator's place in the list
        table.clear()
        styles = status_styles(self.app)
        for n, label in enumerate(self.COLUMNS):
            arrow = (" v" if self.sort_reverse else " ^") if n == self.sort_column else ""
            table.columns[label].label = Text(label + arrow)
        shown = self.visible_rows()
        for row in shown:
            style = styles.get(row.style) if row.style else None
            table.add_row(*(Text(fmt.clean(c), style=style or "") for c in row.cells))
        if shown:
            table.move_cursor(row=min(cursor, len(shown) - 1), animate=False)
        total = len(self.rows)
        if not total:
            counts = self.EMPTY
        elif len(shown) != total:
            counts = f"{len(shown)} of {total} rows match {fmt.clean(self.filter_text)!r}"
        else:
            counts = f"{total} rows"
        hint = self.HINT.replace("·", fmt.dot(self.ascii_only))
        self.query_one(".counts", Line).set(Text(counts + hint, style="dim"))

    def action_sort(self) -> None:
        self.sort_column = (self.sort_column + 1) % len(self.COLUMNS)
        self.render_rows()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.render_rows()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.column_index == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column = event.column_index
            self.sort_reverse = False
        self.render_rows()

    # -- filter -----------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBar).open()

    def on_input_changed(self, event: FilterBar.Changed) -> None:
        self.filter_text = self.query_one(FilterBar).needle
        self.render_rows()
        event.stop()

    def on_input_submitted(self, event: FilterBar.Submitted) -> None:
        bar = self.query_one(FilterBar)
        if not self.filter_text:
            bar.close()
        self.query_one(DataTable).focus()
        event.stop()

    def action_back(self) -> None:
        bar = self.query_one(FilterBar)
        if bar.close() or self.filter_text:
            self.filter_text = ""
            self.render_rows()
            self.query_one(DataTable).focus()
            return
        self.dismiss()


def cells(*values: object) -> tuple[str, ...]:
    return tuple("" if v is None else str(v) for v in values)
