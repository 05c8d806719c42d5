"""The ``http`` source: polls a JSON API for new events, incrementally, politely and without duplicates.

Each poll asks for what changed since the cursor (a ``since``-style parameter, or SP-API's
``LastUpdatedAfter``), follows page tokens (resending the same filters with each token, as SP-API
requires), and advances the cursor to the newest instant seen once the last page is in, but never past
the source's now: an item dated later (beyond a few minutes of clock skew it is counted and named in
health) is delivered and remembered, so one item dated 2099 cannot make every later poll ask for 2099.
The cursor is inclusive, as SP-API's is, so nothing updated at the cursor instant is missed; what comes
back twice is recognised (the events at the cursor instant or dated after now, the order statuses already
turned into events) and dropped. A body is UTF-8: an item holding bytes that are not is a rejection, as
in files. A ``304 Not Modified`` to ``If-None-Match`` means nothing new.

Failures: timeouts, connection errors, 5xx and 429 are retried with exponential back-off and jitter (429
and 503 wait for ``Retry-After`` when given, in seconds or as an HTTP date; a one-shot read fails at once
rather than wait longer than ``timeout``); the source is ``lagging`` while it retries and ``failing``
with the last error when the retries run out, then tries again at the next poll. Each request is bounded
as a whole (time, size, redirects: see ``http_fetch``). A body that cannot be read (not JSON, nested too
deeply, a number too long, not the expected shape) is a rejection and the source goes on; so is every
item that cannot be an event, however it fails. A poll follows at most ``max_pages`` pages and stops at a
page token it was already given (a server that pages forever). Header values, secret-looking query
parameters and the Basic credential of the URL's ``user:password`` are secrets (tokens, keys): they are
never logged and are masked in every error text, which never carries the URL's query either.

Two response shapes (``format``):

- ``events``: canonical JSON events (EVENTS.md) as an array, as ``{"events": [...], "next": token}``, or
  as JSON Lines.
- ``sp-api-orders``: Amazon SP-API Orders v0 ``getOrders`` (``payload.Orders[]``, ``payload.NextToken``).
  Order statuses become ``order_placed``, ``order_shipped`` and ``order_cancelled``, each once, by the
  mapping the ``sp-api`` source shares (:mod:`sellerpulse.plugins.order_statuses`).
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit, urlunsplit

import httpx
from sellerpulse.core.backoff import backoff_delay, retry_after
from sellerpulse.core.clock import Clock, SystemClock
from sellerpulse.core.events import DEFAULT_ACCOUNT, FIELDS, Event, EventError, Rejection, parse_event
from sellerpulse.core.options import Option
from sellerpulse.core.readers import is_text
from sellerpulse.core.secrets import is_secret_key, mask_text, url_secrets
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.textsafe import clean
from sellerpulse.core.timeutil import US_PER_SECOND, TimeError, format_instant, parse_instant

from .http_fetch import FetchError, fetch
from .order_statuses import OrderStatusEvents

FORMATS = ("events", "sp-api-orders")
# format -> (cursor parameter, page-token parameter)
PARAMETERS = {"events": ("since", "next"), "sp-api-orders": ("LastUpdatedAfter", "NextToken")}
RETRIED = frozenset({408, 429, 500, 502, 503, 504})
MAX_TOKEN = 8192  # characters of a page token: it goes back in a URL, and servers refuse longer ones
_CONTENT = re.compile(r"\S")
# The cursor never moves past the source's now plus this (clocks differ a little): one item dated 2099
# would otherwise make every later poll ask for what changed since 2099, and nothing would ever come.
FUTURE_SKEW_US = 5 * 60 * US_PER_SECOND
FUTURE_KEPT = 10_000  # future events remembered to drop their repeats; the oldest half forgotten beyond
NOT_UTF8 = "not utf-8 text"

Key = str | tuple[Any, ...]  # an event's identity for duplicate checks (see _key)


class HttpSourceError(RuntimeError):
    """The API could not be read (after the retries); the text is safe to show (secrets masked)."""


class UnreadablePage(ValueError):
    """A response body that is not the expected shape at all (one rejection for the whole page)."""


class HttpSource(Source):
    """Polls an HTTP JSON API: canonical events, or Amazon SP-API getOrders turned into order events.
    Incremental cursor, page tokens, ETag, retries with back-off, 429 Retry-After; secrets masked and
    never sent to another origin (redirects elsewhere are refused); every request and poll bounded."""

    type_name = "http"
    options = (
        Option("url", "str", None, "the endpoint to poll", required=True),
        Option("format", "str", "events", "response shape", choices=FORMATS),
        Option("interval", "float", 60.0, "seconds between polls"),
        Option("params", "dict", {}, "query parameters sent with every request"),
        Option("headers", "dict", {}, "request headers (tokens: use ${ENV} references)", secret=True),
        Option("timeout", "float", 30.0, "seconds one request may take in all (answer, body, redirects)"),
        Option("max_body_bytes", "int", 16 << 20, "most bytes of an answer (decompressed); more fails it"),
        Option("max_pages", "int", 100, "most pages one poll follows; more fails the poll (cursor stays)"),
        Option("max_retries", "int", 5, "retries of a failed request before the poll fails"),
        Option("backoff", "float", 1.0, "first retry delay in seconds; doubles each retry, with jitter"),
        Option("max_backoff", "float", 60.0, "longest retry delay in seconds (Retry-After may ask more)"),
        Option("cursor_param", "str", "", "query parameter of the cursor (since / LastUpdatedAfter)"),
        Option("page_param", "str", "", "page-token parameter and response key (next / NextToken)"),
        Option("account", "str", DEFAULT_ACCOUNT, "account of SP-API orders and of events naming none"),
        Option(
            "cancelled_by",
            "str",
            "seller",
            "who cancelled, for SP-API orders (it does not say)",
            choices=("seller", "buyer", "marketplace"),
        ),
    )

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        settings = self.settings
        parts = urlsplit(settings["url"])
        # httpx replaces a URL's query with ``params``: keep the URL's own parameters as defaults.
        self.url: str = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.params = dict(parse_qsl(parts.query, keep_blank_values=True))
        self.params.update({str(key): str(value) for key, value in settings["params"].items()})
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"url must start with http:// or https://, got {self._safe_url()!r}")
        for number in ("interval", "timeout", "backoff", "max_backoff"):
            if settings[number] < 0:
                raise ValueError(f"{number} must not be negative")
        if settings["max_retries"] < 0:
            raise ValueError("max_retries must not be negative")
        if settings["max_pages"] < 1:
            raise ValueError("max_pages must be at least 1")
        self.format: str = settings["format"]
        default_cursor, default_page = PARAMETERS[self.format]
        self.cursor_param: str = settings["cursor_param"] or default_cursor
        self.page_param: str = settings["page_param"] or default_page
        self.headers = {str(key): str(value) for key, value in settings["headers"].items()}
        self._secrets = [*self.headers.values(), *url_secrets(settings["url"]), *_basic_secrets(parts)]
        self._secrets += [value for key, value in self.params.items() if is_secret_key(key)]
        self._cursor: int | None = None  # the newest instant seen (inclusive lower bound of the next poll)
        self._etag: str | None = None
        self._at_cursor: set[Key] = set()  # events already delivered at the cursor instant
        self._statuses = OrderStatusEvents(settings["account"], settings["cancelled_by"])
        self._polls = 0
        self._jitter = random.Random()
        self._follow = True
        self.clock: Clock = SystemClock()  # "now" for the cursor; the data is dated in real time
        self._future: dict[Key, int] = {}  # events dated past now already delivered -> their ts
        self._future_count = 0  # how many such events the server sent, for health

    # -- position -------------------------------------------------------------------------------

    def position(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self._cursor is not None:
            out["cursor"] = format_instant(self._cursor)
        if self._etag is not None:
            out["etag"] = self._etag
        return out

    def restore(self, position: Mapping[str, Any]) -> None:
        cursor, etag = position.get("cursor"), position.get("etag")
        try:
            self._cursor = parse_instant(str(cursor)) if cursor else None
        except TimeError as exc:
            raise ValueError(f"saved cursor: {exc}") from None
        self._etag = str(etag) if etag else None

    # -- polling --------------------------------------------------------------------------------

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        self._follow = follow
        # Redirects are followed by http_fetch, within the origin only: httpx would send the headers on.
        async with httpx.AsyncClient(
            headers=self.headers, timeout=self.settings["timeout"], follow_redirects=False
        ) as client:
            while True:
                try:
                    async for batch in self._poll(client):
                        yield batch
                except HttpSourceError as exc:
                    if not follow:
                        raise
                    self.report_error(str(exc))
                else:
                    self.set_state("ok", detail=self._cursor_text())
                if not follow:
                    return
                await asyncio.sleep(self.settings["interval"])

    def _cursor_text(self) -> str:
        text = f"cursor {format_instant(self._cursor)}" if self._cursor is not None else "no cursor yet"
        if self._future_count:
            items = "item" if self._future_count == 1 else "items"
            text += (
                f"; the server sent {self._future_count} {items} dated in the future (after now + "
                f"{FUTURE_SKEW_US // (60 * US_PER_SECOND)} min): the cursor does not move past now"
            )
        return text

    async def _poll(self, client: httpx.AsyncClient) -> AsyncIterator[Batch]:
        """One poll: every page from the cursor on. The cursor and ETag move with the last page only,
        so a poll cut short is repeated whole (what it delivered again is dropped as a duplicate). A
        page token seen before in the poll, or more than ``max_pages`` pages, stop it with an error."""
        self._polls += 1
        now = self.clock.now()
        if self._cursor is not None and self._cursor > now + FUTURE_SKEW_US:  # saved trusting a server's date
            self._cursor, self._at_cursor = now, set()
        params = dict(self.params)
        if self._cursor is not None:
            if self.format == "sp-api-orders":  # SP-API refuses CreatedAfter together with LastUpdatedAfter
                params.pop("CreatedAfter", None)
                params.pop("CreatedBefore", None)
            params[self.cursor_param] = format_instant(self._cursor)
        newest: int | None = None
        at_newest: set[Key] = set()
        token: str | None = None
        tokens: dict[str, int] = {}  # page token -> the page that sent it
        max_pages = self.settings["max_pages"]
        page = 0
        while True:
            page += 1
            where = f"poll {self._polls} page {page}"
            request_params = dict(params, **{self.page_param: token}) if token else params
            headers = {"If-None-Match": self._etag} if self._etag and page == 1 else {}
            response = await self._get(client, request_params, headers)
            if response.status_code == 304:
                return
            if page == 1:
                etag = response.headers.get("ETag")
            batch = Batch()
            try:  # parsing megabytes is blocking work: off the event loop
                token = await asyncio.to_thread(self._read_answer, response, where, batch)
            except UnreadablePage as exc:  # cursor and ETag stay: the next poll asks again
                yield Batch(rejections=[Rejection(self.name, where, str(exc))])
                return
            for event in batch.events:
                if event.ts > now:  # delivered, but never the cursor: remembered to drop its repeats
                    self._future[_key(event)] = event.ts
                    self._future_count += event.ts > now + FUTURE_SKEW_US
                    continue
                if newest is None or event.ts > newest:
                    newest, at_newest = event.ts, set()
                if event.ts == newest:
                    at_newest.add(_key(event))
            if not token:
                self._advance(newest, at_newest)
                self._etag = etag
                yield batch
                return
            if len(batch):
                yield batch
            if token in tokens:
                raise HttpSourceError(
                    f"page {page} sent the page token of page {tokens[token]} again: the API pages in a "
                    "loop; the poll stopped and the cursor stays"
                )
            tokens[token] = page
            if page >= max_pages:
                raise HttpSourceError(
                    f"more than {max_pages} pages in one poll (max_pages): the poll stopped and the cursor "
                    "stays; raise max_pages if the API really holds that much"
                )

    def _advance(self, newest: int | None, at_newest: set[Key]) -> None:
        if newest is None:
            return
        if newest == self._cursor:
            self._at_cursor |= at_newest
        elif self._cursor is None or newest > self._cursor:
            self._cursor, self._at_cursor = newest, at_newest
        if self._cursor is not None:  # the server sends nothing older than the cursor again
            self._future = {key: ts for key, ts in self._future.items() if ts >= self._cursor}
        if len(self._future) > FUTURE_KEPT:
            self._future = dict(list(self._future.items())[FUTURE_KEPT // 2 :])
        self._statuses.trim()

    async def _get(
        self, client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str]
    ) -> httpx.Response:
        retries = self.settings["max_retries"]
        timeout = self.settings["timeout"]
        attempt = 0
        while True:
            wait: float | None = None
            try:
                response = await fetch(
                    client, self.url, params, headers, timeout, int(self.settings["max_body_bytes"])
                )
            except FetchError as exc:  # too large, or a redirect refused: asking again changes nothing
                raise HttpSourceError(self._error(f"{self._safe_url()}: {exc}")) from None
            except (TimeoutError, httpx.TimeoutException):
                error = f"timed out after {timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"request failed: {type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status < 400:
                    return response
                error = f"HTTP {status} {response.reason_phrase}".rstrip()
                if status not in RETRIED:
                    raise HttpSourceError(
                        self._error(f"{error} from {self._safe_url()}: {_snippet(_body_text(response))}")
                    )
                if status in (429, 503):
                    wait = retry_after(response.headers.get("Retry-After"))
                    if wait is not None and wait > timeout and not self._follow:
                        raise HttpSourceError(
                            self._error(
                                f"{error} from {self._safe_url()}: the server asks to wait {wait:g} s "
                                "(Retry-After); a one-shot read does not wait that long"
                            )
                        )
            if attempt >= retries:
                raise HttpSourceError(
                    self._error(f"{error} from {self._safe_url()} (gave up after {attempt + 1} tries)")
                )
            attempt += 1
            if wait is None:
                wait = self._backoff(attempt)
            self.report_error(
                self._error(f"{error}; retry {attempt}/{retries} in {wait:.1f} s"), state="lagging"
            )
            await asyncio.sleep(wait)

    def _backoff(self, attempt: int) -> float:
        """Exponential back-off with jitter: ``backoff * 2**(attempt-1)`` scaled by 0.5..1.5, capped."""
        return backoff_delay(attempt, self.settings["backoff"], self.settings["max_backoff"], self._jitter)

    def _error(self, text: str) -> str:
        """An error text safe to show: the configured secrets masked, and any URL password or secret query
        value a server's reply quotes; a server's escapes made inert."""
        return clean(mask_text(text, self._secrets))

    def _safe_url(self) -> str:
        """The URL without its query (which may hold keys) and without credentials."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    # -- reading a page -------------------------------------------------------------------------

    def _read_answer(self, response: httpx.Response, where: str, batch: Batch) -> str | None:
        """Read a body as UTF-8, whatever charset the server declares (RFC 8259 defines no other for JSON;
        httpx's decoding raised on ``charset=rot13``). Each byte that is not UTF-8 becomes a lone surrogate,
        which no valid text holds: the item holding one is rejected once parsed, as in an event file
        (``core.readers``), and outside a string it makes that JSON malformed."""
        try:  # decoding megabytes blocks too
            return self._read_page(response.content.decode("utf-8"), where, batch)
        except UnicodeDecodeError:
            text = response.content.decode("utf-8", "surrogateescape")
            return self._read_page(text, where, batch, undecoded=True)

    def _read_page(self, text: str, where: str, batch: Batch, undecoded: bool = False) -> str | None:
        """Fill ``batch`` from one response body; return the next page token (``None`` at the end).
        ``undecoded``: ``text`` holds bytes that were not UTF-8 (as lone surrogates)."""
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:
            if self.format == "events" and _several_lines(text):
                self._read_json_lines(text, where, batch, undecoded)
                return None
            raise UnreadablePage(_json_problem(exc, whole=True)) from None
        if self.format == "sp-api-orders":
            payload = document.get("payload") if isinstance(document, dict) else None
            orders = payload.get("Orders") if isinstance(payload, dict) else None
            if not isinstance(orders, list):
                raise UnreadablePage("expected an SP-API getOrders body (payload.Orders)")
            for index, order in enumerate(orders):
                self._read_order(order, where, index, batch, undecoded)
            return _token(payload.get(self.page_param))
        if isinstance(document, list):
            items, token = document, None
        elif isinstance(document, dict) and isinstance(document.get("events"), list):
            items, token = document["events"], document.get(self.page_param)
        else:
            raise UnreadablePage("expected a JSON array of events or an object with an events array")
        for index, item in enumerate(items):
            self._read_item(item, f"{where} item", index, batch, undecoded)
        return _token(token)

    def _read_json_lines(self, text: str, where: str, batch: Batch, undecoded: bool) -> None:
        """The objects of a JSON Lines body, one line at a time; unreadable lines become rejections."""
        for number, line in enumerate(_lines(text), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except (ValueError, RecursionError) as exc:
                batch.rejections.append(Rejection(self.name, f"{where} line {number}", _json_problem(exc)))
                continue
            self._read_item(item, f"{where} line", number, batch, undecoded)

    def _read_item(self, item: Any, where: str, number: int, batch: Batch, undecoded: bool) -> None:
        """A canonical event object -> an event (without an account, the source's), or a rejection at
        ``where number``: whatever the item holds, it never fails more than itself."""
        try:
            if not isinstance(item, dict):
                raise EventError("expected an object")
            if undecoded and not is_text(item):
                raise EventError(NOT_UTF8)
            event = parse_event(item)
            if not item.get("account"):
                event.account = self.settings["account"]
        except (ValueError, OverflowError) as exc:
            batch.rejections.append(Rejection(self.name, f"{where} {number}", _reason(exc)))
            return
        key = _key(event)
        if (event.ts == self._cursor and key in self._at_cursor) or key in self._future:
            return  # delivered by an earlier poll: the cursor is inclusive, and stays before future events
        batch.events.append(event)

    def _read_order(self, order: Any, where: str, index: int, batch: Batch, undecoded: bool) -> None:
        try:
            if undecoded and not is_text(order):
                raise EventError(NOT_UTF8)
            batch.events.extend(self._statuses.events(order))
        except (ValueError, OverflowError) as exc:
            batch.rejections.append(Rejection(self.name, f"{where} order {index}", _reason(exc)))


def _key(event: Event) -> Key:
    """What identifies an event for duplicate checks: its id, else all its fields (as they are: an
    instant out of range cannot be written as text)."""
    return event.event_id or tuple(getattr(event, name) for name in FIELDS)


def _basic_secrets(parts: SplitResult) -> list[str]:
    """The Basic credential httpx derives from a URL's ``user:password`` (the header value and its base64
    part): a server's error body may echo the Authorization header, which decodes to the password."""
    try:
        user, password = parts.username, parts.password
    except ValueError:
        return []
    if user is None and password is None:
        return []
    credential = f"{unquote(user or '')}:{unquote(password or '')}".encode()
    encoded = base64.b64encode(credential).decode("ascii")
    return [f"Basic {encoded}", encoded]


def _token(value: Any) -> str | None:
    """The next page token of an answer, ``None`` on the last page."""
    if not value:
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise UnreadablePage(f"page token is {type(value).__name__}, not text or a whole number")
    token = str(value)
    if not is_text(token):
        raise UnreadablePage(f"page token is {NOT_UTF8}")
    if len(token) > MAX_TOKEN:
        raise UnreadablePage(f"page token of {len(token)} characters (a URL carries at most {MAX_TOKEN})")
    return token


def _json_problem(exc: ValueError | RecursionError, whole: bool = False) -> str:
    """Why a body (``whole``) or one line of it is not readable JSON, for a rejection."""
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read"
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON: {exc.msg}" + (f" at line {exc.lineno}" if whole else "")
    return f"unreadable JSON: {str(exc).split(';')[0]}"  # e.g. an integer of more than 4300 digits


def _reason(exc: ValueError | OverflowError) -> str:
    if isinstance(exc, OverflowError):
        return f"a date or number out of range ({exc})"
    return str(exc)


def _several_lines(text: str) -> bool:
    """True when ``text`` has more than one non-blank line (JSON Lines, not one JSON document)."""
    first = _CONTENT.search(text)
    if first is None:
        return False
    end = text.find("\n", first.start())
    return end >= 0 and _CONTENT.search(text, end) is not None


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, one at a time (a list of millions of lines is gigabytes)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def _body_text(response: httpx.Response) -> str:
    """An error body as text to quote: UTF-8 whatever charset the server declares, bad bytes replaced."""
    return response.content.decode("utf-8", errors="replace")


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text[: limit * 4].split())
    return text if len(text) <= limit else text[:limit] + "..."
