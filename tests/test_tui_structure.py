"""Attributes down, messages up: screens and widgets never import the app, the main screen and the
widgets read nothing of it beyond what every Textual app has, and the details screens only what
``tui/host.py`` declares. Read from the source (ast), so a new reach into the app fails here."""

from __future__ import annotations

import ast
from pathlib import Path

import sellerpulse.tui as tui_package
from sellerpulse.tui.host import DashboardHost
from textual.app import App

TUI = Path(tui_package.__file__).parent
SCREENS = sorted((TUI / "screens").glob("*.py"))
WIDGETS = sorted((TUI / "widgets").glob("*.py"))
HOST_NAMES = set(DashboardHost.__annotations__) | {n for n in vars(DashboardHost) if not n.startswith("_")}


def tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def imported_modules(path: Path, package: list[str] | None = None) -> set[str]:
    """Every module a file imports, relative ones resolved inside ``sellerpulse.tui``."""
    package = package or ["sellerpulse", "tui", *path.parent.relative_to(TUI).parts]
    found = set()
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def app_attributes(path: Path) -> set[str]:
    """The names read or called as ``self.app.NAME``."""
    return {
        node.attr
        for node in ast.walk(tree(path))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "app"
        and isinstance(node.value.value, ast.Name)
        and node.value.value.id == "self"
    }


def test_no_screen_widget_host_or_message_module_imports_the_app():
    importers = {
        path.relative_to(TUI).as_posix()
        for path in [*SCREENS, *WIDGETS, TUI / "host.py", TUI / "messages.py"]
        if "sellerpulse.tui.app" in imported_modules(path)
    }
    assert importers == set()


def test_the_main_screen_and_the_widgets_read_only_what_every_textual_app_has():
    reaches = {
        f"{path.relative_to(TUI).as_posix()}: {name}"
        for path in [TUI / "screens" / "main.py", *WIDGETS]
        for name in app_attributes(path)
        if not hasattr(App, name)
    }
    assert reaches == set()


def test_the_details_screens_read_only_what_the_host_interface_declares():
    reaches = {
        f"{path.relative_to(TUI).as_posix()}: {name}"
        for path in SCREENS
        for name in app_attributes(path)
        if not hasattr(App, name) and name not in HOST_NAMES
    }
    assert reaches == set()
    assert {"reading", "data", "zone"} <= HOST_NAMES  # the check above has names to allow


def test_the_checks_see_a_reach_into_the_app(tmp_path):
    """The ast readers find what they look for (a reader that sees nothing would pass every test)."""
    sample = tmp_path / "screen.py"
    sample.write_text("from ..app import SellerPulseApp\n\ndef f(self):\n    return self.app.hidden_groups\n")
    assert "sellerpulse.tui.app" in imported_modules(sample, ["sellerpulse", "tui", "screens"])
    assert app_attributes(sample) == {"hidden_groups"} and not hasattr(App, "hidden_groups")
