"""The readers of event files: the one CSV reader, which ``report --events`` and the ``csv`` source both
use (so a file gives one answer whichever way it is read), and the JSON reader.

The CSV rules (docs/events.md, "Files"), the same for every caller:

- lines end with LF or CRLF, and a record is one line. A quoted field may hold the delimiter and doubled
  quotes, not a line break: a line whose quote is still open at its end is rejected, and the next line is
  read as a row of its own. So a stray quote costs its own line, never the rows after it, and a followed
  file never waits for a quote to close;
- each line is decoded alone: a line that is not text in the file's encoding is rejected;
- a line longer than ``max_line`` bytes is rejected without being held in memory;
- blank lines are skipped; the first other line is the header, and a file whose header cannot be read
  (undecodable, too long, or not a format the caller reads) cannot be read at all
  (:class:`CsvFormatError`);
- a row with fewer fields than the header has its missing fields empty; one with more is rejected.

Positions are 1-based line numbers (the header is line 1 when nothing precedes it), or array indexes
for a JSON array. Only regular files are opened (:func:`open_regular`): a FIFO never ends its open and
a device never ends its data.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Callable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO, Protocol

from .events import DEFAULT_ACCOUNT, FIELDS, Event, EventError, Rejection, build_event, parse_event
from .sources import Batch

CHUNK_BYTES = 1 << 18  # ~2,500 rows: a read never holds the interpreter long from the UI
MAX_LINE_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a directory"), (stat.S_ISSOCK, "a socket"),
)  # fmt: skip


class NotRegularFile(OSError):
    """A path that names a FIFO, a device, a directory or a socket: never read as an event file."""


class CsvFormatError(ValueError):
    """A file whose header cannot be read, or is not one the caller reads; ``line`` is the header's, and
    ``where`` names the file in the message."""

    def __init__(self, line: int, reason: str, where: str = "") -> None:
        super().__init__(f"{where}: line {line}: {reason}" if where else f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def _not_regular(path: str | Path, mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), "not a file")
    return f"{path}: {kind}, not a regular file; event files are read from regular files only"


def open_regular(path: str | Path) -> BinaryIO:
    """Open ``path`` for reading in binary, refusing anything but a regular file (:class:`NotRegularFile`).

    The open itself does not block (a FIFO without a writer would block it for ever); the file type is
    checked on the opened descriptor, so a path swapped in between cannot slip through.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(_not_regular(path, mode))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def event_file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be an event file (missing, or not a regular file), or None when it can."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return f"no such event file: {path}"
    return None if stat.S_ISREG(mode) else _not_regular(path, mode)


class RowMapper(Protocol):
    """Turns the rows of a non-canonical file (a marketplace report) into events; a ``ValueError`` from
    :meth:`map` rejects the row. ``skipped`` counts, by reason, what the rows could not tell."""

    skipped: dict[str, int]

    def map(self, row: list[str]) -> list[Event]: ...


Choose = Callable[[list[str]], tuple[str, RowMapper | None]]


def canonical_only(header: list[str]) -> tuple[str, RowMapper | None]:
    """The header decision of ``report --events``: every CSV file is canonical events. (A ``Choose``
    returns the format's name and its mapper, None for canonical events, or raises ``ValueError``.)"""
    return "events", None


class RowError(ValueError):
    """Why one line is not a row."""


def split_row(text: str, delimiter: str) -> list[str]:
    """One line into fields. Tabs split plainly (Amazon's flat files do not quote); commas as RFC 4180
    within the line (quoted fields hold commas and doubled quotes)."""
    if delimiter == "\t" or '"' not in text:
        return text.split(delimiter)
    try:
        return next(csv.reader((text,), strict=True))
    except csv.Error as exc:
        if str(exc) == "unexpected end of data":
            raise RowError("quote not closed on its line (a quoted field cannot hold a line break)") from None
        raise RowError(f"unreadable row: {exc}") from None


class CsvReader:
    """Bytes of one CSV or tab-separated file -> events and rejections, fed chunk by chunk.

    ``offset`` counts the bytes consumed and ``line`` numbers the next line (the one being dropped while
    ``skipping``), so a caller following a growing file can save the three and :meth:`resume` later.
    ``choose`` decides what a header means (canonical events, or a :class:`RowMapper` for a report);
    ``account`` fills canonical rows that name none.
    """

    def __init__(
        self,
        source: str,
        choose: Choose = canonical_only,
        *,
        encoding: str = "utf-8",
        max_line: int = MAX_LINE_BYTES,
        account: str = DEFAULT_ACCOUNT,
    ) -> None:
        self.source = source
        self.choose = choose
        self.encoding = encoding
        self.max_line = max_line
        self.account = "" if account == DEFAULT_ACCOUNT else account
        self.offset = 0
        self.line = 1
        self.header_text = ""
        self.format = ""  # set once the header is read
        self.mapper: RowMapper | None = None
        self._buf = b""
        self.skipping = False  # inside an over-long line (rejected), dropping bytes up to its newline
        self._delimiter = ","
        self._width = 0
        self._pick: Callable[[list[str]], tuple[str, ...]] = itemgetter(0)
        self._padding: list[str] = []

    @property
    def pending(self) -> int:
        """Bytes fed but not read yet: the start of a line whose newline has not come."""
        return len(self._buf)

    def resume(self, offset: int, line: int, header_text: str, skipping: bool = False) -> None:
        """Continue a file read earlier up to ``offset``: the start of line ``line``, or, when
        ``skipping``, a point inside that line, which was too long and is dropped up to its end."""
        self.offset, self.line, self._buf, self.skipping = offset, line, b"", skipping
        self._set_header(header_text, line)

    def feed(self, data: bytes, batch: Batch) -> None:
        """Read every line that ``data`` completes into ``batch``; keep the rest for the next call."""
        self._buf += data
        if self.skipping:
            cut = self._buf.find(b"\n")
            if cut < 0:
                self.offset += len(self._buf)
                self._buf = b""
                return
            self.offset += cut + 1
            self.line += 1
            self.skipping = False
            self._buf = self._buf[cut + 1 :]
        end = self._buf.rfind(b"\n")
        if end >= 0:
            block, self._buf = self._buf[: end + 1], self._buf[end + 1 :]
            self._lines(block, batch)
        if len(self._buf) > self.max_line + 1:  # (+1: a CR that ends the line is not part of it)
            self._too_long(self.line, batch)
            self.skipping = True
            self.offset += len(self._buf)
            self._buf = b""

    def finish(self, batch: Batch) -> None:
        """The file ends here: a last line without its newline is complete. (While ``skipping``, nothing
        is pending: a too-long last line stays dropped.)"""
        if self._buf:
            block, self._buf = self._buf + b"\n", b""
            self._lines(block, batch)
            self.offset -= 1

    def _lines(self, block: bytes, batch: Batch) -> None:
        """A block of complete lines (ending with a newline) into events and rejections."""
        start = self.offset
        try:
            text = block.decode(self.encoding)
        except UnicodeDecodeError:
            self._lines_one_by_one(block, batch)
        else:
            lines = text.split("\n")
            lines.pop()  # the block ends with a newline: nothing after it
            if "\r" in text:
                lines = [line[:-1] if line.endswith("\r") else line for line in lines]
            self._rows(lines, batch)
        self.offset = start + len(block)

    def _lines_one_by_one(self, block: bytes, batch: Batch) -> None:
        """The slow path for a block with undecodable bytes: each line decoded (or rejected) alone."""
        for raw in block.split(b"\n")[:-1]:
            if len(raw.removesuffix(b"\r")) > self.max_line:
                self._too_long(self.line, batch)  # as if it had come in pieces: too long before undecodable
                self.line += 1
                continue
            try:
                line = raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                reason = f"not {self.encoding} text: {exc.reason} at byte {exc.start}"
                if not self.format:
                    raise CsvFormatError(self.line, f"the header is {reason}") from None
                self._reject(batch, self.line, reason)
                self.line += 1
                continue
            self._rows([line[:-1] if line.endswith("\r") else line], batch)

    def _rows(self, lines: list[str], batch: Batch) -> None:
        index = 0
        while not self.format and index < len(lines):
            self._header(lines[index])
            index += 1
        if index:
            lines = lines[index:]
        if self.mapper is None:
            self._canonical(lines, batch)
        else:
            self._mapped(lines, batch)

    def _header(self, line: str) -> None:
        number = self.line
        self.line += 1
        if line and not line.isspace():
            if self._long(line):
                raise self._header_too_long(number)
            self._set_header(line, number)

    def _set_header(self, text: str, number: int) -> None:
        if "\r" in text:  # the file's lines end with a lone CR: all of it would be one header line
            raise CsvFormatError(
                number, "the header holds a carriage return (lines must end with LF or CRLF)"
            )
        delimiter = "\t" if "\t" in text else ","
        try:
            header = split_row(text, delimiter)
        except RowError as exc:
            raise CsvFormatError(number, f"unreadable header: {exc}") from None
        header[0] = header[0].lstrip("\ufeff")
        try:
            fmt, mapper = self.choose(header)
        except ValueError as exc:
            raise CsvFormatError(number, str(exc)) from None
        if mapper is None:
            header = [name.strip() for name in header]
            missing = [name for name in ("ts", "kind") if name not in header]
            if missing:
                raise CsvFormatError(number, f"an events file needs a {' and '.join(missing)} column")
            # a missing column reads as the empty cell appended at index ``width``
            self._width = len(header)
            self._pick = itemgetter(*(header.index(n) if n in header else self._width for n in FIELDS))
            self._padding = [""] * (self._width + 1)
        self.header_text, self.format, self.mapper, self._delimiter = text, fmt, mapper, delimiter

    def _long(self, line: str) -> bool:
        # a character is at most 4 bytes: only long-looking lines pay for an exact count
        return len(line) * 4 > self.max_line and len(line.encode(self.encoding)) > self.max_line

    def _canonical(self, lines: list[str], batch: Batch) -> None:
        """Canonical event rows: the hot path of large files, kept free of per-row overhead."""
        pick, width, padding, delimiter = self._pick, self._width, self._padding, self._delimiter
        account, long_looking = self.account, self.max_line // 4
        append = batch.events.append
        first = self.line
        self.line += len(lines)
        for index, line in enumerate(lines):
            if not line or line.isspace():
                continue
            if len(line) > long_looking and self._long(line):
                self._too_long(first + index, batch)
                continue
            if '"' in line:
                try:
                    row = split_row(line, delimiter)
                except RowError as exc:
                    self._reject(batch, first + index, str(exc))
                    continue
            else:
                row = line.split(delimiter)
            size = len(row)
            if size == width:
                row.append("")
            elif size < width:
                row.extend(padding[: width + 1 - size])
            else:
                self._reject(batch, first + index, f"{size} fields, header has {width}")
                continue
            values = pick(row)
            if account and not values[3]:
                values = (*values[:3], account, *values[4:])
            try:
                append(build_event(values))
            except EventError as exc:
                self._reject(batch, first + index, str(exc))

    def _mapped(self, lines: list[str], batch: Batch) -> None:
        """Rows of a report, each turned into events by the mapper."""
        assert self.mapper is not None
        for line in lines:
            number = self.line
            self.line += 1
            if not line or line.isspace():
                continue
            if self._long(line):
                self._too_long(number, batch)
                continue
            try:
                batch.events.extend(self.mapper.map(split_row(line, self._delimiter)))
            except ValueError as exc:  # RowError, EventError and unreadable report values
                self._reject(batch, number, str(exc))

    def _too_long(self, number: int, batch: Batch) -> None:
        if not self.format:
            raise self._header_too_long(number)
        self._reject(batch, number, f"line longer than {self.max_line} bytes")

    def _header_too_long(self, number: int) -> CsvFormatError:
        return CsvFormatError(number, f"the header is longer than {self.max_line} bytes")

    def _reject(self, batch: Batch, number: int, reason: str) -> None:
        batch.rejections.append(Rejection(self.source, f"line {number}", reason))


def read_json_text(text: str, source: str) -> Iterator[Event | Rejection]:
    """A JSON array of event objects, or JSON Lines (one object a line)."""
    return _read_json(text, source, undecoded=False)


def read_json_bytes(data: bytes, source: str) -> Iterator[Event | Rejection]:
    """:func:`read_json_text` of UTF-8 bytes. An object holding bytes that are not UTF-8 is rejected (as
    a CSV line is), whether it is an item of an array or a line of JSON Lines; the others count."""
    data = data.removeprefix(BOM)
    try:
        return _read_json(data.decode("utf-8"), source, undecoded=False)
    except UnicodeDecodeError:
        # each bad byte becomes a lone surrogate, which no valid text holds: the objects with one are
        # rejected once parsed (outside a string, it makes that JSON malformed)
        return _read_json(data.decode("utf-8", "surrogateescape"), source, undecoded=True)


def _read_json(text: str, source: str, undecoded: bool) -> Iterator[Event | Rejection]:
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
                yield _from_object(item, source, f"item {index}", undecoded)
            return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Rejection(source, f"line {number}", f"malformed JSON: {exc.msg}")
            continue
        yield _from_object(item, source, f"line {number}", undecoded)


def _from_object(item: object, source: str, position: str, undecoded: bool) -> Event | Rejection:
    if not isinstance(item, dict):
        return Rejection(source, position, f"expected an object, got {type(item).__name__}")
    if undecoded and not is_text(item):
        return Rejection(source, position, "not utf-8 text")
    try:
        return parse_event(item)
    except EventError as exc:
        return Rejection(source, position, str(exc))


def is_text(value: object) -> bool:
    """No string in ``value`` holds a lone surrogate (a byte that was not UTF-8)."""
    if isinstance(value, str):
        return not any("\udc80" <= char <= "\udcff" for char in value)
    if isinstance(value, dict):
        return all(is_text(key) and is_text(item) for key, item in value.items())
    if isinstance(value, list):
        return all(is_text(item) for item in value)
    return True


def read_event_file(path: str | Path) -> Iterator[Event | Rejection]:
    """Read a canonical event file, choosing the format by its first non-blank character (``[`` or ``{``
    is JSON, anything else CSV). A CSV file goes through :class:`CsvReader`, chunk by chunk: each chunk's
    rejections, then its events. An unreadable header is one rejection, and nothing more is read.
    """
    path = Path(path)
    source = path.name
    with open_regular(path) as handle:
        data = handle.read(CHUNK_BYTES)
        if data.removeprefix(BOM).lstrip()[:1] in (b"[", b"{"):
            yield from read_json_bytes(data + handle.read(), source)
            return
        reader = CsvReader(source)
        while True:
            batch = Batch()
            try:
                if data:
                    reader.feed(data, batch)
                else:
                    reader.finish(batch)
            except CsvFormatError as exc:
                yield Rejection(source, f"line {exc.line}", exc.reason)
                return
            yield from batch.rejections
            yield from batch.events
            if not data:
                return
            data = handle.read(CHUNK_BYTES)
