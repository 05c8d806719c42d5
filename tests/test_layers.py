"""The layer wall of DESIGN.md: the engine layer never pulls in the UI or the HTTP client.

Checked in a fresh interpreter, because inside pytest other tests have already imported Textual.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import sellerpulse.core

FORBIDDEN = ("textual", "rich", "httpx")


def _core_modules() -> list[str]:
    return sorted(
        info.name for info in pkgutil.walk_packages(sellerpulse.core.__path__, prefix="sellerpulse.core.")
    )


def test_core_has_modules_to_check() -> None:
    names = _core_modules()
    assert "sellerpulse.core.engine.engine" in names
    assert "sellerpulse.core.events" in names


def test_importing_every_core_module_imports_no_ui_or_http_client() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core imported: {result.stdout.strip()}"


def test_plugin_api_import_is_light() -> None:
    """``import sellerpulse`` (what a plugin does for ``hookimpl``) must not start Textual."""
    code = "import sys, sellerpulse; print(','.join(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
