"""Line numbers of the keys in a TOML document.

``tomllib`` parses values but reports no positions, and an operator told "unknown key 'refesh'" wants
to know *where*. This scanner walks the text once and maps every key path it can see to the line that
defines it. Paths use the shape of the parsed data: table names as strings, array-of-tables elements as
their index, so ``[[sources]]`` (second one) ``path = ...`` is ``("sources", 1, "path")``.

It is a locator, not a parser: the text has already been accepted by ``tomllib``, so it only needs to
follow headers, keys, inline tables and multi-line strings and arrays well enough to find lines.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_lines(text: str) -> dict[Path, int]:
    """Map every key path (and every table header path) in ``text`` to its 1-based line number."""
    scanner = _Scanner()
    for number, line in enumerate(text.splitlines(), start=1):
        scanner.feed(line, number)
    return scanner.lines


class _Scanner:
    def __init__(self) -> None:
        self.lines: dict[Path, int] = {}
        self.current: Path = ()
        self.arrays: dict[Path, int] = {}  # array-of-tables path -> index of its last element
        self.open_string: str | None = None  # delimiter of a multi-line string still open
        self.depth = 0  # brackets still open from a multi-line array

    def feed(self, line: str, number: int) -> None:
        pos = 0
        if self.open_string:
            end = line.find(self.open_string)
            if end < 0:
                return
            self.open_string = None
            pos = end + 3
        if self.depth or pos:
            self.depth, self.open_string = _skip_value(line, pos, self.depth)
            return
        stripped = line.lstrip()
        start = len(line) - len(stripped)
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith("[["):
            keys, _ = _parse_key(line, start + 2)
            if not keys:
                return
            parent = self._resolve(keys[:-1])
            array = (*parent, keys[-1])
            self.arrays[array] = self.arrays.get(array, -1) + 1
            self.current = (*array, self.arrays[array])
            self.lines.setdefault(self.current, number)
        elif stripped.startswith("["):
            keys, _ = _parse_key(line, start + 1)
            self.current = self._resolve(keys)
            self.lines.setdefault(self.current, number)
        else:
            keys, pos = _parse_key(line, start)
            if not keys:
                return
            path = (*self.current, *keys)
            self.lines.setdefault(path, number)
            pos = _skip_space(line, pos)
            if pos < len(line) and line[pos] == "=":
                self._value(line, _skip_space(line, pos + 1), path, number)

    def _resolve(self, keys: list[str]) -> Path:
        """A header's dotted keys as a data path: names of arrays of tables take their last index."""
        path: list[str | int] = []
        for key in keys:
            path.append(key)
            index = self.arrays.get(tuple(path))
            if index is not None:
                path.append(index)
        return tuple(path)

    def _value(self, line: str, pos: int, path: Path, number: int) -> None:
        if line.startswith("{", pos):
            _inline_table(line, pos, path, number, self.lines)
            return
        self.depth, self.open_string = _skip_value(line, pos, 0)


def _inline_table(line: str, pos: int, prefix: Path, number: int, lines: dict[Path, int]) -> int:
    """Record the keys of the inline table starting at ``line[pos] == "{"``; return the position after it."""
    pos += 1
    while pos < len(line):
        pos = _skip_space(line, pos)
        if pos >= len(line) or line[pos] == "}":
            return pos + 1
        if line[pos] == ",":
            pos += 1
            continue
        keys, pos = _parse_key(line, pos)
        if not keys:
            return len(line)
        path = (*prefix, *keys)
        lines.setdefault(path, number)
        pos = _skip_space(line, pos)
        if pos < len(line) and line[pos] == "=":
            pos = _skip_space(line, pos + 1)
        if pos < len(line) and line[pos] == "{":
            pos = _inline_table(line, pos, path, number, lines)
        else:
            pos = _end_of_value(line, pos)
    return pos


def _parse_key(line: str, pos: int) -> tuple[list[str], int]:
    """A dotted key (bare, "basic" or 'literal' parts) starting at ``pos``."""
    keys: list[str] = []
    while True:
        pos = _skip_space(line, pos)
        if pos >= len(line):
            return keys, pos
        char = line[pos]
        if char in "\"'":
            end = _string_end(line, pos)
            keys.append(_unquote(line[pos:end]))
            pos = end
        else:
            match = _BARE_KEY.match(line, pos)
            if not match:
                return keys, pos
            keys.append(match.group())
            pos = match.end()
        pos = _skip_space(line, pos)
        if pos < len(line) and line[pos] == ".":
            pos += 1
            continue
        return keys, pos


def _unquote(token: str) -> str:
    body = token[1:-1] if len(token) >= 2 else token
    if token.startswith('"'):
        return re.sub(r"\\(.)", r"\1", body)
    return body


def _string_end(line: str, pos: int) -> int:
    """Position just after the single-line string starting at ``pos``."""
    quote = line[pos]
    index = pos + 1
    while index < len(line):
        if quote == '"' and line[index] == "\\":
            index += 2
            continue
        if line[index] == quote:
            return index + 1
        index += 1
    return len(line)


def _skip_space(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in " \t":
        pos += 1
    return pos


def _end_of_value(line: str, pos: int) -> int:
    """Skip one value inside an inline table: stop at the ``,`` or ``}`` that ends it."""
    depth = 0
    while pos < len(line):
        char = line[pos]
        if char in "\"'":
            pos = _string_end(line, pos)
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0:
                return pos
            depth -= 1
        elif char == "," and depth == 0:
            return pos
        pos += 1
    return pos


def _skip_value(line: str, pos: int, depth: int) -> tuple[int, str | None]:
    """Follow brackets and strings to the end of the line.

    Returns the bracket depth still open (a multi-line array) and the delimiter of a multi-line string
    left open, so the next lines are skipped instead of being read as keys.
    """
    while pos < len(line):
        char = line[pos]
        if char == "#":
            break
        if line.startswith(('"""', "'''"), pos):
            delimiter = line[pos : pos + 3]
            end = line.find(delimiter, pos + 3)
            if end < 0:
                return depth, delimiter
            pos = end + 3
            continue
        if char in "\"'":
            pos = _string_end(line, pos)
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        pos += 1
    return depth, None
