"""The dashboard's data from a running ``sellerpulse serve``: :class:`RemoteData`.

It implements the same :class:`~sellerpulse.tui.data.DashboardData` protocol as the local adapters, so
the attached view is the very same app, panels, drill-downs and keys. What the panels draw comes from
``serve``'s stream: the whole view state once when the stream opens, then patches of what changed; the
view polls the mirror at its refresh rate as it polls a local engine, and redraws only what changed.
Drill-down rows, the weekly figures and rejected rows are asked for when a screen opens (the app calls
these methods on a worker thread, so a slow answer never blocks a key). While ``serve`` is gone the
last view stays on screen with a ``serve reconnecting`` entry in the header and sources panel, and the
stream reconnects by itself.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import httpx
from sellerpulse.core.api import wire
from sellerpulse.core.api.stream import StreamFollower
from sellerpulse.core.clock import SystemClock
from sellerpulse.core.events import Rejection
from sellerpulse.core.official_compare import Comparison
from sellerpulse.core.snapshot import QueueItem, Snapshot
from sellerpulse.core.sources import SourceHealth

from .data import QUIET_STATES, AlertLine, BadRow, _bad_row, alert_line
from .remote_stream import EventStream, ServerEvent

log = logging.getLogger(__name__)

SERVE = "serve"  # the health entry that says whether the view is connected
REQUEST_TIMEOUT = 5.0
API = "/api/v1"


class RemoteError(RuntimeError):
    """``serve`` answered a request with an error, or could not be reached."""


class ServeClock:
    """The view's "now": the instant of ``serve``'s latest state (its clock may be simulated, as the
    demo's is), so drill-downs ask for the same instant the panels show. Before any state: wall time."""

    def __init__(self) -> None:
        self.at: int | None = None

    def now(self) -> int:
        return self.at if self.at is not None else SystemClock().now()


class RemoteData:
    """A :class:`~sellerpulse.tui.data.DashboardData` fed by ``serve`` at ``base_url``; ``token``
    authorises actions (acknowledging alerts) and, off loopback, every read."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = ServeClock()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=REQUEST_TIMEOUT)
        self._lock = threading.Lock()
        self._follower = StreamFollower()  # the view document, kept in step by the stream's patches
        self._decoded: wire.View | None = None  # its alerts already the feed's lines
        self._version = 0
        self._connected = False
        self._lost_reason = "connecting"
        self.alert_control = RemoteAlertControl(self)  # what the alerts screen's k and z act through
        self._stream = EventStream(self.base_url + API + "/stream", self._on_event, self._on_state, headers)

    # -- the stream -------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the stream (the app calls it once its main screen exists)."""
        self._stream.start()

    def close(self) -> None:
        self._stream.stop()
        self._http.close()

    def wait_connected(self, timeout: float) -> bool:
        """Block until the first whole state has arrived (tests and benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._connected and self._decoded is not None:
                    return True
            time.sleep(0.02)
        return False

    @property
    def version(self) -> int:
        """How many states and patches were applied: a view can tell that something arrived."""
        return self._version

    def _on_event(self, event: ServerEvent) -> None:
        """A whole view (first on every connection) or a patch to the one held. A patch out of order,
        one that does not apply, or a view this version cannot read drops the connection: the stream
        reopens with a whole view."""
        try:
            with self._lock:
                if not self._follower.feed(event.event, json.loads(event.data)):
                    raise ValueError(f"patch {event.id} does not follow the view held")
                if event.event not in ("full", "patch"):
                    return
                self._decoded = self._decode(self._follower.document)
                self._version += 1
        except (ValueError, TypeError, KeyError) as exc:  # JSON, PatchError and WireError are ValueErrors
            log.warning("attach: %s event from serve not applied (%s); reconnecting", event.event, exc)
            with self._lock:
                self._follower = StreamFollower()
            self._stream.reconnect()

    @staticmethod
    def _decode(doc: Any) -> wire.View:
        """The view, its alert states turned into the feed's lines (quiet states left out)."""
        view = wire.decode_view(doc)
        lines = [alert_line(item) for item in view.alerts]
        return replace(view, alerts=[line for line in lines if line.state not in QUIET_STATES])

    def _on_state(self, state: str, reason: str) -> None:
        with self._lock:
            self._connected = state == "connected"
            self._lost_reason = reason

    def _view(self) -> wire.View:
        """The latest view, with a ``serve`` entry in the health while the stream is down."""
        with self._lock:
            view = self._decoded or wire.View(Snapshot(self.clock.now(), {}), {}, [], [])
            if self._decoded is not None:
                self.clock.at = view.snapshot.at
            if not self._connected:
                lost = SourceHealth("reconnecting", last_error=self._lost_reason)
                view = replace(view, health={**view.health, SERVE: lost})
            return view

    # -- DashboardData ----------------------------------------------------------------------------

    def snapshot(self, at: int, weekly: bool = False) -> Snapshot:
        """The latest view ``serve`` sent (``at`` is serve's own, see :class:`ServeClock`); with
        ``weekly``, asked for afresh (only the customer-service screen wants the weekly figures)."""
        if weekly:
            return wire.decode_view(self._get("/view", {"weekly": "1"})).snapshot
        return self._view().snapshot

    def health(self) -> dict[str, SourceHealth]:
        return self._view().health

    def alerts(self) -> list[AlertLine]:
        return list(self._view().alerts)

    def metric_ids(self) -> list[str]:
        return list(self._view().metric_ids)

    def metric_rules(self, account: str | None = None) -> dict[str, str]:
        """Metric id -> rule of ``account``'s profile, as serve's engine judges it (panels are grouped
        by what they measure); before any state, or for an account serve has not named, none."""
        rules = self._view().metric_rules
        if account is None:
            return dict(next(iter(rules.values()), {}))
        return dict(rules.get(account, {}))

    def account_health(self, at: int) -> list[Comparison]:
        """Amazon's numbers beside ours, as serve compared them for its latest state (``at`` is
        serve's own, see :class:`ServeClock`)."""
        return list(self._view().account_health)

    def note_input(self) -> None:
        """A key press: the engine runs in ``serve``, nothing here to make way for."""

    def rejections(self, source: str) -> list[Rejection]:
        if source == SERVE:
            return []
        return wire.decode_rejections(self._get(f"/sources/{quote(source, safe='')}/rejections"))

    def bad_outcomes(self, account: str, metric_id: str, at: int) -> list[BadRow]:
        path = f"/accounts/{quote(account, safe='')}/metrics/{quote(metric_id, safe='')}/rows"
        return [_bad_row(row) for row in wire.decode_bad_outcomes(self._get(path))]

    def queue_items(self, account: str, queue_id: str, at: int) -> list[QueueItem]:
        path = f"/accounts/{quote(account, safe='')}/queues/{quote(queue_id, safe='')}/items"
        return wire.decode_queue_items(self._get(path))

    # -- actions ----------------------------------------------------------------------------------

    def acknowledge(self, rule: str, account: str | None) -> int:
        """Acknowledge ``rule``'s firing instances (of ``account``) in ``serve``; how many."""
        body = {"rule": rule, **({"account": account} if account else {})}
        return int(self._send("POST", "/alerts/ack", body).get("acknowledged", 0))

    # -- HTTP -------------------------------------------------------------------------------------

    def _get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        return self._send("GET", path, params=params)

    def _send(self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None) -> Any:
        """The JSON ``serve`` answers; :class:`RemoteError` with its reason when it cannot."""
        try:
            response = self._http.request(method, API + path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise RemoteError(f"serve at {self.base_url} cannot be reached: {exc}") from exc
        if response.status_code != 200:
            raise RemoteError(f"serve answered {response.status_code}: {_reason(response)}")
        try:
            return response.json()
        except ValueError as exc:
            raise RemoteError(f"serve answered {path} with something that is not JSON") from exc


def _reason(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("error", body)) if isinstance(body, dict) else str(body)[:200]


class RemoteAlertControl:
    """The alerts screen's actions in an attached view: an acknowledgement goes to ``serve`` (with the
    view's token); a silence is written to the alert store, which only the machine ``serve`` runs on has."""

    def __init__(self, data: RemoteData) -> None:
        self._data = data

    def acknowledge(self, rule: str, account: str | None = None) -> int:
        return self._data.acknowledge(rule, account)

    def silence(
        self, rule: str | None = None, account: str | None = None, duration: str | None = None
    ) -> int:
        where = f" --account {account}" if account else ""
        raise ValueError(
            f"silence it where serve runs: sellerpulse alerts silence {rule} --for {duration}{where}"
        )
