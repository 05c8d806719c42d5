"""A one-row widget that repaints only when its text really changes.

Panels are built from these rows so a refresh that changes one number rewrites one row of the terminal,
not the panel: the main lever on bandwidth over SSH.
"""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class Line(Widget):
    DEFAULT_CSS = """
    Line { height: 1; width: 1fr; }
    """

    def __init__(
        self, text: Text | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text if text is not None else Text()

    @property
    def text(self) -> Text:
        return self._text

    @property
    def plain(self) -> str:
        return self._text.plain

    def set(self, text: Text) -> bool:
        """Show ``text``; returns whether anything changed (equal text is not redrawn)."""
        if text == self._text:
            return False
        self._text = text
        self.refresh()
        return True

    def render(self) -> Text:
        return self._text
