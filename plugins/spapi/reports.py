"""Reports API 2021-06-30: request a report, wait for it, download it, read it with the report readers.

The life of one report: ``createReport`` (a type, the marketplaces, a data range) gives a ``reportId``;
``getReport`` is polled until ``processingStatus`` is ``DONE`` (then ``reportDocumentId``), ``CANCELLED``
(Amazon cancels a report with no data in its range: the range is done, with nothing in it) or ``FATAL``
(the range is asked again at the next turn); ``getReportDocument`` gives a pre-signed ``url`` and, when
the document is compressed, ``compressionAlgorithm`` (``GZIP``; decompressed by that field, not by any
header). The flat file is read by the one CSV reader with the Amazon report mappers
(:mod:`sellerpulse.plugins.amazon_reports`), as the ``csv`` source reads the same file from disk; the
Account Health report (JSON) by :func:`~sellerpulse.core.official.parse_account_health`, into records of
Amazon's own numbers that the runtime keeps beside the engine (``Batch.account_health``).

Which report types feed which events, and how often, is in docs/sp-api.md. Each type keeps its own
state: the end of the data it has (``done_until``) and the report it waits for (``pending``). Both are
part of the source's position, so a restart polls the report it already asked for instead of asking again.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from sellerpulse.core.events import Rejection
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.readers import CsvFormatError, CsvReader
from sellerpulse.core.sources import Batch
from sellerpulse.core.timeutil import US_PER_SECOND, TimeError, format_instant, parse_instant

from ..amazon_reports import MAPPERS, ReportMapper, detect
from .client import SpApiClient, SpApiError

REPORTS = "/reports/2021-06-30/reports"
ACCOUNT_HEALTH = "account-health"  # Amazon's own numbers (JSON): not events, records beside the engine
DOCUMENTS = "/reports/2021-06-30/documents"
# report type -> the reader format of its flat file (docs/sp-api.md says why these)
REPORT_FORMATS: Mapping[str, str] = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": "amazon-orders",
    "GET_SELLER_FEEDBACK_DATA": "amazon-feedback",
    "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE": "amazon-returns",
    "GET_V2_SELLER_PERFORMANCE_REPORT": ACCOUNT_HEALTH,
}
WAITING = frozenset({"IN_QUEUE", "IN_PROGRESS"})
CALL_RETRY_US = 5 * 60 * US_PER_SECOND  # a report call that failed is tried again after this


class ReportError(SpApiError):
    """A report that could not be had this time (FATAL, an unreadable document); the text is safe."""


@dataclass(slots=True)
class ReportState:
    """One report type's progress: data read up to ``done_until``, the report asked for (``pending``:
    id and data range), and when a failed range may be asked again (not saved: a restart asks at once)."""

    report_type: str
    done_until: int | None = None
    pending: dict[str, str] | None = None
    retry_at: int = 0
    error: str | None = None  # why its latest step failed, until one succeeds

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.done_until is not None:
            out["done_until"] = format_instant(self.done_until)
        if self.pending is not None:
            out["pending"] = dict(self.pending)
        return out

    @classmethod
    def from_json(cls, report_type: str, saved: Any) -> ReportState:
        if not isinstance(saved, Mapping):
            raise ValueError(f"saved state of {report_type} is not an object")
        state = cls(report_type)
        try:
            if saved.get("done_until"):
                state.done_until = parse_instant(str(saved["done_until"]))
            pending = saved.get("pending")
            if pending:
                state.pending = {key: str(pending[key]) for key in ("id", "start", "end")}
                for key in ("start", "end"):
                    parse_instant(state.pending[key])
        except (TimeError, KeyError, TypeError) as exc:
            raise ValueError(f"saved state of {report_type}: {exc}") from None
        return state


@dataclass(frozen=True, slots=True)
class ReportReading:
    """How the rows of a report become events (the ``csv`` source's options of the same names)."""

    account: str
    timezone: str
    day_first: bool
    cancelled_by: str
    encoding: str


class ReportJobs:
    """The report types of one source, each moved one step per :meth:`step` (never blocking on one)."""

    def __init__(
        self,
        source: str,
        report_types: list[str],
        marketplace_ids: list[str],
        interval_us: int,
        max_range_us: int,
        reading: ReportReading,
    ) -> None:
        unknown = [name for name in report_types if name not in REPORT_FORMATS]
        if unknown:
            raise ValueError(
                f"report type(s) {', '.join(unknown)} not read; known: {', '.join(REPORT_FORMATS)}"
            )
        self.source = source
        self.states = {name: ReportState(name) for name in report_types}
        self.marketplace_ids = marketplace_ids
        self.interval_us = interval_us
        self.max_range_us = max_range_us
        self.reading = reading

    def position(self) -> dict[str, Any]:
        return {name: state.to_json() for name, state in self.states.items()}

    def restore(self, saved: Any) -> None:
        if not isinstance(saved, Mapping):
            raise ValueError("saved reports state is not an object")
        for name, value in saved.items():
            if name in self.states:
                self.states[name] = ReportState.from_json(name, value)

    @property
    def failed(self) -> str | None:
        """Why report types failed lately (masked), None when none did."""
        errors = [state.error for state in self.states.values() if state.error]
        return "; ".join(errors) if errors else None

    def awaiting(self) -> int:
        """How many reports were asked for and are not read yet."""
        return sum(state.pending is not None for state in self.states.values())

    def next_due(self, now: int) -> int:
        """The instant the next range is due (``now`` when one is)."""
        due = [
            max(state.retry_at, state.done_until + self.interval_us)
            if state.done_until is not None
            else state.retry_at
            for state in self.states.values()
        ]
        return max(now, min(due, default=now + self.interval_us))

    def busy(self, now: int) -> bool:
        """True while a report is awaited or a range is due (a one-shot read goes on until neither)."""
        return any(state.pending is not None or self._due(state, now) for state in self.states.values())

    def _due(self, state: ReportState, now: int) -> bool:
        """A range is asked for when the data read is ``interval`` old (a backlog longer than one range
        is asked range after range, as each ends at most ``max_range`` after its start)."""
        if now < state.retry_at:
            return False
        return state.done_until is None or now - state.done_until >= self.interval_us

    async def step(
        self, client: SpApiClient, http: httpx.AsyncClient, now: int, first_start: int
    ) -> AsyncIterator[Batch]:
        """Ask for each due range, poll each awaited report, read each finished one. A batch follows
        every change of state (an empty one when nothing was read), so the position saved with it
        holds every report id asked for."""
        for state in self.states.values():
            try:
                if state.pending is None:
                    if self._due(state, now):
                        await self._create(client, http, state, now, first_start)
                        yield Batch()
                    continue
                if now < state.retry_at:
                    continue
                batch = await self._poll(client, http, state, state.pending)
                if batch is not None:
                    yield batch
            except ReportError as exc:  # this report is lost: its range is asked again later
                state.pending = None
                state.retry_at, state.error = now + self.interval_us, client.mask(str(exc))
                yield Batch()
            except SpApiError as exc:  # a call failed (after its retries): the same step, a while later
                state.retry_at, state.error = now + CALL_RETRY_US, client.mask(str(exc))

    async def _create(
        self, client: SpApiClient, http: httpx.AsyncClient, state: ReportState, now: int, first_start: int
    ) -> None:
        start = state.done_until if state.done_until is not None else first_start
        ranged = REPORT_FORMATS[state.report_type] != ACCOUNT_HEALTH  # that one gives Amazon's own ranges
        end = min(now, start + self.max_range_us) if ranged else now
        body: dict[str, Any] = {"reportType": state.report_type, "marketplaceIds": self.marketplace_ids}
        if ranged:
            body.update(dataStartTime=format_instant(start), dataEndTime=format_instant(end))
        answer = await client.call(http, "createReport", REPORTS, body=body)
        report_id = answer.get("reportId")
        if not isinstance(report_id, str | int) or isinstance(report_id, bool) or not str(report_id):
            raise ReportError(f"createReport {state.report_type}: the answer has no reportId")
        state.pending = {"id": str(report_id), "start": format_instant(start), "end": format_instant(end)}
        state.error = None

    async def _poll(
        self, client: SpApiClient, http: httpx.AsyncClient, state: ReportState, pending: dict[str, str]
    ) -> Batch | None:
        """The outcome of the report ``pending`` as a batch once it has one; None while Amazon works on it."""
        report_id = pending["id"]
        answer = await client.call(http, "getReport", f"{REPORTS}/{_segment(report_id)}")
        status = answer.get("processingStatus")
        what = f"{state.report_type} report {report_id}"
        if status in WAITING:
            return None
        end = parse_instant(pending["end"])
        if status == "CANCELLED":  # Amazon cancels a report with no data in its range
            state.pending, state.done_until, state.error = None, end, None
            return Batch()
        if status == "FATAL":
            raise ReportError(
                f"{what} ended FATAL ({pending['start']} .. {pending['end']}): Amazon could not produce it; "
                "the range is asked again at the next turn"
            )
        if status != "DONE":
            raise ReportError(f"{what}: unknown processingStatus {str(status)[:40]!r}")
        document_id = answer.get("reportDocumentId")
        if not isinstance(document_id, str) or not document_id:
            raise ReportError(f"{what} is DONE without a reportDocumentId")
        data = await self._document(client, http, document_id, what)
        batch = await asyncio.to_thread(self._read, state.report_type, data, what)
        state.pending, state.done_until, state.error = None, end, None
        return batch

    async def _document(
        self, client: SpApiClient, http: httpx.AsyncClient, document_id: str, what: str
    ) -> bytes:
        answer = await client.call(http, "getReportDocument", f"{DOCUMENTS}/{_segment(document_id)}")
        url = answer.get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ReportError(f"{what}: getReportDocument gave no http(s) url")
        data = await client.download(http, url)
        compression = answer.get("compressionAlgorithm")
        if compression in (None, ""):
            return data
        if compression != "GZIP":
            raise ReportError(f"{what}: compressionAlgorithm {str(compression)[:20]!r} is not GZIP")
        return gunzip(data, client.max_body_bytes, what)

    def _read(self, report_type: str, data: bytes, what: str) -> Batch:
        """The rows of a report's flat file as events; rows that cannot be read are rejections at their
        line, and a document that is not the expected report is one rejection."""
        expected = REPORT_FORMATS[report_type]
        reading = self.reading
        if expected == ACCOUNT_HEALTH:
            parsed = parse_account_health(data, reading.account, what)
            return Batch(rejections=parsed.rejections, account_health=parsed.records)

        def choose(header: list[str]) -> tuple[str, ReportMapper]:
            found = detect(header)
            if found != expected:
                shown = ", ".join(name.strip() for name in header[:6])
                raise ValueError(f"not an {expected} report (header: {shown})")
            return found, MAPPERS[found](
                header, account=reading.account, zone=reading.timezone,
                day_first=reading.day_first, cancelled_by=reading.cancelled_by,
            )  # fmt: skip

        batch = Batch()
        reader = CsvReader(what, choose, encoding=reading.encoding, account=reading.account)
        try:
            reader.feed(data, batch)
            reader.finish(batch)
        except CsvFormatError as exc:
            batch.rejections.append(Rejection(what, f"line {exc.line}", exc.reason))
        return batch


def gunzip(data: bytes, limit: int, what: str) -> bytes:
    """A gzip document decompressed, at most ``limit`` bytes of it (a small bomb must not fill memory)."""
    inflate = zlib.decompressobj(wbits=31)
    try:
        out = inflate.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ReportError(f"{what}: the GZIP document cannot be decompressed ({exc})") from None
    if len(out) > limit:
        raise ReportError(f"{what}: the document is larger than max_body_bytes ({limit}) decompressed")
    if not inflate.eof:
        raise ReportError(f"{what}: the GZIP document is cut short")
    return out


def _segment(identifier: str) -> str:
    """An id as one path segment (an id is Amazon's text: it must not climb out of the path)."""
    return quote(identifier, safe="")
