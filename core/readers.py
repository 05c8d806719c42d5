"""Readers of the canonical event files (CSV, JSON array, JSON Lines) used by ``report``.

They yield events and rejections in file order; one bad row never stops the file. Positions are
1-based line numbers (the CSV header is line 1) or array indexes for a JSON array.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path

from .events import FIELDS, Event, EventError, Rejection, build_event, parse_event


def read_csv_lines(lines: Iterable[str], source: str, first_line: int = 1) -> Iterator[Event | Rejection]:
    """Canonical CSV: a header row naming the columns (any order, extra columns ignored), then one
    event a row."""
    reader = csv.reader(lines)
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as exc:
        yield Rejection(source, f"line {first_line}", f"unreadable header: {exc}")
        return
    if "ts" not in header or "kind" not in header:
        yield Rejection(source, f"line {first_line}", "header has no ts and kind columns")
        return
    width = len(header)
    # A missing column reads as the empty cell appended at index ``width``.
    pick = itemgetter(*(header.index(name) if name in header else width for name in FIELDS))
    padding = [""] * (width + 1)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Rejection(source, f"line {first_line + reader.line_num - 1}", f"unreadable row: {exc}")
            continue
        if not row:
            continue
        size = len(row)
        if size == width:
            row.append("")
        elif size < width:
            row.extend(padding[: width + 1 - size])
        else:
            position = f"line {first_line + reader.line_num - 1}"
            yield Rejection(source, position, f"{size} fields, header has {width}")
            continue
        try:
            yield build_event(pick(row))
        except EventError as exc:
            yield Rejection(source, f"line {first_line + reader.line_num - 1}", str(exc))


def read_json_text(text: str, source: str) -> Iterator[Event | Rejection]:
    """A JSON array of event objects, or JSON Lines (one object a line)."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            # several lines the first of which is an array is JSON Lines, not one broken array
            if exc.msg != "Extra data" or sum(1 for line in text.splitlines() if line.strip()) < 2:
                yield Rejection(source, f"line {exc.lineno}", f"malformed JSON: {exc.msg}")
                return
        else:
            for index, item in enumerate(items):
                yield _from_object(item, source, f"item {index}")
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(source, f"line {number}", f"malformed JSON: {exc.msg}")
            continue
        yield _from_object(item, source, f"line {number}")


def _from_object(item: object, source: str, position: str) -> Event | Rejection:
    if not isinstance(item, dict):
        return Rejection(source, position, f"expected an object, got {type(item).__name__}")
    try:
        return parse_event(item)
    except EventError as exc:
        return Rejection(source, position, str(exc))


def read_event_file(path: str | Path) -> Iterator[Event | Rejection]:
    """Read a canonical event file, choosing the format by its first non-blank character."""
    path = Path(path)
    source = path.name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        head = handle.read(4096)
        handle.seek(0)
        first = head.lstrip()[:1]
        if first in ("[", "{"):
            yield from read_json_text(handle.read(), source)
        else:
            yield from read_csv_lines(handle, source)
