"""The ``sp-api`` source: a seller's live Amazon account through the Selling Partner API.

Each turn polls ``getOrders`` from its cursor (when ``interval`` has passed) and moves every report type
one step (ask, poll, read: :mod:`.reports`). Calls sign in with Login with Amazon (:mod:`.lwa`), wait
for their operation's quota (:mod:`.quota`) and are bounded and retried (:mod:`.client`). The position
holds the orders cursor and each report type's progress, so a restart neither misses a change nor asks
for a report it already asked for. With ``follow`` off (``sellerpulse report``) the source reads the
orders once and waits for every due report, then ends.

Health: ``lagging`` with the reason while a call waits (a retry, the quota: "waiting for quota"), and
``failing`` with the error when a call failed for good; the next turn that works says ``ok``.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
from sellerpulse.core.clock import Clock, SystemClock
from sellerpulse.core.events import DEFAULT_ACCOUNT
from sellerpulse.core.options import Option
from sellerpulse.core.profile import ProfileError, builtin_profile
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.timeutil import (
    US_PER_DAY,
    US_PER_SECOND,
    TimeError,
    format_instant,
    load_zone,
    parse_instant,
)

from ..order_statuses import OrderStatusEvents
from .client import SpApiClient, SpApiError
from .lwa import DEFAULT_ENDPOINT, LwaToken
from .orders import OrdersFeed
from .quota import DEFAULT_LIMITS, Quotas
from .reports import REPORT_FORMATS, ReportJobs, ReportReading

ENDPOINTS = {
    "na": "https://sellingpartnerapi-na.amazon.com",
    "eu": "https://sellingpartnerapi-eu.amazon.com",
    "fe": "https://sellingpartnerapi-fe.amazon.com",
}


class SpApiSource(Source):
    """A live Amazon seller account: orders from getOrders; feedback, returns, all orders and Amazon's own
    Account Health figures from the Reports API; LWA sign-in, per-operation rate limits, safe restarts."""

    type_name = "sp-api"
    options = (
        Option("region", "str", "na", "SP-API region of the marketplaces", choices=tuple(ENDPOINTS)),
        Option("endpoint", "str", "", "SP-API base URL instead of the region's (sandbox, tests)"),
        Option("marketplace_ids", "list", None, "marketplaces to read (ATVPDKIKX0DER = amazon.com)", required=True),
        Option("client_id", "str", None, "LWA client id of the application (use ${ENV})", required=True, secret=True),
        Option("client_secret", "str", None, "LWA client secret (use ${ENV})", required=True, secret=True),
        Option("refresh_token", "str", None, "LWA refresh token of the seller's authorisation (use ${ENV})", required=True, secret=True),
        Option("lwa_endpoint", "str", DEFAULT_ENDPOINT, "Login with Amazon token endpoint"),
        Option("account", "str", DEFAULT_ACCOUNT, "account the events belong to"),
        Option("interval", "float", 300.0, "seconds between getOrders polls"),
        Option("reports", "list", list(REPORT_FORMATS), "report types to read (docs/sp-api.md)"),
        Option("report_interval", "float", 14400.0, "seconds between two requests of one report type"),
        Option("report_poll", "float", 30.0, "seconds between getReport polls of a report not done yet"),
        Option("report_max_days", "float", 30.0, "longest data range one report is asked for"),
        Option("lookback_days", "float", 0.0, "days read on the first start; 0: the profile's longest window + lag"),
        Option("profile", "str", "amazon", "built-in profile whose windows set the first start's lookback"),
        Option("timezone", "str", "UTC", "time zone of report dates written without an offset"),
        Option("day_first", "bool", False, "read report dates such as 03/11/2026 as 3 November"),
        Option("encoding", "str", "utf-8", "text encoding of report documents (cp1252 for some marketplaces)"),
        Option("cancelled_by", "str", "seller", "who cancelled (neither getOrders nor the reports say)",
               choices=("seller", "buyer", "marketplace")),
        Option("rate_limits", "dict", {}, "per operation [rate per second, burst], replacing Amazon's defaults"),
        Option("timeout", "float", 30.0, "seconds one request may take in all"),
        Option("max_body_bytes", "int", 64 << 20, "most bytes of an answer or a (decompressed) report"),
        Option("max_pages", "int", 100, "most getOrders pages one poll follows"),
        Option("max_retries", "int", 5, "retries of a failed call before the turn fails"),
        Option("backoff", "float", 1.0, "first retry delay in seconds; doubles each retry, with jitter"),
        Option("max_backoff", "float", 60.0, "longest retry delay in seconds"),
    )  # fmt: skip

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        super().__init__(name, options)
        settings = self.settings
        for number in ("interval", "report_interval", "report_poll", "timeout", "backoff", "max_backoff"):
            if settings[number] < 0:
                raise ValueError(f"{number} must not be negative")
        if (
            settings["report_max_days"] <= 0
            or settings["report_interval"] <= 0
            or settings["lookback_days"] < 0
        ):
            raise ValueError(
                "report_max_days and report_interval must be above 0, lookback_days not negative"
            )
        load_zone(str(settings["timezone"]))  # an unknown zone is a config error now, not a report later
        if settings["max_pages"] < 1 or settings["max_retries"] < 0 or settings["max_body_bytes"] < 1:
            raise ValueError("max_pages and max_body_bytes must be at least 1, max_retries not negative")
        marketplaces = [str(value) for value in settings["marketplace_ids"] if str(value).strip()]
        if not marketplaces:
            raise ValueError("marketplace_ids is empty: name at least one marketplace")
        endpoint = str(settings["endpoint"]) or ENDPOINTS[settings["region"]]
        for url, what in ((endpoint, "endpoint"), (str(settings["lwa_endpoint"]), "lwa_endpoint")):
            _check_url(url, what)
        self.lookback_us = int(_lookback_days(settings) * US_PER_DAY)
        self.lwa = LwaToken(
            str(settings["client_id"]), str(settings["client_secret"]), str(settings["refresh_token"]),
            endpoint=str(settings["lwa_endpoint"]),
        )  # fmt: skip
        self.quotas = Quotas(_limits(settings["rate_limits"]))
        self.client = SpApiClient(
            endpoint, self.lwa, self.quotas, timeout=settings["timeout"],
            max_body_bytes=int(settings["max_body_bytes"]), max_retries=int(settings["max_retries"]),
            backoff=settings["backoff"], max_backoff=settings["max_backoff"], notify=self._notify,
        )  # fmt: skip
        account = str(settings["account"])
        statuses = OrderStatusEvents(account, str(settings["cancelled_by"]))
        self.orders = OrdersFeed(name, marketplaces, statuses, int(settings["max_pages"]))
        reading = ReportReading(
            account, str(settings["timezone"]), bool(settings["day_first"]),
            str(settings["cancelled_by"]), str(settings["encoding"]),
        )  # fmt: skip
        self.reports = ReportJobs(
            name, [str(value) for value in settings["reports"]], marketplaces,
            int(settings["report_interval"] * US_PER_SECOND), int(settings["report_max_days"] * US_PER_DAY),
            reading,
        )  # fmt: skip
        self.clock: Clock = SystemClock()

    # -- position -------------------------------------------------------------------------------

    def position(self) -> dict[str, Any]:
        out: dict[str, Any] = {"reports": self.reports.position()}
        if self.orders.cursor is not None:
            out["cursor"] = format_instant(self.orders.cursor)
        return out

    def restore(self, position: Mapping[str, Any]) -> None:
        cursor = position.get("cursor")
        try:
            self.orders.cursor = parse_instant(str(cursor)) if cursor else None
        except TimeError as exc:
            raise ValueError(f"saved cursor: {exc}") from None
        if position.get("reports") is not None:
            self.reports.restore(position["reports"])

    # -- reading --------------------------------------------------------------------------------

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        settings = self.settings
        interval_us = int(settings["interval"] * US_PER_SECOND)
        orders_due, polled = 0, False
        orders_error: str | None = None  # why the latest getOrders poll failed, until one works
        async with httpx.AsyncClient(timeout=settings["timeout"], follow_redirects=False) as http:
            while True:
                moment = self.clock.now()
                now = moment // US_PER_SECOND * US_PER_SECOND  # Amazon's dates: whole seconds
                first_start = now - self.lookback_us
                if moment >= orders_due and (follow or not polled):  # one-shot: once, then the reports
                    orders_due, polled = moment + interval_us, True  # a failed poll waits as long
                    try:
                        async for batch in self.orders.poll(self.client, http, now, first_start):
                            yield batch
                    except SpApiError as exc:
                        if not follow:
                            raise
                        orders_error = str(exc)
                    else:
                        orders_error = None
                async for batch in self.reports.step(self.client, http, now, first_start):
                    yield batch
                if self.reports.failed and not follow:
                    raise SpApiError(self.reports.failed)
                # a turn that only waited for reports must not hide a failed poll, nor the reverse
                if orders_error is not None:
                    self.report_error(orders_error)
                elif self.reports.failed:
                    self.report_error(self.reports.failed, state="lagging")
                else:
                    self.set_state("ok", detail=self._health_text())
                if not follow and not self.reports.busy(self.clock.now()):
                    return
                await asyncio.sleep(self._pause(orders_due))

    def _pause(self, orders_due: int) -> float:
        """Seconds to the next thing to do: a report poll, a report due, or the next getOrders poll."""
        now = self.clock.now()
        if self.reports.awaiting():
            return float(self.settings["report_poll"])
        wake = min(orders_due, self.reports.next_due(now))
        return max(0.0, (wake - now) / US_PER_SECOND)

    def _health_text(self) -> str:
        cursor = self.orders.cursor
        text = f"orders updated to {format_instant(cursor)}" if cursor is not None else "no orders read yet"
        awaiting = self.reports.awaiting()
        if awaiting:
            text += f"; waiting for {awaiting} report{'s' if awaiting > 1 else ''}"
        return text

    def _notify(self, state: str, text: str) -> None:
        if state == "ok":
            self.set_state("ok", detail=self._health_text())
        else:
            self.report_error(text, state=state)


def _check_url(url: str, what: str) -> None:
    """``https://``, or ``http://`` to this machine only (a local stand-in): the credentials and tokens
    must never cross a network in clear."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _loopback(parts.hostname or ""):
        return
    raise ValueError(f"{what} must be an https:// URL (http:// only to this machine: 127.0.0.1, localhost)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _lookback_days(settings: Mapping[str, Any]) -> float:
    """Days the first start reads: ``lookback_days``, else the profile's longest window plus its lag."""
    if settings["lookback_days"]:
        return float(settings["lookback_days"])
    try:
        profile = builtin_profile(str(settings["profile"]))
    except ProfileError as exc:
        raise ValueError(f"profile: {exc}; or set lookback_days") from None
    return float(profile.retention_days - profile.horizon_days)  # its order metrics' longest window + lag


def _limits(table: Mapping[str, Any]) -> dict[str, tuple[float, int]]:
    """``rate_limits`` as {operation: (rate, burst)}; an unknown operation is a typo, and says so."""
    limits: dict[str, tuple[float, int]] = {}
    for operation, value in table.items():
        if operation not in DEFAULT_LIMITS:
            raise ValueError(
                f"rate_limits: unknown operation {operation!r} (one of {', '.join(DEFAULT_LIMITS)})"
            )
        if not (isinstance(value, list) and len(value) == 2):
            raise ValueError(f"rate_limits.{operation}: expected [rate per second, burst]")
        try:
            limits[operation] = (float(value[0]), int(value[1]))
        except (TypeError, ValueError):
            raise ValueError(f"rate_limits.{operation}: expected [rate per second, burst]") from None
    return limits
