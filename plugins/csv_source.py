"""The ``csv`` source: canonical event CSV files and Amazon flat-file reports, read once or followed.

The format comes from the header row (see :mod:`sellerpulse.plugins.amazon_reports`), whatever the file
is called. The file is read in binary chunks on a worker thread, so a multi-gigabyte file never blocks
the event loop (or the UI sharing the process). Positions are byte offsets of the next unread line plus
the file's identity (device, inode) and header, so a restart resumes exactly where the engine stopped.

With ``follow = true`` (and a runtime that follows) the source tails the file: new complete lines are
read within ``poll_interval``; a truncated file is read again from its start; a rotated file (the path
now names another inode) is drained and then the new file is read from its start. As with ``tail -F``,
a file truncated and rewritten past the old offset between two polls cannot be told from one that grew.
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import AsyncIterator, Callable, Mapping
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO

from sellerpulse.core.events import DEFAULT_ACCOUNT, FIELDS, EventError, Rejection, build_event
from sellerpulse.core.options import Option
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.timeutil import load_zone

from .amazon_reports import FORMATS, MAPPERS, ReportMapper, detect

CHUNK_BYTES = 1 << 18  # ~2,500 rows: a read never holds the interpreter long from the UI
LAG_BYTES = 8 << 20  # a followed file this far ahead of the reader is "lagging"


class CsvFormatError(ValueError):
    """A file whose header is not one this source reads."""


class CsvSource(Source):
    """Events from a CSV or tab-separated file: canonical events, or an Amazon all-orders, seller
    feedback or returns report (recognised by the header). Follows a growing file when asked."""

    type_name = "csv"
    options = (
        Option("path", "path", None, "the file to read (any extension)", required=True),
        Option(
            "follow",
            "bool",
            False,
            "keep reading as the file grows (tail -F: survives truncation and rotation)",
        ),
        Option(
            "format",
            "str",
            "auto",
            "file format; auto detects it from the header",
            choices=("auto", *FORMATS),
        ),
        Option(
            "account", "str", DEFAULT_ACCOUNT, "account of rows that name none (all rows of Amazon reports)"
        ),
        Option("timezone", "str", "UTC", "time zone of report dates written without an offset"),
        Option("day_first", "bool", False, "read report dates such as 03/11/2026 as 3 November"),
        Option(
            "cancelled_by",
            "str",
            "seller",
            "who cancelled, for orders reports that do not say",
            choices=("seller", "buyer", "marketplace"),
        ),
        Option("encoding", "str", "utf-8", "text encoding (ASCII-compatible: utf-8, cp1252, latin-1)"),
        Option("poll_interval", "float", 0.25, "seconds between checks of a followed file"),
        Option("max_line_bytes", "int", 1 << 20, "longer lines are rejected, not read into memory"),
    )

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.path = Path(self.settings["path"])
        load_zone(str(self.settings["timezone"]))  # a misspelt zone is a config error, found at once
        self._position: dict[str, Any] = {}

    def position(self) -> dict[str, Any]:
        return dict(self._position)

    def restore(self, position: Mapping[str, Any]) -> None:
        self._position = dict(position)

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        follow = follow and bool(self.settings["follow"])
        poll = max(0.01, float(self.settings["poll_interval"]))
        reader = _FileReader(self.path, self.name, self.settings)
        try:
            # continue from the restored position, or from where an earlier call of batches() stopped
            while not await asyncio.to_thread(reader.open, self._position):
                if not follow:
                    raise FileNotFoundError(f"no such file: {self.path}")
                self.set_state("starting", f"waiting for {self.path}")
                await asyncio.sleep(poll)
            while True:
                batch = await asyncio.to_thread(reader.read_batch, not follow)
                if batch is not None:
                    self._position = reader.position()
                    self._update_health(reader)
                    if batch.events or batch.rejections:
                        yield batch
                    continue
                if not follow:
                    return
                self._update_health(reader)
                await asyncio.sleep(poll)
                last = await asyncio.to_thread(reader.check_replaced)
                self._position = reader.position()
                if last is not None and (last.events or last.rejections):
                    yield last
        finally:
            reader.close()

    def _update_health(self, reader: _FileReader) -> None:
        state = self.health().state
        if state == "failing":
            return
        detail = f"{self.path.name}: line {reader.line - 1}, {reader.format or 'no header yet'}"
        for why, count in (reader.mapper.skipped if reader.mapper else {}).items():
            detail += f"; {count} {why} not inferred"
        behind = reader.behind()
        if behind > LAG_BYTES:
            amount = f"{behind / (1 << 20):.1f} MiB" if behind >= 1 << 20 else f"{behind >> 10} KiB"
            self.set_state("lagging", f"{detail}; {amount} behind")
        elif state in ("lagging", "starting") and reader.format:
            self.set_state("ok", detail)
        else:
            self.set_state(state, detail)


class _FileReader:
    """Reads complete lines from one path; used from one worker thread at a time."""

    def __init__(self, path: Path, source: str, settings: Mapping[str, Any]) -> None:
        self.path = path
        self.source = source
        self.settings = settings
        self.encoding = str(settings["encoding"])
        self.max_line = int(settings["max_line_bytes"])
        self.account = str(settings["account"])
        self.handle: BinaryIO | None = None
        self.identity: tuple[int, int] = (0, 0)
        self.offset = 0  # bytes consumed into complete lines
        self.line = 1  # number of the next line
        self.buf = b""
        self.skipping = False  # inside an over-long line, dropping bytes up to its newline
        self.header: list[str] | None = None
        self.header_text = ""
        self.format = ""
        self.delimiter = ","
        self.mapper: ReportMapper | None = None
        self._width = 0
        self._pick: Callable[[list[str]], tuple[str, ...]] = itemgetter(0)
        self._padding: list[str] = []

    # -- file identity ------------------------------------------------------------------------------

    def open(self, saved: Mapping[str, Any] | None) -> bool:
        """Open the path; resume from ``saved`` if it still describes this file. False if missing."""
        try:
            handle = open(self.path, "rb")  # noqa: SIM115 - kept open while following
        except FileNotFoundError:
            return False
        stat = os.fstat(handle.fileno())
        self.close()
        self.handle = handle
        self.identity = (stat.st_dev, stat.st_ino)
        self._reset()
        same_file = [saved.get("device"), saved.get("inode")] == list(self.identity) if saved else False
        if (
            saved
            and same_file
            and saved.get("header")
            and saved.get("path", str(self.path)) == str(self.path)
        ):
            offset = int(saved.get("offset", 0))
            if 0 < offset <= stat.st_size:
                handle.seek(offset)
                self.offset = offset
                self.line = int(saved.get("line", 1))
                self._set_header(str(saved["header"]))
        return True

    def _reset(self) -> None:
        self.offset, self.line, self.buf, self.skipping = 0, 1, b"", False
        self.header, self.header_text, self.format, self.mapper = None, "", "", None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def position(self) -> dict[str, Any]:
        if self.handle is None:
            return {}
        return {
            "path": str(self.path),
            "device": self.identity[0],
            "inode": self.identity[1],
            "offset": self.offset,
            "line": self.line,
            "header": self.header_text,
        }

    def behind(self) -> int:
        if self.handle is None:
            return 0
        try:
            return max(0, os.fstat(self.handle.fileno()).st_size - self.offset - len(self.buf))
        except OSError:
            return 0

    def check_replaced(self) -> Batch | None:
        """After EOF while following: handle truncation (read again from the start) and rotation
        (drain the old file, then switch to the new one). Returns the old file's last line when it
        ended without a newline: the file will not grow any more, so that line is complete."""
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return None  # rotated away, the new file is not there yet: keep the old one until it is
        assert self.handle is not None
        if (stat.st_dev, stat.st_ino) != self.identity:
            if self.handle.read(1):
                self.handle.seek(-1, os.SEEK_CUR)
                return None  # the old file still has unread data: read it first
            last = None
            if self.buf and not self.skipping:
                last = Batch()
                block, self.buf = self.buf + b"\n", b""
                self._lines(block, last)
            self.open(None)
            return last
        if stat.st_size < self.offset + len(self.buf):
            self.open(None)
        return None

    # -- reading ------------------------------------------------------------------------------------

    def read_batch(self, final: bool) -> Batch | None:
        """Read one chunk and turn its complete lines into a batch; None when nothing new was read.

        ``final`` (reading once, not following): a last line without a newline is read too.
        """
        assert self.handle is not None
        data = self.handle.read(CHUNK_BYTES)
        if not data and not (final and self.buf):
            return None
        self.buf += data
        batch = Batch()
        if self.skipping:
            cut = self.buf.find(b"\n")
            if cut < 0:
                self.offset += len(self.buf)
                self.buf = b""
                return batch
            self.offset += cut + 1
            self.line += 1
            self.skipping = False
            self.buf = self.buf[cut + 1 :]
        end = self.buf.rfind(b"\n")
        if end >= 0:
            block, self.buf = self.buf[: end + 1], self.buf[end + 1 :]
            self._lines(block, batch)
        elif final and not data:
            block, self.buf = self.buf + b"\n", b""  # a last line without its newline
            self._lines(block, batch)
            self.offset -= 1
        if len(self.buf) > self.max_line:
            self._overlong(batch, len(self.buf))
        return batch

    def _overlong(self, batch: Batch, size: int) -> None:
        if not self.skipping:
            self._reject(batch, self.line, f"line longer than {self.max_line} bytes")
            self.skipping = True
        self.offset += size
        self.buf = b""

    def _lines(self, block: bytes, batch: Batch) -> None:
        """Turn a block of complete lines into events and rejections, advancing offset and line."""
        try:
            text = block.decode(self.encoding)
        except UnicodeDecodeError:
            self._lines_one_by_one(block, batch)
            return
        start = self.offset
        lines = text.split("\n")
        lines.pop()  # the block ends with a newline: nothing after it
        if "\r" in text:
            lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        index = 0
        while self.header is None and index < len(lines):
            self._line(lines[index], batch)
            index += 1
        if index:
            lines = lines[index:]
        if self.mapper is None:
            self._canonical(lines, batch)
        else:
            for line in lines:
                number = self.line
                self.line += 1
                if self._fits(line, number, batch) and line and not line.isspace():
                    self._row(line, number, batch)
        self.offset = start + len(block)

    def _lines_one_by_one(self, block: bytes, batch: Batch) -> None:
        """The slow path for a block with undecodable bytes: each line decoded (or rejected) alone."""
        for raw in block.split(b"\n")[:-1]:
            try:
                line = raw.decode(self.encoding)
            except UnicodeDecodeError as exc:
                self._reject(batch, self.line, f"not {self.encoding} text: {exc.reason} at byte {exc.start}")
                self.line += 1
                self.offset += len(raw) + 1
                continue
            self._line(line[:-1] if line.endswith("\r") else line, batch)

    def _line(self, line: str, batch: Batch) -> None:
        """One decoded line (header or row), with its own offset bookkeeping."""
        number = self.line
        size = len(line.encode(self.encoding)) + 1
        self.line += 1
        self.offset += size
        if not self._fits(line, number, batch) or not line or line.isspace():
            return
        if self.header is None:
            try:
                self._set_header(line)
            except CsvFormatError:
                self.offset -= size
                self.line -= 1
                raise
            return
        if self.mapper is None:
            self.line -= 1
            self._canonical([line], batch)
        else:
            self._row(line, number, batch)

    def _fits(self, line: str, number: int, batch: Batch) -> bool:
        # a character is at most 4 bytes: only long-looking lines pay for an exact count
        if len(line) * 4 > self.max_line and len(line.encode(self.encoding)) > self.max_line:
            self._reject(batch, number, f"line longer than {self.max_line} bytes")
            return False
        return True

    def _canonical(self, lines: list[str], batch: Batch) -> None:
        """Canonical event rows: the hot path of large files, kept free of per-row overhead."""
        pick, width, padding, delimiter = self._pick, self._width, self._padding, self.delimiter
        account = self.account if self.account != DEFAULT_ACCOUNT else ""
        append = batch.events.append
        first = self.line
        self.line += len(lines)
        for index, line in enumerate(lines):
            if not line or line.isspace():
                continue
            if len(line) * 4 > self.max_line and not self._fits(line, first + index, batch):
                continue
            if '"' in line:
                try:
                    row = next(csv.reader((line,), strict=True))
                except csv.Error as exc:
                    self._reject(batch, first + index, f"unreadable row: {exc}")
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

    def _set_header(self, text: str) -> None:
        delimiter = "\t" if "\t" in text else ","
        header = _split(text, delimiter)
        header[0] = header[0].lstrip("\ufeff")
        wanted = str(self.settings["format"])
        found = detect(header)
        fmt = found if wanted == "auto" else wanted
        if fmt is None:
            shown = ", ".join(name.strip() for name in header[:8])
            raise CsvFormatError(
                f"{self.path}: unrecognised header ({shown}); expected canonical events (ts, kind, ...) "
                "or an Amazon all-orders, seller feedback or returns report"
            )
        if fmt == "events":
            header = [name.strip() for name in header]
            missing = [name for name in ("ts", "kind") if name not in header]
            if missing:
                raise CsvFormatError(f"{self.path}: an events file needs a {' and '.join(missing)} column")
            self.mapper = None
            # a missing column reads as the empty cell appended at index ``width``
            self._width = len(header)
            self._pick = itemgetter(*(header.index(n) if n in header else self._width for n in FIELDS))
            self._padding = [""] * (self._width + 1)
        else:
            try:
                self.mapper = MAPPERS[fmt](
                    header,
                    account=self.account,
                    zone=str(self.settings["timezone"]),
                    day_first=bool(self.settings["day_first"]),
                    cancelled_by=str(self.settings["cancelled_by"]),
                )
            except (EventError, ValueError) as exc:
                raise CsvFormatError(f"{self.path}: {exc}") from None
        self.header, self.header_text, self.format, self.delimiter = header, text, fmt, delimiter

    def _row(self, text: str, number: int, batch: Batch) -> None:
        try:
            row = _split(text, self.delimiter)
        except csv.Error as exc:
            self._reject(batch, number, f"unreadable row: {exc}")
            return
        assert self.mapper is not None
        try:
            batch.events.extend(self.mapper.map(row))
        except ValueError as exc:  # EventError and unreadable report values
            self._reject(batch, number, str(exc))

    def _reject(self, batch: Batch, number: int, reason: str) -> None:
        batch.rejections.append(Rejection(self.source, f"line {number}", reason))


def _split(text: str, delimiter: str) -> list[str]:
    """One line into fields: tabs split plainly (Amazon's flat files do not quote), commas as CSV."""
    if delimiter == "\t" or '"' not in text:
        return text.split(delimiter)
    return next(csv.reader((text,), strict=True))
