"""The key footer: Textual's :class:`~textual.widgets.Footer`, without two costs a busy dashboard cannot
afford.

Textual rebuilds the footer (a dozen widgets: mount, style, lay out) whenever a screen's bindings are
*refreshed*: every screen switch and every focus move, even when the keys shown stay the same. This one
rebuilds only when what it shows changed; closing the help screen no longer pays ~30-50 ms for it.

And each rebuild leaked: every ``FooterKey`` is bound to the footer's ``compact`` reactive, and Textual
only forgets a binding of a removed widget when ``compact`` changes, which it never does
(Textualize/textual#6666). Every key shown, with its render caches, stayed alive: about 2,500 objects
per screen switch, each one more for every garbage collection to walk, until a collection under load
paused the whole process for a third of a second. After each rebuild the bindings of removed keys are
dropped.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

WATCHERS = "__watchers"  # where Textual keeps the watchers of an object's reactives (textual.reactive._watch)


class KeysFooter(Footer):
    """A footer that recomposes only when its keys change, and lets go of the keys it removed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[Any, ...] | None = None

    def shown_keys(self, screen: Screen) -> tuple[Any, ...]:
        """Everything :meth:`Footer.compose` draws, as comparable values."""
        app = screen.app
        keys = tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, binding.group,
             enabled, tooltip)
            for (_node, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )  # fmt: skip
        return (keys, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def bindings_changed(self, screen: Screen) -> None:
        if self._shown is not None and screen is self.screen and self.shown_keys(screen) == self._shown:
            return
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        if self.is_attached:
            self._shown = self.shown_keys(self.screen)
        await super().recompose()
        self._forget_removed_keys()

    def _forget_removed_keys(self) -> None:
        watchers = getattr(self, WATCHERS, None)
        if not isinstance(watchers, dict):
            return
        for entries in watchers.values():
            if isinstance(entries, list):
                entries[:] = [(node, callback) for node, callback in entries if node.is_attached]
