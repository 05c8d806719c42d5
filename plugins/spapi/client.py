"""Authorised, rate-limited, bounded SP-API calls, and the download of report documents.

A call takes a token of its operation's bucket (:mod:`.quota`), carries the LWA access token in
``x-amz-access-token``, and is bounded in time and size by the same fetch the ``http`` source uses.
A 401, or a 403 whose ``errors`` say the access token is invalid or expired, gets one new token and one
more try. 429 empties the operation's bucket and waits for ``Retry-After`` (else the back-off); timeouts,
connection errors and 5xx are retried with the one back-off of the product; anything else fails the call
with Amazon's error ``code`` and ``message``. Every error text is masked: the credentials, every access
token issued and any secret-looking query parameter (a pre-signed document URL carries a signature).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from sellerpulse.core.backoff import backoff_delay, retry_after
from sellerpulse.core.secrets import mask_text
from sellerpulse.core.textsafe import clean

from ..http_fetch import FetchError, fetch
from .lwa import LwaToken, SignInError
from .quota import Quotas

RETRIED = frozenset({408, 429, 500, 502, 503, 504})
USER_AGENT = "sellerpulse (Language=Python)"  # Amazon asks every application to name itself


class SpApiError(RuntimeError):
    """A call that failed for good (after its retries); the text is safe to show."""


class SpApiClient:
    """Calls of one seller authorisation against one SP-API endpoint (``https://sellingpartnerapi-...``).

    ``notify(state, text)`` hears about waits as they happen, for the source's health: ``lagging`` with
    the reason (a retry, the quota), ``ok`` when a quota wait is over.
    """

    def __init__(
        self,
        endpoint: str,
        lwa: LwaToken,
        quotas: Quotas,
        *,
        timeout: float,
        max_body_bytes: int,
        max_retries: int,
        backoff: float,
        max_backoff: float,
        notify: Callable[[str, str], None] = lambda _state, _text: None,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.lwa = lwa
        self.quotas = quotas
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.notify = notify
        self._jitter = random.Random()

    def mask(self, text: str) -> str:
        """``text`` safe to log or show: secrets masked, a server's escapes made inert."""
        return clean(mask_text(text, self.lwa.secrets))

    async def call(
        self,
        http: httpx.AsyncClient,
        operation: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The JSON object answering ``operation`` (GET ``path``, or POST ``body`` as JSON)."""
        content = json.dumps(body).encode("utf-8") if body is not None else None
        method = "GET" if content is None else "POST"
        attempt = 0
        renewed = False
        while True:
            wait: float | None = None
            await self.quotas.acquire(operation, self._quota_wait)
            try:
                token = await self.lwa.get(http, self.timeout, self.max_body_bytes)
            except SignInError as exc:
                if not exc.transient:
                    raise SpApiError(self.mask(str(exc))) from None
                error = str(exc)
            else:
                headers = {
                    "x-amz-access-token": token,
                    "accept": "application/json",
                    "user-agent": USER_AGENT,
                }
                if content is not None:
                    headers["content-type"] = "application/json"
                try:
                    response = await fetch(
                        http, self.endpoint + path, dict(params or {}), headers, self.timeout,
                        self.max_body_bytes, method=method, body=content,
                    )  # fmt: skip
                except FetchError as exc:
                    raise SpApiError(self.mask(f"{operation}: {exc}")) from None
                except (TimeoutError, httpx.TimeoutException):
                    error = f"{operation} timed out after {self.timeout:g} s"
                except httpx.HTTPError as exc:
                    error = f"{operation} failed: {type(exc).__name__}"
                else:
                    self.quotas.observe(operation, response.headers.get("x-amzn-RateLimit-Limit"))
                    status = response.status_code
                    if status < 300:
                        return self._answer(operation, response)
                    problem = _errors(response)
                    if not renewed and (status == 401 or (status == 403 and _token_refused(response))):
                        self.lwa.expire()  # one new token, one more try; a second refusal is final
                        renewed = True
                        continue
                    error = f"{operation}: HTTP {status}" + (f": {problem}" if problem else "")
                    if status not in RETRIED:
                        raise SpApiError(self.mask(error + _advice(status)))
                    if status == 429:
                        self.quotas.throttled(operation)
                        wait = retry_after(response.headers.get("Retry-After"), self.max_backoff)
            if attempt >= self.max_retries:
                raise SpApiError(self.mask(f"{error} (gave up after {attempt + 1} tries)"))
            attempt += 1
            if wait is None:
                wait = backoff_delay(attempt, self.backoff, self.max_backoff, self._jitter)
            self.notify("lagging", self.mask(f"{error}; retry {attempt}/{self.max_retries} in {wait:.1f} s"))
            await asyncio.sleep(wait)

    async def download(self, http: httpx.AsyncClient, url: str) -> bytes:
        """The bytes of a report document at its pre-signed ``url`` (another host: no SP-API header
        goes there), retried as calls are; as stored, compressed or not."""
        attempt = 0
        while True:
            try:
                response = await fetch(http, url, None, {}, self.timeout, self.max_body_bytes)
            except FetchError as exc:
                raise SpApiError(self.mask(f"report document: {exc}")) from None
            except (TimeoutError, httpx.TimeoutException):
                error = f"report document download timed out after {self.timeout:g} s"
            except httpx.HTTPError as exc:
                error = f"report document download failed: {type(exc).__name__}"
            else:
                if response.status_code < 300:
                    return response.content
                error = f"report document download: HTTP {response.status_code}"
                if response.status_code not in RETRIED:
                    raise SpApiError(self.mask(error))
            if attempt >= self.max_retries:
                raise SpApiError(self.mask(f"{error} (gave up after {attempt + 1} tries)"))
            attempt += 1
            wait = backoff_delay(attempt, self.backoff, self.max_backoff, self._jitter)
            self.notify("lagging", self.mask(f"{error}; retry {attempt}/{self.max_retries} in {wait:.1f} s"))
            await asyncio.sleep(wait)

    def _quota_wait(self, operation: str, seconds: float) -> None:
        if seconds > 0:
            self.notify("lagging", f"waiting for quota: {operation} (next call allowed in {seconds:.0f} s)")
        else:  # the wait is over: the health must not go on saying it waits
            self.notify("ok", "")

    def _answer(self, operation: str, response: httpx.Response) -> dict[str, Any]:
        try:
            document = json.loads(response.content)
        except (ValueError, RecursionError):
            raise SpApiError(f"{operation}: the answer is not JSON") from None
        if not isinstance(document, dict):
            raise SpApiError(f"{operation}: the answer is not a JSON object")
        return document


def _error_list(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        document = json.loads(response.content)
    except (ValueError, RecursionError):
        return []
    errors = document.get("errors") if isinstance(document, dict) else None
    return [item for item in errors if isinstance(item, dict)] if isinstance(errors, list) else []


def _errors(response: httpx.Response) -> str:
    """Amazon's ``errors`` list as one short text: ``code: message (details)``."""
    parts = []
    for item in _error_list(response)[:3]:
        text = ": ".join(str(item[key]) for key in ("code", "message") if item.get(key))
        if item.get("details"):
            text += f" ({item['details']})"
        parts.append(text[:300])
    return "; ".join(parts)


def _token_refused(response: httpx.Response) -> bool:
    """A 403 that blames the access token (expired, invalid), not the application's roles."""
    for item in _error_list(response):
        said = f"{item.get('message', '')} {item.get('details', '')}".lower()
        if item.get("code") in ("Unauthorized", "InvalidAccessToken") and "token" in said:
            return True
    return False


def _advice(status: int) -> str:
    if status == 403:
        return "; the application may lack the role this call needs (Seller Central: app authorisations)"
    return ""
