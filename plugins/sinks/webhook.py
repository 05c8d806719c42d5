"""The ``webhook`` sink: an HTTP POST of the alerts as JSON (or a Slack-compatible ``{"text": ...}``)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import httpx
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import RETRY_OPTIONS, DeliveryError, Sink
from sellerpulse.core.backoff import retry_after
from sellerpulse.core.options import Option


class WebhookSink(Sink):
    """POSTs each group of alerts to a URL: 2xx is sent, 429 and 5xx are retried with back-off, any
    other 4xx is a permanent failure.

    Secrets (the URL of a chat webhook, a token header) come from the environment with ``${VAR}`` in
    the config; errors never repeat the URL or the headers. Every request carries an
    ``Idempotency-Key`` header (the group's key; each alert in the body has its own ``key``) so a
    receiver can drop a delivery repeated after a timeout or a crash. The JSON body is ASCII and exact;
    the ``slack`` text is cleaned (see :mod:`~sellerpulse.core.alerts.message`).
    """

    type_name: ClassVar[str] = "webhook"
    options: ClassVar[tuple[Option, ...]] = (
        Option("url", "str", None, "where to POST (http or https)", required=True, secret=True),
        Option(
            "format",
            "str",
            "json",
            'json: the alerts as JSON; slack: {"text": ...}',
            choices=("json", "slack"),
        ),
        Option("headers", "dict", None, "extra request headers (values may be ${ENV} secrets)", secret=True),
        Option("timeout", "float", 10.0, "seconds before a request is abandoned (and retried)"),
        *RETRY_OPTIONS,
    )

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        url = str(self.settings["url"])
        if not url.startswith(("http://", "https://")):
            raise ValueError("option 'url': expected an http:// or https:// address")
        self.url = url
        headers = {str(k): str(v) for k, v in (self.settings.get("headers") or {}).items()}
        self._client = httpx.Client(timeout=float(self.settings.get("timeout", 10.0)), headers=headers)

    def body(self, message: AlertMessage) -> dict[str, Any]:
        if self.settings.get("format") == "slack":
            return {"text": slack_escape(f"{message.title()}\n{message.text()}")}
        return {"source": "sellerpulse", **message.to_json()}

    def send(self, message: AlertMessage) -> None:
        try:
            response = self._client.post(
                self.url,
                content=json.dumps(self.body(message)).encode("ascii"),
                headers={"Content-Type": "application/json", "Idempotency-Key": message.key},
            )
        except httpx.TimeoutException:
            raise DeliveryError("timed out") from None
        except httpx.HTTPError as exc:
            raise DeliveryError(f"request failed: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return
        if status == 429 or status >= 500:
            raise DeliveryError(
                f"HTTP {status}", retry_after=retry_after(response.headers.get("retry-after"))
            )
        raise DeliveryError(f"HTTP {status} (not retried)", permanent=True)

    def close(self) -> None:
        self._client.close()


def slack_escape(text: str) -> str:
    """Slack reads ``<...>`` as links and mentions: untrusted text must not create any."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
