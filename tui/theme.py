"""Status colours from the active Textual theme, never hard-coded RGB.

Panels mark status with CSS classes (``-ok``, ``-warning``, ``-breach``, ``-no_data``, ``-info``) that
``sellerpulse.tcss`` maps to theme variables; text with several colours on one line (graphs, component
lines) asks :func:`status_styles` for Rich styles resolved from the same variables.
"""

from __future__ import annotations

from rich.style import Style
from textual.app import App
from textual.color import Color

STATUSES = ("ok", "warning", "breach", "no_data", "info")

# status -> theme variable giving its colour on text
STATUS_VARIABLE = {
    "ok": "text-success",
    "warning": "text-warning",
    "breach": "text-error",
    "no_data": "foreground-darken-3",
    "info": "text-primary",
}

# what the status means, in words, for help and the header
STATUS_WORD = {"ok": "ok", "warning": "warning", "breach": "breach", "no_data": "no data", "info": "info"}

# a mark per status, so status reads without colour too (--no-color, colour blindness): (unicode, ascii)
STATUS_MARK = {
    "ok": ("✔", "o"),
    "warning": ("▲", "!"),
    "breach": ("✖", "X"),
    "no_data": ("·", "."),
    "info": ("i", "i"),
}


def status_mark(status: str, ascii_only: bool = False) -> str:
    return STATUS_MARK.get(status, ("?", "?"))[1 if ascii_only else 0]


# source health state -> status colour
SOURCE_STATUS = {
    "ok": "ok", "done": "ok", "starting": "info", "restoring": "warning", "lagging": "warning", "failing": "breach",
    "reconnecting": "breach",
}  # fmt: skip

_cache: dict[tuple[int, str], dict[str, Style]] = {}


def status_styles(app: App) -> dict[str, Style]:
    """Rich styles per status for the app's current theme (cached per theme)."""
    key = (id(app), app.theme)
    styles = _cache.get(key)
    if styles is None:
        variables = app.theme_variables
        styles = {}
        for status, name in STATUS_VARIABLE.items():
            try:
                colour = Color.parse(variables.get(name, variables.get("foreground", "white")))
            except Exception:
                colour = Color.parse("white")
            styles[status] = Style(color=colour.rich_color)
        _cache.clear()
        _cache[key] = styles
    return styles
