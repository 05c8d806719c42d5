"""The configuration file: what it may contain, checked strictly (where it is found:
:mod:`.config_locations`; how its secrets are masked: :mod:`.secrets`).

One TOML file configures everything (see ``docs/configuration.md``). Loading it is strict on purpose: an
unknown key is an error naming the file, the line and the closest valid key, because a silently ignored
``refesh = 1`` costs an operator an afternoon. Plugin tables (``[[sources]]``, ``[[sinks]]``) are only
checked for ``type`` and a unique ``name`` here; their options are validated against what the plugin
declares. ``[[alerts]]`` rules are validated by the alerts layer.

Any string value may reference an environment variable as ``${NAME}`` (``$${`` writes a literal ``${``).
The substituted values are collected in :attr:`Config.secrets` so that display, logs and errors can
mask them (:func:`sellerpulse.core.secrets.mask`).
"""

from __future__ import annotations

import os
import re
import tomllib
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sellerpulse.core.engine.engine import DEFAULT_MAX_ACCOUNTS
from sellerpulse.core.profile import (
    MetricSpec,
    Profile,
    ProfileError,
    QueueSpec,
    builtin_profile,
    builtin_profile_names,
)
from sellerpulse.core.secrets import is_secret_key, mask, masked_data, permission_warnings, url_secrets
from sellerpulse.core.suggest import closest
from sellerpulse.core.tomllines import key_lines

REFRESH_FLOOR = 0.5
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")

KeyPath = tuple[str | int, ...]


class ConfigError(ValueError):
    """A configuration that cannot be used; ``str()`` reads ``FILE, line N: what is wrong (hint)``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.key = key
        self.suggestion = suggestion

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}, line {self.line}: " if self.line else f"{self.path}: "
        hint = f" (did you mean {self.suggestion!r}?)" if self.suggestion else ""
        return f"{where}{self.message}{hint}"


@dataclass(frozen=True, slots=True)
class Setting:
    """One documented setting: its dotted key, default (``None``: computed or absent) and why it exists."""

    key: str
    default: Any
    doc: str


DEFAULTS: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("general.profile", "amazon", "marketplace profile used by accounts that do not name one"),
        Setting("general.timezone", "UTC", "default account time zone (IANA name, e.g. America/New_York)"),
        Setting("general.refresh", 2.0, f"seconds between UI refreshes (floor {REFRESH_FLOOR})"),
        Setting(
            "general.state", None, "state file (SQLite); default: state.sqlite3 in the user data directory"
        ),
        Setting("general.log_level", "info", "log level: " + ", ".join(LOG_LEVELS)),
        Setting("general.log_file", None, "log file; default: sellerpulse.log in the user state directory"),
        Setting(
            "general.max_accounts",
            DEFAULT_MAX_ACCOUNTS,
            "most accounts held; events of more are rejected (accounts named in [accounts] are always held)",
        ),
        Setting("accounts.ID.name", None, "display name of the account; default: its id"),
        Setting("accounts.ID.timezone", None, "the account's time zone; default: general.timezone"),
        Setting("accounts.ID.profile", None, "the account's marketplace profile; default: general.profile"),
        Setting(
            "profiles.NAME", None, "overrides of any value of a profile (metrics.ID.*, queues.ID.*, ...)"
        ),
        Setting("sources.type", None, "registered name of the source plugin (required)"),
        Setting("sources.name", None, "unique name of the source; default: its type"),
        Setting("sinks.type", None, "registered name of the alert sink plugin (required)"),
        Setting("sinks.name", None, "unique name of the sink; default: its type"),
        Setting("alerts", None, "alert rules; the profile's default rules apply when none are given"),
        Setting("keymap.BINDING", None, 'keys for a binding id, comma separated (e.g. pause = "p,space")'),
    )
}

_TOP_KEYS = ("general", "accounts", "profiles", "sources", "sinks", "alerts", "keymap")
_GENERAL_KEYS = ("profile", "timezone", "refresh", "state", "log_level", "log_file", "max_accounts")
_ACCOUNT_KEYS = ("name", "timezone", "profile")
_PROFILE_KEYS = ("marketplace", "due_soon_hours", "horizon_days", "metrics", "queues", "weekly",
                 "periods", "ladder")  # fmt: skip
_METRIC_KEYS = tuple(f.name for f in fields(MetricSpec) if f.name != "id")
_QUEUE_KEYS = tuple(f.name for f in fields(QueueSpec) if f.name != "id")
_VARIABLE = re.compile(r"\$(\$?)\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True, slots=True)
class GeneralSettings:
    profile: str = "amazon"
    timezone: str = "UTC"
    refresh: float = 2.0
    state: str | None = None
    log_level: str = "info"
    log_file: str | None = None
    max_accounts: int = DEFAULT_MAX_ACCOUNTS


@dataclass(frozen=True, slots=True)
class AccountSettings:
    name: str
    timezone: str
    profile: str


@dataclass(slots=True)
class Config:
    """The loaded configuration. ``path`` is ``None`` when only defaults apply."""

    path: Path | None = None
    general: GeneralSettings = field(default_factory=GeneralSettings)
    accounts: dict[str, AccountSettings] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: list[dict[str, Any]] = field(default_factory=list)
    sinks: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    keymap: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    lines: dict[KeyPath, int] = field(default_factory=dict, repr=False)

    def account(self, account: str) -> AccountSettings:
        """Settings of ``account``; an account only seen in events gets the general defaults."""
        found = self.accounts.get(account)
        if found is not None:
            return found
        return AccountSettings(name=account, timezone=self.general.timezone, profile=self.general.profile)

    def timezone_for(self, account: str) -> str:
        return self.account(account).timezone

    def profile_for(self, account: str, registry: Mapping[str, Profile] | None = None) -> Profile:
        """The account's profile with the ``[profiles.NAME]`` overrides applied.

        ``registry`` holds profiles registered by plugins (name -> Profile); built-in profiles are
        found without it.
        """
        name = self.account(account).profile
        return self.profile_named(name, registry)

    def profile_named(self, name: str, registry: Mapping[str, Profile] | None = None) -> Profile:
        if registry is not None and name in registry:
            base = registry[name]
        else:
            try:
                base = builtin_profile(name)
            except ProfileError:
                known = sorted({*(registry or {}), *builtin_profile_names()})
                raise ConfigError(
                    f"unknown profile {name!r}; known profiles: {', '.join(known)}",
                    path=self.path,
                    suggestion=closest(name, known),
                ) from None
        overrides = self.profiles.get(name)
        if not overrides:
            return base
        try:
            return base.with_overrides(overrides)
        except ProfileError as error:
            raise ConfigError(str(error), path=self.path, line=self.line_of(("profiles", name))) from None

    def line_of(self, path: KeyPath, key: str | None = None) -> int | None:
        """Line of ``path`` (plus ``key``) in the file, or of the closest enclosing table found."""
        full = (*path, key) if key is not None else tuple(path)
        while full:
            line = self.lines.get(full)
            if line is not None:
                return line
            full = full[:-1]
        return None

    def error(
        self, path: KeyPath, message: str, *, key: str | None = None, valid: Iterable[str] = ()
    ) -> ConfigError:
        """A :class:`ConfigError` located at ``path``/``key``; with ``valid`` keys, a suggestion.

        For plugin option validation: ``raise config.error(("sources", 0), "unknown key 'paht'",
        key="paht", valid=declared_names)``.
        """
        suggestion = closest(key, valid) if key is not None else None
        return ConfigError(
            mask(message, self.secrets),
            path=self.path,
            line=self.line_of(path, key),
            key=key,
            suggestion=suggestion,
        )

    def add_plugin_secrets(self, plugins: Any) -> set[str]:
        """Treat the values of options a plugin declares ``secret`` as secrets, even when written literally.

        ``plugins`` is a :class:`~sellerpulse.core.plugins.Plugins` (``source_class``/``sink_class`` by
        type name); unknown types are skipped (they are reported when the sources are built). Returns
        the values added, so a running logger can be told (:func:`sellerpulse.core.logs.add_secrets`).
        """
        added: set[str] = set()
        for section, lookup in (("sources", plugins.source_class), ("sinks", plugins.sink_class)):
            for table in getattr(self, section):
                try:
                    options = getattr(lookup(table.get("type", "")), "options", ())
                except KeyError:
                    continue
                for option in options:
                    if getattr(option, "secret", False):
                        added.update(_strings(table.get(option.name)))
        added -= self.secrets
        self.secrets.update(added)
        return added

    def resolve_path(self, value: str | os.PathLike[str]) -> Path:
        """A path from the config: ``~`` expanded, relative paths taken from the config file's folder."""
        candidate = Path(value).expanduser()
        if candidate.is_absolute() or self.path is None:
            return candidate
        return self.path.parent / candidate


def load_config(
    path: str | Path | None = None, *, env: Mapping[str, str] | None = None, explicit: bool = False
) -> Config:
    """Read and validate the config at ``path`` (``None``: the defaults). Raises :class:`ConfigError`.

    ``explicit`` says the operator named the file (``--config`` or the environment variable), which
    only changes how a missing file is reported.
    """
    if path is None:
        return Config()
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        how = "the config file given" if explicit else "config file"
        raise ConfigError(
            f"{how} does not exist (`sellerpulse config init --path {file}` writes one)", path=file
        ) from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text ({error.reason} at byte {error.start})", path=file) from None
    except OSError as error:
        raise ConfigError(f"cannot read the config file: {error.strerror}", path=file) from None
    config = loads_config(text, path=file, env=env)
    config.warnings.extend(permission_warnings(file, text))
    return config


def loads_config(
    text: str, *, path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Validate config ``text`` (``path`` only names it in messages and anchors relative paths)."""
    file = Path(path) if path is not None else None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}", path=file) from None
    return _Loader(file, text, os.environ if env is None else env).load(data)


class _Loader:
    def __init__(self, path: Path | None, text: str, env: Mapping[str, str]) -> None:
        self.path = path
        self.env = env
        self.lines = key_lines(text)
        self.secrets: set[str] = set()
        self.warnings: list[str] = []

    # -- errors -------------------------------------------------------------------------------------
    def error(
        self, where: KeyPath, message: str, *, key: str | None = None, suggestion: str | None = None
    ) -> ConfigError:
        full = (*where, key) if key is not None else where
        line = None
        while full and line is None:
            line = self.lines.get(full)
            full = full[:-1]
        return ConfigError(
            mask(message, self.secrets), path=self.path, line=line, key=key, suggestion=suggestion
        )

    def check_keys(self, where: KeyPath, table: Mapping[str, Any], valid: Iterable[str]) -> None:
        valid = tuple(valid)
        for key in table:
            if key not in valid:
                suggestion = closest(key, valid)
                listing = "" if suggestion else f"; valid keys: {', '.join(valid)}"
                raise self.error(
                    where,
                    f"unknown key {key!r} in {_table_name(where)}{listing}",
                    key=key,
                    suggestion=suggestion,
                )

    def table(self, where: KeyPath, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, f"{_dotted(where)} must be a table, not {_kind(value)}")
        return value

    def string(self, where: KeyPath, key: str, value: Any) -> str:
        if not isinstance(value, str):
            raise self.error(where, f"{_dotted((*where, key))} must be a string, not {_kind(value)}", key=key)
        return value

    def timezone(self, where: KeyPath, key: str, value: Any) -> str:
        name = self.string(where, key, value)
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise self.error(
                where,
                f"{_dotted((*where, key))}: unknown time zone {name!r} (an IANA name such as Europe/Berlin)",
                key=key,
            ) from None
        return name

    # -- substitution -------------------------------------------------------------------------------
    def substitute(self, where: KeyPath, value: Any) -> Any:
        """Replace ``${NAME}`` in every string value below ``where``; collect the values as secrets."""
        if isinstance(value, dict):
            return {k: self.substitute((*where, k), v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.substitute((*where, i), v) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return match.group()[1:]
            name = match.group(2)
            if not _NAME.match(name):
                raise self.error(
                    where[:-1], f"{_dotted(where)}: '${{{name}}}' is not a valid variable reference "
                    "(names are letters, digits and _; write $${ for a literal ${)", key=_last_key(where),
                )  # fmt: skip
            if name not in self.env:
                raise self.error(
                    where[:-1], f"environment variable {name} is not set (referenced by {_dotted(where)})",
                    key=_last_key(where),
                )  # fmt: skip
            resolved = self.env[name]
            if resolved:
                self.secrets.add(resolved)
            return resolved

        return _VARIABLE.sub(replace, value)

    def collect_literal_secrets(self, value: Any, key: str | int | None = None) -> None:
        """String values under secret-looking keys (``token``, ``api_key``...) are masked like ``${}``."""
        if isinstance(value, dict):
            for k, v in value.items():
                self.collect_literal_secrets(v, k)
        elif isinstance(value, list):
            for v in value:
                self.collect_literal_secrets(v, key)
        elif isinstance(value, str) and value:
            if isinstance(key, str) and is_secret_key(key):
                self.secrets.add(value)
                scheme = re.fullmatch(r"[A-Za-z]+\s+(\S+)", value)  # "Bearer TOKEN": the token alone too
                if scheme:
                    self.secrets.add(scheme.group(1))
            self.secrets.update(url_secrets(value))

    # -- sections -----------------------------------------------------------------------------------
    def load(self, data: dict[str, Any]) -> Config:
        self.check_keys((), data, _TOP_KEYS)
        data = self.substitute((), data)
        self.collect_literal_secrets(data)
        general = self.general(data.get("general", {}))
        accounts_table = self.table(("accounts",), data.get("accounts", {}))
        accounts = {
            account_id: self.account(account_id, values, general)
            for account_id, values in accounts_table.items()
        }
        profiles_table = self.table(("profiles",), data.get("profiles", {}))
        profiles = {name: self.profile(name, values) for name, values in profiles_table.items()}
        keymap_table = self.table(("keymap",), data.get("keymap", {}))
        keymap = {binding: self.string(("keymap",), binding, keys) for binding, keys in keymap_table.items()}
        return Config(
            path=self.path,
            general=general,
            accounts=accounts,
            profiles=profiles,
            sources=self.plugin_tables("sources", data.get("sources", [])),
            sinks=self.plugin_tables("sinks", data.get("sinks", [])),
            alerts=self.array_of_tables("alerts", data.get("alerts", [])),
            keymap=keymap,
            secrets=self.secrets,
            warnings=self.warnings,
            lines=self.lines,
        )

    def general(self, value: Any) -> GeneralSettings:
        where = ("general",)
        table = self.table(where, value)
        self.check_keys(where, table, _GENERAL_KEYS)
        defaults = GeneralSettings()
        refresh = table.get("refresh", defaults.refresh)
        if isinstance(refresh, bool) or not isinstance(refresh, int | float):
            raise self.error(
                where, f"general.refresh must be a number of seconds, not {_kind(refresh)}", key="refresh"
            )
        if not refresh > 0 or refresh == float("inf"):
            raise self.error(
                where, f"general.refresh must be a positive number of seconds, not {refresh}", key="refresh"
            )
        if refresh < REFRESH_FLOOR:
            floor = f"general.refresh {refresh} raised to the {REFRESH_FLOOR} s floor"
            self.warnings.append(f"{self.path or 'config'}: {floor}")
            refresh = REFRESH_FLOOR
        level = self.string(where, "log_level", table.get("log_level", defaults.log_level)).lower()
        if level not in LOG_LEVELS:
            raise self.error(
                where, f"general.log_level must be one of {', '.join(LOG_LEVELS)}, not {level!r}",
                key="log_level", suggestion=closest(level, LOG_LEVELS),
            )  # fmt: skip
        profile = self.string(where, "profile", table.get("profile", defaults.profile))
        if not profile.strip():
            raise self.error(where, "general.profile must name a profile", key="profile")
        state = table.get("state")
        log_file = table.get("log_file")
        max_accounts = table.get("max_accounts", defaults.max_accounts)
        if isinstance(max_accounts, bool) or not isinstance(max_accounts, int) or max_accounts < 1:
            raise self.error(
                where, f"general.max_accounts must be a whole number of at least 1, not {max_accounts!r}",
                key="max_accounts",
            )  # fmt: skip
        return GeneralSettings(
            profile=profile,
            timezone=self.timezone(where, "timezone", table.get("timezone", defaults.timezone)),
            refresh=float(refresh),
            state=None if state is None else self.string(where, "state", state),
            log_level=level,
            log_file=None if log_file is None else self.string(where, "log_file", log_file),
            max_accounts=max_accounts,
        )

    def account(self, account_id: str, value: Any, general: GeneralSettings) -> AccountSettings:
        where = ("accounts", account_id)
        table = self.table(where, value)
        self.check_keys(where, table, _ACCOUNT_KEYS)
        return AccountSettings(
            name=self.string(where, "name", table.get("name", account_id)),
            timezone=self.timezone(where, "timezone", table.get("timezone", general.timezone)),
            profile=self.string(where, "profile", table.get("profile", general.profile)),
        )

    def profile(self, name: str, value: Any) -> dict[str, Any]:
        """Check the override keys; for a built-in profile, also that every value applies cleanly."""
        where = ("profiles", name)
        table = self.table(where, value)
        self.check_keys(where, table, _PROFILE_KEYS)
        try:
            base: Profile | None = builtin_profile(name)
        except ProfileError:
            base = None  # registered by a plugin: checked when the profile is used
        for section, valid in (("metrics", _METRIC_KEYS), ("queues", _QUEUE_KEYS)):
            entries = self.table((*where, section), table.get(section, {}))
            for entry_id, entry in entries.items():
                entry_where = (*where, section, entry_id)
                self.check_keys(entry_where, self.table(entry_where, entry), valid)
                if base is None:
                    continue
                known = base.metrics if section == "metrics" else base.queues
                if entry_id not in known and "rule" not in entry:
                    what = "metric" if section == "metrics" else "queue"
                    need = " (a new metric needs rule and window_days)" if section == "metrics" else ""
                    raise self.error(
                        (*where, section), f"profile {name} has no {what} {entry_id!r}{need}",
                        key=entry_id, suggestion=closest(entry_id, known),
                    )  # fmt: skip
                if entry_id in known:  # one key at a time, so an error points at its line
                    for key, item in entry.items():
                        self.apply(base, {section: {entry_id: {key: item}}}, entry_where, key)
                self.apply(base, {section: {entry_id: entry}}, entry_where)
        if base is not None:
            scalars = {k: v for k, v in table.items() if k not in ("metrics", "queues")}
            for key, scalar in scalars.items():
                self.apply(base, {key: scalar}, where, key)
        return table

    def apply(self, base: Profile, overrides: dict[str, Any], where: KeyPath, key: str | None = None) -> None:
        try:
            base.with_overrides(overrides)
        except ProfileError as error:
            raise self.error(where, str(error), key=key) from None

    def array_of_tables(self, section: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(
                (section,),
                f"{section} must be an array of tables ([[{section}]] sections), not {_kind(value)}",
            )
        return value

    def plugin_tables(self, section: str, value: Any) -> list[dict[str, Any]]:
        """``type`` is required and names must be unique; the rest belongs to the plugin."""
        tables = self.array_of_tables(section, value)
        seen: dict[str, int] = {}
        result = []
        for index, table in enumerate(tables):
            where: KeyPath = (section, index)
            kind = table.get("type")
            if kind is None:
                typo = closest("type", [k for k in table if k != "type"])
                hint = f"; is {typo!r} a typo of 'type'?" if typo else ""
                raise self.error(
                    where, f"[[{section}]] #{index + 1} needs a type (the plugin's registered name){hint}"
                )
            kind = self.string(where, "type", kind)
            name = self.string(where, "name", table.get("name", kind))
            if name in seen:
                raise self.error(
                    where, f"[[{section}]] #{index + 1} and #{seen[name] + 1} are both named {name!r}; "
                    "give each its own name", key="name" if "name" in table else "type",
                )  # fmt: skip
            seen[name] = index
            result.append({**table, "name": name})
        return result


def config_to_display(config: Config) -> dict[str, Any]:
    """The effective configuration as TOML-ready data, every secret masked, ``None`` values left out."""
    general = {k: getattr(config.general, k) for k in _GENERAL_KEYS if getattr(config.general, k) is not None}
    data: dict[str, Any] = {"general": general}
    if config.accounts:
        data["accounts"] = {
            account_id: {"name": a.name, "timezone": a.timezone, "profile": a.profile}
            for account_id, a in config.accounts.items()
        }
    if config.profiles:
        data["profiles"] = config.profiles
    for section in ("sources", "sinks", "alerts"):
        if getattr(config, section):
            data[section] = getattr(config, section)
    if config.keymap:
        data["keymap"] = config.keymap
    return masked_data(data, config.secrets)


# -- helpers ------------------------------------------------------------------------------------------


def _strings(value: Any) -> list[str]:
    """Every non-empty string inside ``value`` (a scalar, or the values of a table or array)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _last_key(where: KeyPath) -> str | None:
    last = where[-1] if where else None
    return last if isinstance(last, str) else None


def _dotted(where: KeyPath) -> str:
    """``general.refresh``; in an array of tables, ``[[sources]] #2 headers.token`` (counted from 1)."""
    if len(where) >= 2 and isinstance(where[1], int):
        rest = _dotted(where[2:]) if where[2:] else ""
        return f"[[{where[0]}]] #{where[1] + 1}" + (f" {rest}" if rest else "")
    out = ""
    for part in where:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + (part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"')
    return out or "the file"


def _table_name(where: KeyPath) -> str:
    if not where:
        return "the top level"
    if len(where) >= 2 and isinstance(where[1], int):
        return _dotted(where)
    return f"[{_dotted(where)}]"


def _kind(value: Any) -> str:
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return kinds.get(type(value), f"a {type(value).__name__}")
