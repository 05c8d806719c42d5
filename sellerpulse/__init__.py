"""sellerpulse: a live terminal dashboard of a marketplace seller's account health.

The code lives in three packages mapped from the repository root: ``sellerpulse.core`` (``core/``,
the engine, pure Python), ``sellerpulse.plugins`` (``plugins/``, the built-in sources and sinks) and
``sellerpulse.tui`` (``tui/``, the Textual app and the command line). This module only re-exports what
plugin authors need, so ``import sellerpulse`` never pulls in the UI.
"""

from sellerpulse.core.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["__version__", "hookimpl"]
