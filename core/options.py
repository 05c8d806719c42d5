"""Declared plugin options: one declaration drives config validation, ``plugins --describe`` and errors.

A plugin class lists its options as :class:`Option` values (name, type, default, help). The host
validates a config table against them with :func:`validate_options`, so every plugin gets the same
checks and the same messages: unknown keys name the key and suggest the closest valid one, wrong types
say what was expected, missing required options say which.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .suggest import closest

TYPES = ("str", "int", "float", "bool", "list", "dict", "path")
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class OptionError(ValueError):
    """A config table that does not match a plugin's declared options."""


@dataclass(frozen=True, slots=True)
class Option:
    """One option of a plugin: its name in the config table, its type, default and help text.

    ``secret`` marks a value never to be shown (tokens); ``choices`` restricts a ``str`` option.
    """

    name: str
    type: str
    default: Any = None
    help: str = ""
    required: bool = False
    secret: bool = False
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"option {self.name!r}: unknown type {self.type!r} (one of {', '.join(TYPES)})")

    def to_json(self) -> dict[str, Any]:
        """The declaration as shown by ``sellerpulse plugins --json`` (a secret's default is masked)."""
        default = self.default
        if isinstance(default, Path):
            default = str(default)
        if self.secret and default not in (None, ""):
            default = "***"
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "default": default,
            "help": self.help,
            "required": self.required,
            "secret": self.secret,
        }
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def validate_options(
    declared: Iterable[Option],
    table: Mapping[str, Any],
    where: str | Callable[[str | None], str],
    base_dir: str | Path | None = None,
) -> dict[str, Any]:
    """Check ``table`` against ``declared`` and return every declared option with its value.

    Missing options take their default (a fresh copy for lists and dicts). Strings are accepted for
    ``int``, ``float`` and ``bool`` options because ``${ENV}`` references arrive as text. Relative
    ``path`` values are resolved against ``base_dir`` (the config file's folder) when one is given.
    All problems are reported at once, each prefixed with ``where`` - a text, or a function of the
    offending key (None for the table itself) so a config loader can point at the key's line.
    The value of a ``secret`` option is never repeated in a message.
    """
    at = where if callable(where) else (lambda _key: where)
    declared = tuple(declared)
    by_name = {option.name: option for option in declared}
    problems: list[str] = []
    for key in table:
        if key not in by_name:
            hint = closest(str(key), by_name)
            valid = ", ".join(by_name) or "none"
            suggestion = f"; did you mean {hint!r}?" if hint else f" (valid options: {valid})"
            problems.append(f"{at(str(key))}: unknown option {key!r}{suggestion}")
    values: dict[str, Any] = {}
    for option in declared:
        if option.name not in table:
            if option.required:
                problems.append(f"{at(None)}: missing required option {option.name!r} ({option.help})")
                continue
            values[option.name] = _copy_default(option.default)
            continue
        try:
            values[option.name] = _coerce(option, table[option.name], base_dir)
        except OptionError as exc:
            reason = f"expected {option.type}" if option.secret else str(exc)
            problems.append(f"{at(option.name)}: option {option.name!r}: {reason}")
    if problems:
        raise OptionError("\n".join(problems))
    return values


def _copy_default(default: Any) -> Any:
    if isinstance(default, list):
        return list(default)
    if isinstance(default, dict):
        return dict(default)
    return default


def _coerce(option: Option, value: Any, base_dir: str | Path | None) -> Any:
    kind = option.type
    if kind == "str":
        if not isinstance(value, str):
            raise OptionError(f"expected text, got {_describe(value)}")
        if option.choices and value not in option.choices:
            hint = closest(value, option.choices)
            extra = f"; did you mean {hint!r}?" if hint else ""
            raise OptionError(f"{value!r} is not one of {', '.join(option.choices)}{extra}")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise OptionError(f"expected an integer, got {_describe(value)}")
        try:
            return int(value)
        except ValueError:
            raise OptionError(f"expected an integer, got {value!r}") from None
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise OptionError(f"expected a number, got {_describe(value)}")
        try:
            return float(value)
        except ValueError:
            raise OptionError(f"expected a number, got {value!r}") from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise OptionError(f"expected true or false, got {_describe(value)}")
    if kind == "list":
        if isinstance(value, str):
            return [value]
        if not isinstance(value, (list, tuple)):
            raise OptionError(f"expected a list, got {_describe(value)}")
        return list(value)
    if kind == "dict":
        if not isinstance(value, Mapping):
            raise OptionError(f"expected a table, got {_describe(value)}")
        return dict(value)
    # path
    if not isinstance(value, (str, Path)) or not str(value):
        raise OptionError(f"expected a file path, got {_describe(value)}")
    path = Path(os.path.expanduser(str(value)))
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return path


def _describe(value: Any) -> str:
    if isinstance(value, (str, int, float, bool)):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__
