"""The plugin manager: built-in plugins and installed ones, loaded through the same hooks.

- Built-in plugins are the modules of :data:`DEFAULT_PLUGINS`; installed plugins are the entry points of
  the group ``sellerpulse`` (``[project.entry-points.sellerpulse]`` in a plugin's pyproject).
- ``SELLERPULSE_LOAD_PLUGINS=a,b`` loads only those installed plugins (an empty value loads none);
  ``SELLERPULSE_DISABLE_PLUGINS=a,b`` skips those (built-in ones included, by module name or ``builtin``).
- A plugin that fails to import is a warning naming the plugin and the error; a hook that raises is
  reported the same way and the other plugins' registrations stand. Nothing here crashes the app.

Callers use the typed wrapper :class:`Plugins` (``load_plugins().sources()``), never ``pm.hook.x``.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import hookspecs
from .hookspecs import PROJECT

log = logging.getLogger("sellerpulse.plugins")

ENTRY_POINT_GROUP = PROJECT
LOAD_ENV = "SELLERPULSE_LOAD_PLUGINS"
DISABLE_ENV = "SELLERPULSE_DISABLE_PLUGINS"
DEFAULT_PLUGINS: tuple[str, ...] = ("sellerpulse.plugins.builtin",)

# hook name -> what it registers (the key used in describe())
KINDS = {"register_sources": "sources", "register_sinks": "sinks", "register_profiles": "profiles"}


@dataclass(slots=True)
class PluginInfo:
    """One plugin as the ``plugins`` command shows it."""

    name: str
    module: str
    version: str | None
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    registers: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "version": self.version,
            "builtin": self.builtin,
            "hooks": list(self.hooks),
            "registers": {kind: list(names) for kind, names in self.registers.items()},
        }


def _env_list(name: str) -> set[str] | None:
    value = os.environ.get(name)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def get_plugin_manager(
    warnings: list[str] | None = None,
    default_plugins: Iterable[str] = DEFAULT_PLUGINS,
    entry_points: bool = True,
) -> pluggy.PluginManager:
    """A plugin manager with the hook specs, the built-in plugins and the installed ones.

    Problems are appended to ``warnings`` (and logged), never raised. Each plugin is registered under
    its name (entry-point name, or the built-in module's last dotted part).
    """
    problems = warnings if warnings is not None else []
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = _env_list(DISABLE_ENV) or set()
    for module_name in default_plugins:
        short = module_name.rsplit(".", 1)[-1]
        if short in disabled or module_name in disabled:
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            _warn(problems, f"built-in plugin {short!r} failed to import: {type(exc).__name__}: {exc}")
            continue
        pm.register(module, name=short)
    if entry_points:
        _load_entry_points(pm, problems, disabled)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        _warn(problems, f"plugin hook problem: {exc}")
    return pm


def _load_entry_points(pm: pluggy.PluginManager, problems: list[str], disabled: set[str]) -> None:
    wanted = _env_list(LOAD_ENV)
    seen: set[str] = set()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in seen:
            continue  # the same distribution visible twice on sys.path
        seen.add(ep.name)
        if (wanted is not None and ep.name not in wanted) or ep.name in disabled:
            continue
        if pm.get_plugin(ep.name) is not None:
            _warn(problems, f"plugin {ep.name!r}: the name is taken by a built-in plugin; skipped")
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            _warn(problems, f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}")
            continue
        try:
            pm.register(plugin, name=ep.name)
        except Exception as exc:
            _warn(problems, f"plugin {ep.name!r} could not be registered: {type(exc).__name__}: {exc}")


def _installed_versions() -> dict[str, str | None]:
    """Entry-point name -> version of the distribution that installed it."""
    versions: dict[str, str | None] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        versions.setdefault(ep.name, dist.version if dist is not None else None)
    return versions


def _warn(problems: list[str], message: str) -> None:
    problems.append(message)
    log.warning("%s", message)


class Plugins:
    """Typed access to what the plugins register: ``sources()``, ``sinks()``, ``profiles()``.

    Each hook implementation is called on its own, so what a plugin registers is attributed to it and
    a hook that raises is reported without losing the others. The first registration of a name wins;
    a later one is a warning naming both plugins.
    """

    def __init__(self, pm: pluggy.PluginManager, warnings: list[str] | None = None) -> None:
        self.pm = pm
        self.warnings: list[str] = list(warnings or [])
        self._registered: dict[str, dict[str, tuple[str, Any]]] = {}

    def sources(self) -> dict[str, type]:
        return {name: obj for name, (_, obj) in self._collect("register_sources").items()}

    def sinks(self) -> dict[str, type]:
        return {name: obj for name, (_, obj) in self._collect("register_sinks").items()}

    def profiles(self) -> dict[str, Any]:
        """Registered profiles as :class:`~sellerpulse.core.profile.Profile` (mappings are converted;
        one that is not a valid profile is a warning naming the plugin)."""
        from .profile import Profile, ProfileError, profile_from_mapping

        out: dict[str, Any] = {}
        for name, (owner, obj) in self._collect("register_profiles").items():
            if isinstance(obj, Profile):
                out[name] = obj
                continue
            try:
                out[name] = profile_from_mapping({"name": name, **dict(obj)})
            except (ProfileError, TypeError, ValueError) as exc:
                _warn(self.warnings, f"plugin {owner!r}: profile {name!r} is not usable: {exc}")
        return out

    def source_class(self, type_name: str) -> type:
        """The source class registered as ``type_name``; a KeyError suggesting the closest name."""
        return self._lookup("register_sources", type_name, "source type")

    def sink_class(self, type_name: str) -> type:
        return self._lookup("register_sinks", type_name, "sink type")

    def _lookup(self, hook: str, type_name: str, what: str) -> type:
        from .suggest import closest

        found = self._collect(hook)
        if type_name in found:
            return found[type_name][1]
        hint = closest(type_name, found)
        extra = f"; did you mean {hint!r}?" if hint else f" (known: {', '.join(sorted(found)) or 'none'})"
        raise KeyError(f"unknown {what} {type_name!r}{extra}")

    def _collect(self, hook_name: str) -> dict[str, tuple[str, Any]]:
        cached = self._registered.get(hook_name)
        if cached is not None:
            return cached
        found: dict[str, tuple[str, Any]] = {}
        hook = getattr(self.pm.hook, hook_name)
        # get_hookimpls() lists implementations in registration order (pluggy *calls* them in reverse):
        # built-in plugins, registered first, keep their names.
        for impl in hook.get_hookimpls():
            plugin_name = impl.plugin_name

            def register(name: str, obj: Any, _plugin: str = plugin_name) -> None:
                name = str(name)
                if name in found:
                    owner = found[name][0]
                    what = KINDS[hook_name][:-1]
                    _warn(
                        self.warnings,
                        f"plugin {_plugin!r}: {what} {name!r} is already registered by {owner!r}; ignored",
                    )
                    return
                found[name] = (_plugin, obj)

            try:
                impl.function(**{arg: register for arg in impl.argnames})
            except Exception as exc:
                message = f"plugin {plugin_name!r}: hook {hook_name} raised {type(exc).__name__}: {exc}"
                _warn(self.warnings, message)
        self._registered[hook_name] = found
        return found

    def describe(self) -> list[PluginInfo]:
        """Every registered plugin with its version, hooks and registrations."""
        registered = {kind: self._collect(hook) for hook, kind in KINDS.items()}
        versions = _installed_versions()
        infos: list[PluginInfo] = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            builtin = name not in versions
            module = getattr(plugin, "__name__", type(plugin).__name__)
            hooks = sorted(impl_hook.name for impl_hook in self.pm.get_hookcallers(plugin) or [])
            registers = {
                kind: sorted(n for n, (owner, _) in items.items() if owner == name)
                for kind, items in registered.items()
            }
            infos.append(
                PluginInfo(
                    name=name,
                    module=module,
                    version=versions.get(name) or (_own_version() if builtin else None),
                    builtin=builtin,
                    hooks=hooks,
                    registers={kind: names for kind, names in registers.items() if names},
                )
            )
        return infos

    def describe_type(self, name: str) -> dict[str, Any]:
        """``--describe NAME``: a source or sink type (its options), or a plugin by name."""
        for hook, kind in KINDS.items():
            items = self._collect(hook)
            if name in items and kind != "profiles":
                owner, cls = items[name]
                info = _describe_class(cls, name)
                return {"kind": kind[:-1], "plugin": owner, **info}
        for info in self.describe():
            if info.name == name:
                details = info.to_json()
                details["kind"] = "plugin"
                details["types"] = {
                    kind: [_describe_class(self._collect(hook)[n][1], n) for n in info.registers[kind]]
                    for hook, kind in KINDS.items()
                    if kind != "profiles" and info.registers.get(kind)
                }
                return details
        from .suggest import closest

        known = [*self.sources(), *self.sinks(), *(info.name for info in self.describe())]
        hint = closest(name, known)
        extra = f"; did you mean {hint!r}?" if hint else ""
        raise KeyError(f"no source, sink or plugin named {name!r}{extra}")


def _describe_class(cls: Any, name: str) -> dict[str, Any]:
    describe: Callable[[], dict[str, Any]] | None = getattr(cls, "describe", None)
    if callable(describe):
        info = dict(describe())
        info["type"] = name
        return info
    doc = (getattr(cls, "__doc__", "") or "").strip().split("\n\n")[0]
    return {
        "type": name,
        "class": f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', repr(cls))}",
        "help": " ".join(doc.split()),
        "options": [option.to_json() for option in getattr(cls, "options", ())],
    }


def _own_version() -> str | None:
    try:
        return metadata.version(PROJECT)
    except metadata.PackageNotFoundError:
        return None


def load_plugins(default_plugins: Iterable[str] = DEFAULT_PLUGINS, entry_points: bool = True) -> Plugins:
    """The usual entry: a fresh plugin manager wrapped in :class:`Plugins`, warnings collected."""
    warnings: list[str] = []
    pm = get_plugin_manager(warnings, default_plugins=default_plugins, entry_points=entry_points)
    return Plugins(pm, warnings)
