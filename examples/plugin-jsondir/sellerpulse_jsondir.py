"""sellerpulse-jsondir: a source plugin that reads a directory of JSON event files.

Each file holds canonical events (see the sellerpulse event contract) as a JSON array or as JSON Lines.
Files are read in file-name order, each once, when complete: writers should write to a temporary name
and rename into place, and name files so that they sort in time order (``2026-11-02T14-05.json``).
The position is the name of the last file read, so a restart continues with the next file.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

from sellerpulse.core.events import Event, Rejection
from sellerpulse.core.options import Option
from sellerpulse.core.readers import read_json_text
from sellerpulse.core.sources import Batch, Source

import sellerpulse


class JsonDirSource(Source):
    """Events from a directory of JSON files (arrays or JSON Lines), read in file-name order."""

    type_name = "jsondir"
    options = (
        Option("path", "path", None, "directory holding the JSON files", required=True),
        Option("pattern", "str", "*.json*", "glob of the files to read (*.json and *.jsonl by default)"),
        Option("follow", "bool", False, "keep watching the directory for new files"),
        Option("poll_interval", "float", 1.0, "seconds between two looks at the directory when following"),
    )

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        self.directory = Path(self.settings["path"])
        self.last_file = ""  # name of the last file read completely

    def position(self) -> dict[str, Any]:
        return {"last_file": self.last_file} if self.last_file else {}

    def restore(self, position: Mapping[str, Any]) -> None:
        self.last_file = str(position.get("last_file", ""))

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        follow = follow and bool(self.settings["follow"])
        while True:
            if not self.directory.is_dir():
                raise NotADirectoryError(f"no such directory: {self.directory}")
            pending = sorted(
                path
                for path in self.directory.glob(self.settings["pattern"])
                if path.is_file() and path.name > self.last_file
            )
            for path in pending:
                # reading and parsing a big file is blocking work: do it off the event loop
                batch = await asyncio.to_thread(self._read, path)
                self.last_file = path.name
                self.set_state("ok", f"{self.directory}: last file {path.name}")
                yield batch
            if not follow:
                return
            await asyncio.sleep(float(self.settings["poll_interval"]))

    def _read(self, path: Path) -> Batch:
        batch = Batch()
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            batch.rejections.append(Rejection(self.name, path.name, f"not UTF-8: {exc.reason}"))
            return batch
        for item in read_json_text(text, self.name):
            if isinstance(item, Event):
                batch.events.append(item)
            else:
                batch.rejections.append(Rejection(self.name, f"{path.name} {item.position}", item.reason))
        return batch


@sellerpulse.hookimpl
def register_sources(register: Callable[[str, type], None]) -> None:
    register("jsondir", JsonDirSource)
