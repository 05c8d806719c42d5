"""The plugin manager with real plugins: objects registered and unregistered, installed distributions
(entry points) that load, fail to import or are deselected by environment variables, raising hooks."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sellerpulse.core.plugins import DISABLE_ENV, LOAD_ENV, load_plugins
from sellerpulse.core.sources import Batch, Source
from sellerpulse.plugins.testing import plugin_registered

import sellerpulse

FAKE_MODULES = ("sp_fake_good", "sp_fake_other", "sp_fake_broken")


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real (if tiny) installed distribution on sys.path with three sellerpulse entry points."""
    site = tmp_path / "site"
    dist = site / "sp_fake_plugins-1.4.2.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: sp-fake-plugins\nVersion: 1.4.2\n")
    (dist / "entry_points.txt").write_text(
        "[sellerpulse]\ngood = sp_fake_good\nother = sp_fake_other\nbroken = sp_fake_broken\n"
    )
    plugin = """
        import sellerpulse
        from sellerpulse.core.sources import Batch, Source

        class {cls}(Source):
            '''A source that has nothing to say.'''
            type_name = "{type}"

            async def batches(self, follow):
                yield Batch()

        @sellerpulse.hookimpl
        def register_sources(register):
            register("{type}", {cls})
    """
    (site / "sp_fake_good.py").write_text(
        textwrap.dedent(plugin.format(cls="GoodSource", type="good-source"))
    )
    (site / "sp_fake_other.py").write_text(
        textwrap.dedent(plugin.format(cls="OtherSource", type="other-source"))
    )
    (site / "sp_fake_broken.py").write_text("raise ImportError('needs libfoo, which is not installed')\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv(LOAD_ENV, raising=False)
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    try:
        yield site
    finally:
        for name in FAKE_MODULES:
            sys.modules.pop(name, None)


class EchoSource(Source):
    """Registered by a test plugin object."""

    type_name = "echo"

    async def batches(self, follow):
        yield Batch()


class EchoPlugin:
    @sellerpulse.hookimpl
    def register_sources(self, register):
        register("echo", EchoSource)


class RaisingPlugin:
    @sellerpulse.hookimpl
    def register_sources(self, register):
        register("half-done", EchoSource)
        raise RuntimeError("database unreachable")

    @sellerpulse.hookimpl
    def register_sinks(self, register):
        raise ValueError("no sinks today")


class ClashingPlugin:
    @sellerpulse.hookimpl
    def register_sources(self, register):
        register("csv", EchoSource)


def test_builtins_register_through_the_hooks(monkeypatch):
    monkeypatch.setenv(LOAD_ENV, "")
    plugins = load_plugins()
    assert plugins.sources()["csv"].__name__ == "CsvSource"
    assert "amazon" in plugins.profiles()
    [builtin] = [info for info in plugins.describe() if info.name == "builtin"]
    assert builtin.builtin and "register_sources" in builtin.hooks
    assert "csv" in builtin.registers["sources"]
    assert plugins.warnings == []


def test_a_plugin_object_registered_and_unregistered():
    with plugin_registered(EchoPlugin(), name="echo-plugin") as plugins:
        assert plugins.sources()["echo"] is EchoSource
        assert plugins.source_class("echo") is EchoSource
        [info] = [info for info in plugins.describe() if info.name == "echo-plugin"]
        assert info.registers == {"sources": ["echo"]}
        assert plugins.pm.get_plugin("echo-plugin") is not None
    assert plugins.pm.get_plugin("echo-plugin") is None


def test_a_hook_that_raises_is_reported_and_the_others_stand():
    with plugin_registered(RaisingPlugin(), name="flaky") as plugins:
        sources = plugins.sources()
        sinks = plugins.sinks()
    assert "csv" in sources
    assert set(load_plugins(entry_points=False).sinks()) == set(sinks)  # the built-in sinks stand
    text = "\n".join(plugins.warnings)
    assert "plugin 'flaky': hook register_sources raised RuntimeError: database unreachable" in text
    assert "plugin 'flaky': hook register_sinks raised ValueError: no sinks today" in text


def test_a_name_taken_twice_keeps_the_first_and_warns():
    with plugin_registered(ClashingPlugin(), name="clash") as plugins:
        assert plugins.sources()["csv"].__name__ == "CsvSource"
    assert any("'csv' is already registered by 'builtin'" in w for w in plugins.warnings)


def test_unknown_type_suggests_the_closest():
    with (
        plugin_registered(EchoPlugin(), name="echo-plugin") as plugins,
        pytest.raises(KeyError, match="did you mean 'echo'"),
    ):
        plugins.source_class("ecoh")


def test_installed_plugins_load_and_a_broken_one_is_a_warning(installed):
    plugins = load_plugins()
    sources = plugins.sources()
    assert {"good-source", "other-source", "csv"} <= set(sources)
    [warning] = [w for w in plugins.warnings if "broken" in w]
    assert "plugin 'broken' (sp_fake_broken) failed to import: ImportError: needs libfoo" in warning
    infos = {info.name: info for info in plugins.describe()}
    assert infos["good"].version == "1.4.2" and not infos["good"].builtin
    assert infos["good"].registers == {"sources": ["good-source"]}
    assert "broken" not in infos


def test_load_and_disable_environment_variables(installed, monkeypatch):
    monkeypatch.setenv(LOAD_ENV, "good")
    plugins = load_plugins()
    assert "good-source" in plugins.sources() and "other-source" not in plugins.sources()
    assert plugins.warnings == []  # the broken plugin was never imported

    monkeypatch.setenv(LOAD_ENV, "")
    assert not {"good-source", "other-source"} & set(load_plugins().sources())

    monkeypatch.delenv(LOAD_ENV)
    monkeypatch.setenv(DISABLE_ENV, "good, broken")
    plugins = load_plugins()
    assert "other-source" in plugins.sources() and "good-source" not in plugins.sources()
    assert plugins.warnings == []

    monkeypatch.setenv(DISABLE_ENV, "builtin")
    assert "csv" not in load_plugins().sources()


def test_a_builtin_that_fails_to_import_is_a_warning_too():
    from sellerpulse.core.plugins import load_plugins as load

    plugins = load(
        default_plugins=("sellerpulse.plugins.builtin", "sellerpulse.plugins.no_such_module"),
        entry_points=False,
    )
    assert "csv" in plugins.sources()
    assert any(
        "built-in plugin 'no_such_module' failed to import: ModuleNotFoundError" in w
        for w in plugins.warnings
    )


def test_describe_type_gives_the_declared_options():
    with plugin_registered(EchoPlugin(), name="echo-plugin") as plugins:
        csv = plugins.describe_type("csv")
        echo = plugins.describe_type("echo")
        whole = plugins.describe_type("echo-plugin")
    assert csv["kind"] == "source" and csv["plugin"] == "builtin"
    path = next(option for option in csv["options"] if option["name"] == "path")
    assert path == {"name": "path", "type": "path", "default": None, "help": "the file to read (any extension)",
                    "required": True, "secret": False}  # fmt: skip
    assert echo["options"] == [] and echo["help"] == "Registered by a test plugin object."
    assert whole["kind"] == "plugin" and whole["types"]["sources"][0]["type"] == "echo"


class ProfilePlugin:
    @sellerpulse.hookimpl
    def register_profiles(self, register):
        register(
            "tiny-market",
            {
                "marketplace": "Tiny",
                "metrics": {
                    "lsr": {
                        "name": "Late shipments",
                        "rule": "late_shipment",
                        "window_days": 10,
                        "direction": "below",
                        "target": "0.04",
                    }
                },
            },
        )
        register("broken-market", {"metrics": {"x": {"rule": "no_such_rule", "window_days": 1}}})


def test_profiles_registered_as_mappings_become_profiles():
    with plugin_registered(ProfilePlugin(), name="markets") as plugins:
        profiles = plugins.profiles()
    tiny = profiles["tiny-market"]
    assert tiny.name == "tiny-market" and tiny.marketplace == "Tiny"
    assert tiny.metrics["lsr"].window_days == 10 and str(tiny.metrics["lsr"].target) == "0.04"
    assert "broken-market" not in profiles and "amazon" in profiles
    assert any("plugin 'markets': profile 'broken-market' is not usable" in w for w in plugins.warnings)


def test_every_hook_is_documented_and_tested():
    from sellerpulse.core.plugins import get_plugin_manager

    root = Path(__file__).resolve().parent.parent
    guide = (root / "docs" / "plugins.md").read_text()
    tests = "".join(path.read_text() for path in (root / "tests").glob("test_plugins_*.py"))
    hooks = [
        name for name in dir(get_plugin_manager(entry_points=False).hook) if name.startswith("register_")
    ]
    assert hooks == ["register_profiles", "register_sinks", "register_sources"]
    for name in hooks:
        assert f"`{name}(register)`" in guide, f"{name} is not in docs/plugins.md"
        assert f"def {name}(self, register)" in tests or f"def {name}(register)" in tests, f"{name} untested"
