"""Login with Amazon: the refresh token exchanged for the access token every SP-API call carries.

An access token lives an hour (``expires_in``); it is kept until :data:`MARGIN` seconds before it ends,
then exchanged again, and at once when a call says it is invalid (:meth:`LwaToken.expire`). The three
credentials and every access token issued are secrets: :attr:`LwaToken.secrets` lists them for masking,
and no text built here quotes them (LWA's own error text is not trusted to leave them out either).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlencode

import httpx

from ..http_fetch import fetch

DEFAULT_ENDPOINT = "https://api.amazon.com/auth/o2/token"
MARGIN = 60.0  # seconds before its end that a token is renewed (a call in flight must not carry a dead one)
TOKENS_MASKED = 8  # access tokens remembered for masking (a reply may quote one just replaced)
RETRIED = frozenset({408, 429, 500, 502, 503, 504})


class SignInError(RuntimeError):
    """The exchange failed; ``transient`` when asking again later may work. The text holds no secret."""

    def __init__(self, text: str, transient: bool) -> None:
        super().__init__(text)
        self.transient = transient


class LwaToken:
    """The access token of one selling-partner authorisation (client id + secret + refresh token)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        endpoint: str = DEFAULT_ENDPOINT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        missing = [
            name
            for name, value in (
                ("client_id", client_id),
                ("client_secret", client_secret),
                ("refresh_token", refresh_token),
            )
            if not value
        ]
        if missing:
            raise ValueError(f"{', '.join(missing)} empty: Login with Amazon needs all three")
        self._form = urlencode({
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": client_id, "client_secret": client_secret,
        }).encode("ascii")  # fmt: skip
        self.endpoint = endpoint
        self.clock = clock
        self._credentials = (client_id, client_secret, refresh_token)
        self._token: str | None = None
        self._ends = 0.0
        self._issued: list[str] = []
        self.exchanges = 0  # how many times the refresh token was exchanged

    @property
    def secrets(self) -> list[str]:
        """Every value to mask: the credentials and the access tokens issued lately."""
        return [*self._credentials, *self._issued]

    def expire(self) -> None:
        """Forget the token (a call was refused with it); the next :meth:`get` exchanges again."""
        self._token = None

    async def get(self, client: httpx.AsyncClient, timeout: float, max_body_bytes: int) -> str:
        """A valid access token, exchanging the refresh token when none is held or it is about to end.

        Raises :class:`SignInError`: transient for timeouts, connection errors, 429 and 5xx; not for a
        refused refresh token (``invalid_grant``: the seller must authorise the application again) or
        refused client credentials.
        """
        if self._token is not None and self.clock() < self._ends - MARGIN:
            return self._token
        headers = {"content-type": "application/x-www-form-urlencoded;charset=UTF-8"}
        try:
            response = await fetch(
                client, self.endpoint, {}, headers, timeout, max_body_bytes, method="POST", body=self._form
            )
        except (TimeoutError, httpx.TimeoutException):
            raise SignInError(f"Login with Amazon timed out after {timeout:g} s", transient=True) from None
        except httpx.HTTPError as exc:
            raise SignInError(
                f"Login with Amazon unreachable: {type(exc).__name__}", transient=True
            ) from None
        except Exception as exc:  # too large, a redirect refused
            raise SignInError(f"Login with Amazon: {exc}", transient=False) from None
        answer = _json(response)
        if response.status_code >= 400:
            raise _refused(response.status_code, answer)
        token, lifetime = answer.get("access_token"), answer.get("expires_in", 3600)
        if not isinstance(token, str) or not token:
            raise SignInError("Login with Amazon answered without an access_token", transient=True)
        if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or lifetime <= 0:
            lifetime = 3600
        self.exchanges += 1
        self._token, self._ends = token, self.clock() + float(lifetime)
        self._issued = [*self._issued[-(TOKENS_MASKED - 1) :], token]
        return token


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        document = json.loads(response.content)
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _refused(status: int, answer: dict[str, object]) -> SignInError:
    """Why LWA refused, named by its OAuth error code only (a description may echo a credential)."""
    code = answer.get("error")
    code = code if isinstance(code, str) and code.replace("_", "").isalnum() else ""
    if code == "invalid_grant":
        return SignInError(
            "Login with Amazon refused the refresh token (invalid_grant): it was revoked or has expired; "
            "authorise the application again in Seller Central and set the new refresh_token",
            transient=False,
        )
    if code in ("invalid_client", "unauthorized_client"):
        return SignInError(
            f"Login with Amazon refused the client credentials ({code}): check client_id and client_secret",
            transient=False,
        )
    named = f" ({code})" if code else ""
    return SignInError(f"Login with Amazon answered HTTP {status}{named}", transient=status in RETRIED)
