"""TOML text laid out the way ``docs/configuration.md`` writes it, with every value rendered by tomli-w.

``tomli_w.dumps`` is exact but picks its own layout: a short ``[[sources]]`` list becomes one inline
array, so a starter file would not look like the documentation it points to. Here tables become
``[headers]``, lists of tables become ``[[blocks]]``, tables nested in a block become inline tables, and
each key and scalar is still written by tomli-w (quoting and escapes are never hand-made).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tomli_w


def render(data: Mapping[str, Any]) -> str:
    """``data`` as TOML: scalars first, then ``[tables]``, then ``[[arrays of tables]]``, in order."""
    lines: list[str] = []
    _table(lines, (), data)
    return "\n".join(lines) + "\n" if lines else ""


def _table(lines: list[str], path: tuple[str, ...], table: Mapping[str, Any]) -> None:
    scalars = [(k, v) for k, v in table.items() if not _is_table(v) and not _is_table_array(v)]
    nested = [(k, v) for k, v in table.items() if _is_table(v) or _is_table_array(v)]
    if path and (scalars or not nested):
        _header(lines, f"[{_dotted(path)}]")
    lines.extend(f"{_key(k)} = {_value(v)}" for k, v in scalars)
    for key, value in nested:
        if _is_table(value):
            _table(lines, (*path, key), value)
            continue
        for item in value:
            _header(lines, f"[[{_dotted((*path, key))}]]")
            lines.extend(f"{_key(k)} = {_value(v)}" for k, v in item.items())


def _header(lines: list[str], header: str) -> None:
    if lines:
        lines.append("")
    lines.append(header)


def _is_table(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _value(value: Any) -> str:
    """One value on one line: inline tables and arrays built from tomli-w's scalars."""
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    text = tomli_w.dumps({"v": value})
    return text[len("v = ") :].rstrip("\n")


def _key(key: str) -> str:
    text = tomli_w.dumps({key: 0})
    return text[: -len(" = 0\n")]


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(_key(part) for part in path)
