"""The one filter box of the dashboard: the main screen's (panels) and every table's (rows).

It sits in the screen's flow, above what it filters, so what is typed shows where the eye is: docked to
the bottom it landed under the key footer and the typed text showed nowhere. Hidden until ``/`` opens it;
``esc`` clears and closes it (the screen decides what ``esc`` does after that).
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Input


class FilterBar(Input):
    DEFAULT_CSS = """
    FilterBar {
        height: 1;
        border: none;
        padding: 0 1;
        background: $panel;
        display: none;
    }
    FilterBar:focus {
        border: none;
        background: $boost;
    }
    """

    def __init__(self, placeholder: str, **kwargs: Any) -> None:
        super().__init__(placeholder=placeholder, **kwargs)
        self.cursor_blink = False  # a blinking cursor repaints the terminal twice a second for nothing

    @property
    def needle(self) -> str:
        """What to look for: the typed text, trimmed and lower-cased."""
        return self.value.strip().lower()

    @property
    def is_open(self) -> bool:
        return bool(self.display)

    def open(self) -> None:
        self.display = True
        self.focus()

    def close(self) -> bool:
        """Clear and hide; returns False when there was nothing to clear or hide."""
        if not self.display and not self.value:
            return False
        self.value = ""
        self.display = False
        return True
