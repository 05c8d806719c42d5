"""Seeded, deterministic dashboards for the TUI tests: the worked example fed to the real engine.

``examples/small-events.csv`` (two accounts, rejected rows, every kind of event) is read with the real
reader into the real engine, as of a fixed instant and in a fixed time zone; the app runs without timers,
threads or a clock, so every refresh is driven by the test.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sellerpulse.core.clock import FixedClock
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, Rejection, parse_event
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.sources import SourceHealth
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.tui.app import SellerPulseApp, make_app
from sellerpulse.tui.data import EngineData

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EVENTS = EXAMPLES / "small-events.csv"
AT = parse_instant("2026-10-15T09:00:00Z")
TIMEZONE = "Europe/Berlin"
SOURCE = "small-events"

# Untrusted text as it may arrive from a marketplace or a broken plugin: markup and escape sequences.
HOSTILE_ORDER = "[red]PWN[/red]\x1b[2J"
HOSTILE_REF = "[link=https://evil.example]click[/link]"


def example_engine(extra: Iterable[dict] = ()) -> tuple[Engine, list[Rejection]]:
    engine = Engine(timezone=TIMEZONE)
    rejections: list[Rejection] = []
    for item in read_event_file(EVENTS):
        if isinstance(item, Rejection):
            rejections.append(item)
        elif item.ts <= AT:
            engine.apply(item)
    for fields in extra:
        event = parse_event(fields)
        assert isinstance(event, Event)
        engine.apply(event)
    engine.note_rejections(SOURCE, len(rejections))
    return engine, rejections


def hostile_events() -> list[dict]:
    """A buyer message whose order id and ref are markup and escapes, received 2 h before ``AT``."""
    return [
        {
            "ts": "2026-10-15T07:00:00Z",
            "kind": "message_received",
            "order_id": HOSTILE_ORDER,
            "ref": HOSTILE_REF,
            "account": "acme-us",
        }
    ]


def example_data(
    health: dict[str, SourceHealth] | None = None, extra: Iterable[dict] = (), clock: FixedClock | None = None
) -> EngineData:
    engine, rejections = example_engine(extra)
    if health is None:
        health = {SOURCE: SourceHealth("done", events=1394, rejected=len(rejections))}
    return EngineData(engine, clock or FixedClock(AT), health=health, rejections={SOURCE: rejections})


def example_app(**kwargs) -> SellerPulseApp:
    """The deterministic app: no timer, no worker thread, no clock in the header."""
    data = kwargs.pop("data", None) or example_data()
    options = {"live": False, "threaded": False, "show_clock": False, **kwargs}
    return make_app(data, **options)
