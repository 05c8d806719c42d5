"""The ``csv`` source: canonical event CSV files and Amazon flat-file reports, read once or followed.

The format comes from the header row (see :mod:`sellerpulse.plugins.amazon_reports`), whatever the file
is called. The file is read in binary chunks on a worker thread, so a multi-gigabyte file never blocks
the event loop (or the UI sharing the process). Positions are byte offsets of the next unread line plus
the file's identity (device, inode) and header, so a restart resumes exactly where the engine stopped.

Lines become events through the one CSV reader, :class:`~sellerpulse.core.readers.CsvReader`, which
``report --events`` uses too: one file, one answer, one set of rejection rules (docs/events.md). Only
a regular file is opened; a FIFO, a device or a directory fails the source with a clear message.

With ``follow = true`` (and a runtime that follows) the source tails the file: new complete lines are
read within ``poll_interval``; a truncated file is read again from its start; a rotated file (the path
now names another inode) is drained and then the new file is read from its start. As with ``tail -F``,
a file truncated and rewritten past the old offset between two polls cannot be told from one that grew.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from sellerpulse.core.events import DEFAULT_ACCOUNT
from sellerpulse.core.options import Option
from sellerpulse.core.readers import (
    CHUNK_BYTES,
    MAX_LINE_BYTES,
    CsvFormatError,
    CsvReader,
    RowMapper,
    open_regular,
)
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.timeutil import load_zone

from .amazon_reports import FORMATS, MAPPERS, ReportMapper, detect

LAG_BYTES = 8 << 20  # a followed file this far ahead of the reader is "lagging"


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
        Option("max_line_bytes", "int", MAX_LINE_BYTES, "longer lines are rejected, not read into memory"),
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
    """Follows one path (identity, truncation, rotation) and feeds its bytes to the one
    :class:`~sellerpulse.core.readers.CsvReader`; used from one worker thread at a time."""

    def __init__(self, path: Path, source: str, settings: Mapping[str, Any]) -> None:
        self.path = path
        self.source = source
        self.settings = settings
        self.handle: BinaryIO | None = None
        self.identity: tuple[int, int] = (0, 0)
        self.csv = self._new_reader()

    def _new_reader(self) -> CsvReader:
        return CsvReader(
            self.source,
            self._choose,
            encoding=str(self.settings["encoding"]),
            max_line=int(self.settings["max_line_bytes"]),
            account=str(self.settings["account"]),
        )

    @property
    def line(self) -> int:
        return self.csv.line

    @property
    def format(self) -> str:
        return self.csv.format

    @property
    def mapper(self) -> RowMapper | None:
        return self.csv.mapper

    # -- file identity ------------------------------------------------------------------------------

    def open(self, saved: Mapping[str, Any] | None) -> bool:
        """Open the path; resume from ``saved`` if it still describes this file. False if missing.

        Anything but a regular file raises :class:`~sellerpulse.core.readers.NotRegularFile`."""
        try:
            handle = open_regular(self.path)
        except FileNotFoundError:
            return False
        stat = os.fstat(handle.fileno())
        self.close()
        self.handle = handle
        self.identity = (stat.st_dev, stat.st_ino)
        self.csv = self._new_reader()
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
                line, header, skipping = (
                    int(saved.get("line", 1)),
                    str(saved["header"]),
                    bool(saved.get("skipping")),
                )
                self._guarded(self.csv.resume, offset, line, header, skipping)
        return True

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def position(self) -> dict[str, Any]:
        if self.handle is None:
            return {}
        position = {
            "path": str(self.path),
            "device": self.identity[0],
            "inode": self.identity[1],
            "offset": self.csv.offset,
            "line": self.csv.line,
            "header": self.csv.header_text,
        }
        if self.csv.skipping:  # stopped inside an over-long line: the rest of it is dropped on resume
            position["skipping"] = True
        return position

    def behind(self) -> int:
        if self.handle is None:
            return 0
        try:
            return max(0, os.fstat(self.handle.fileno()).st_size - self.csv.offset - self.csv.pending)
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
            last = Batch()
            self._guarded(self.csv.finish, last)
            self.open(None)
            return last
        if stat.st_size < self.csv.offset + self.csv.pending:
            self.open(None)
        return None

    # -- reading ------------------------------------------------------------------------------------

    def read_batch(self, final: bool) -> Batch | None:
        """Read one chunk and turn its complete lines into a batch; None when nothing new was read.

        ``final`` (reading once, not following): a last line without a newline is read too.
        """
        assert self.handle is not None
        data = self.handle.read(CHUNK_BYTES)
        if not data and not (final and self.csv.pending):
            return None
        batch = Batch()
        if data:
            self._guarded(self.csv.feed, data, batch)
        else:
            self._guarded(self.csv.finish, batch)
        return batch

    def _guarded(self, read: Callable[..., None], *args: Any) -> None:
        """Run a step of the reader, naming the file in a header error (which fails the source)."""
        try:
            read(*args)
        except CsvFormatError as exc:
            raise CsvFormatError(exc.line, exc.reason, where=str(self.path)) from None

    def _choose(self, header: list[str]) -> tuple[str, ReportMapper | None]:
        """What a header means: canonical events, or the mapper of a marketplace report."""
        wanted = str(self.settings["format"])
        found = detect(header)
        fmt = found if wanted == "auto" else wanted
        if fmt is None:
            shown = ", ".join(name.strip() for name in header[:8])
            raise ValueError(
                f"unrecognised header ({shown}); expected canonical events (ts, kind, ...) "
                "or an Amazon all-orders, seller feedback or returns report"
            )
        if fmt == "events":
            return fmt, None
        return fmt, MAPPERS[fmt](
            header,
            account=str(self.settings["account"]),
            zone=str(self.settings["timezone"]),
            day_first=bool(self.settings["day_first"]),
            cancelled_by=str(self.settings["cancelled_by"]),
        )
