"""Help built from the live bindings of the screen it was opened on, so it never drifts from the keys
(remapped keys show as remapped). A modal that fits 80x24 and scrolls."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..theme import STATUS_WORD, status_mark, status_styles

# binding ids in the order help lists them; others follow by id
ORDER = ("help", "quit", "details", "back", "focus-next", "focus-previous", "filter", "sort", "sort-reverse",
         "pause", "refresh", "faster", "slower", "account", "rejections", "palette")  # fmt: skip
# Textual's own scrolling keys (no binding id, so not in the list above): what reaches the panels below
SCROLLING = (
    ("up, down", "scroll a line"),
    ("pgup, pgdn", "scroll a page"),
    ("home, end", "to the top, to the bottom"),
)

LEGEND = {
    "ok": "healthy, inside the target",
    "warning": "still healthy, past the warning level",
    "breach": "target missed",
    "no_data": "nothing in the window yet",
    "info": "informational, no target",
}


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) of every active binding with a description, keys merged."""
    rows: dict[tuple[str, str], list[str]] = {}
    ids: dict[tuple[str, str], str] = {}
    app = screen.app
    for key, active in screen.active_bindings.items():
        binding: Binding = active.binding
        if not binding.description or binding.system or not binding.id:
            continue  # scrolling and other built-in keys without an id are not ours to document
        ident = (binding.action, binding.description)
        shown = binding.key_display or app.get_key_display(Binding(key, binding.action))
        rows.setdefault(ident, [])
        if shown not in rows[ident]:
            rows[ident].append(shown)
        ids[ident] = binding.id or ""
    listed = [(", ".join(keys), desc, ids[(action, desc)]) for (action, desc), keys in rows.items()]
    order = {ident: n for n, ident in enumerate(ORDER)}
    return sorted(listed, key=lambda row: (order.get(row[2], len(order)), row[2]))


class HelpScreen(ModalScreen[None]):
    """The app keeps one help screen and shows it again for whichever screen it is opened on (building
    a fresh one each time cost tens of milliseconds of the key press that opened it)."""

    ascii_only = False  # ASCII marks and separators only; the app sets it (open_screen)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="help-close"),
    ]

    def __init__(self, under: Screen) -> None:
        super().__init__()
        self.rows = binding_rows(under)
        self.under_name = type(under).__name__

    def show_for(self, under: Screen) -> None:
        """List the keys of ``under`` (rewriting the text only if they differ), scrolled to the top."""
        self.under_name = type(under).__name__
        rows = binding_rows(under)
        if not self.is_mounted:
            self.rows = rows
            return
        if rows != self.rows:
            self.rows = rows
            self.query_one("#help-keys", Static).update(self._keys_text())
        self.query_one("#help-box", VerticalScroll).scroll_home(animate=False)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "esc closes"
            yield Static(self._keys_text(), id="help-keys")
            yield Static(self._legend_text(), id="help-legend")

    def _keys_text(self) -> Text:
        text = Text()
        width = max((len(k) for k, _, _ in self.rows), default=4)
        for keys, desc, ident in self.rows:
            text.append(f"{keys:>{width}}  ", Style(bold=True))
            text.append(desc)
            if ident:
                text.append(f"  [{ident}]", Style(dim=True))
            text.append("\n")
        text.append("\nScrolling\n", Style(bold=True))
        for keys, desc in SCROLLING:
            text.append(f"{keys:>{width}}  ", Style(bold=True))
            text.append(f"{desc}\n")
        text.append('\nRemap keys in the config\'s [keymap] table: binding id = "keys".', Style(dim=True))
        return text

    def _legend_text(self) -> Text:
        styles = status_styles(self.app)
        text = Text("\nColours\n", Style(bold=True))
        for status, words in LEGEND.items():
            text.append(f"  {status_mark(status, self.ascii_only)} {STATUS_WORD[status]:<8}", styles[status])
            text.append(f" {words}\n")
        text.append(
            "\nPanels show value and target, bad outcomes over the population, how many more bad outcomes "
            "the target allows, the change since yesterday and the last 30 days; the border shows the window."
        )
        return text

    def action_close(self) -> None:
        self.dismiss(None)
