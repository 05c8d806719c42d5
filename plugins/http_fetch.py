"""One request of the ``http`` and ``sp-api`` sources, bounded in every way a server could stretch it.

- Time: ``timeout`` bounds the whole exchange, from connecting to the last byte of the body, redirects
  included. httpx's own timeouts bound each read only: a server dripping one byte a second kept a
  request with ``timeout = 5`` open for as long as it liked.
- Size: the body (after decompression) is read only up to ``max_body_bytes``, declared or not.
- Redirects: followed only within the origin of the request (same scheme, host and port), at most
  :data:`MAX_REDIRECTS` of them. A redirect anywhere else is refused before anything is sent there: the
  configured headers (tokens) and query (keys) would go with it, and ``https`` to ``http`` would send
  them in clear.
"""

from __future__ import annotations

import asyncio

import httpx

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchError(RuntimeError):
    """The answer cannot be used (too large, a redirect refused). The text names no more of a URL than
    an origin (a server's Location may echo keys); the caller says which request and masks secrets."""


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, str] | None,
    headers: dict[str, str],
    timeout: float,
    max_body_bytes: int,
    method: str = "GET",
    body: bytes | None = None,
) -> httpx.Response:
    """``method`` (GET by default) ``url`` and read its body, all within ``timeout`` seconds
    (``TimeoutError`` beyond). ``params`` replace the query of ``url``; ``None`` keeps it as it is (a
    pre-signed URL's signature is its query).

    Raises :class:`FetchError` for a body over ``max_body_bytes`` or a redirect that is not followed
    (a request with a ``body`` follows none: resending it elsewhere is not a GET's harmless repeat),
    and httpx's errors for the transport.
    """
    async with asyncio.timeout(timeout):
        request = client.build_request(method, url, params=params, headers=headers, content=body)
        for _hop in range(MAX_REDIRECTS + 1):
            response = await client.send(request, stream=True)
            try:
                location = response.headers.get("Location")
                if response.status_code not in REDIRECTS or not location:
                    return await _read(response, request, max_body_bytes)
                if body is not None:
                    raise FetchError(f"redirect of a {method} with a body refused")
            finally:
                await response.aclose()
            request = client.build_request("GET", _follow(request.url, location), headers=headers)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def _follow(current: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect leads, if it stays within the origin of ``current``."""
    try:
        target = current.join(location)
    except httpx.InvalidURL:
        raise FetchError("redirect to an unreadable Location refused") from None
    if _origin(target) != _origin(current):
        raise FetchError(
            f"redirect to {_origin_text(target)} refused: the configured headers and query are only sent "
            f"to {_origin_text(current)} (the same scheme, host and port as url)"
        )
    return target


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme)


def _origin_text(url: httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL: never its path or query (a server's Location may echo keys)."""
    host = f"[{url.host}]" if ":" in url.host else url.host
    return f"{url.scheme}://{host}" + (f":{url.port}" if url.port else "")


async def _read(response: httpx.Response, request: httpx.Request, limit: int) -> httpx.Response:
    """The response with its body read (at most ``limit`` bytes after decompression)."""
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:
            raise FetchError(f"answer larger than max_body_bytes ({limit} bytes)")
    kept = {
        k: v for k, v in response.headers.items() if k.lower() not in ("content-encoding", "content-length")
    }
    return httpx.Response(
        response.status_code, headers=kept, content=bytes(body), request=request,
        extensions=response.extensions,
    )  # fmt: skip
