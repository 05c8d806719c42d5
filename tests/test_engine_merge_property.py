"""Property test of issue 18: orders placed again by a second source, shuffled, across restarts.

The random streams of ``test_engine_property``, where about a third of the orders are placed again by
other sources: mostly without dates and without a channel (a report), cut to the minute, at the same
instant, later or up to two days earlier; some get a placement at the same instant that disagrees on the
dates or the channel (ties broken by value). The events up to ``at`` are shuffled and fed in chunks
to an engine that restarts between chunks, from its saved state or from a full journal replay (real
SQLite state files). It must equal the reference (``tests/reference.py``) on every metric, queue and
drill-down row, and an engine that never restarted on everything it shows.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import reference_drilldown, reference_report
from sellerpulse.core.checkpoint import encode_events, restore_engine
from sellerpulse.core.engine import Engine, state_file
from sellerpulse.core.events import Event
from sellerpulse.core.state_store import StateStore
from test_engine_property import EXAMPLES, PROFILE, SETTINGS, US_D, differences, streams

US_MINUTE = 60_000_000


@st.composite
def placed_again(draw) -> dict[str, Any]:
    """A stream of ``streams()`` with second (and third) placements of some orders, shuffled."""
    case = draw(streams())
    events: list[Event] = list(case["events"])
    extra: list[Event] = []
    for n, e in enumerate(x for x in events if x.kind == "order_placed"):
        if draw(st.integers(0, 2)):
            continue
        for m in range(draw(st.sampled_from([1, 1, 1, 2]))):
            how = draw(st.sampled_from(["minute", "minute", "same", "later", "earlier"]))
            ts = {
                "minute": e.ts - e.ts % US_MINUTE,
                "same": e.ts,
                "later": e.ts + draw(st.integers(1, 2 * US_D)),
                "earlier": e.ts - draw(st.integers(1, 2 * US_D)),
            }[how]
            # mostly no dates and no channel (a report's row); now and then a source with some
            dated = not draw(st.integers(0, 4))
            extra.append(
                Event(
                    ts=ts,
                    kind="order_placed",
                    account=e.account,
                    order_id=e.order_id,
                    event_id=draw(st.sampled_from(["", f"report:{n}:{m}"])),
                    channel=draw(st.sampled_from(["", "", e.channel, "MFN", "AFN"])),
                    ship_by=ts + draw(st.integers(0, 3 * US_D)) if dated and draw(st.booleans()) else None,
                    deliver_by=ts + draw(st.integers(0, 9 * US_D)) if dated and draw(st.booleans()) else None,
                )
            )
        if not draw(st.integers(0, 4)):  # a third source at the same instant that disagrees
            shift = draw(st.sampled_from([-US_D, -1, 1, US_D]))
            extra.append(
                replace(
                    e,
                    event_id=f"third:{n}",
                    channel=draw(st.sampled_from(["", "MFN", "AFN"])),
                    ship_by=None if e.ship_by is None else e.ship_by + shift,
                    deliver_by=e.deliver_by if draw(st.booleans()) else None,
                )
            )
    return {**case, "events": draw(st.permutations(events + extra))}


def new_engine(case: dict[str, Any]) -> Engine:
    return Engine(profile=PROFILE, timezone=case["timezone"], account_timezones=case["account_timezones"])


def shown(engine: Engine, at: int) -> dict[str, Any]:
    """Everything the dashboard shows of the engine: snapshot, queue lists, drill-downs (reasons too)."""
    out: dict[str, Any] = {"snapshot": engine.snapshot(at, items=1000).to_json()}
    for name in engine.accounts:
        acc = engine.account(name)
        out[name] = (
            {q: [item.to_json() for item in engine.queue_items(name, q, at)] for q in acc.queues},
            {m: engine.bad_outcomes(name, m, at) for m in acc.profile.metrics},
        )
    return out


@pytest.mark.slow
@settings(SETTINGS, max_examples=max(1, EXAMPLES // 2))
@given(placed_again(), st.lists(st.sampled_from(["saved", "journal", "none"]), min_size=1, max_size=3))
def test_orders_placed_again_across_restarts_equal_the_reference(case: dict[str, Any], restarts: list[str]):
    at = case["at"]
    fed = [e for e in case["events"] if e.ts <= at]
    size = -(-len(fed) // (len(restarts) + 1)) or 1
    chunks = [fed[i : i + size] for i in range(0, len(fed), size)] or [[]]
    with tempfile.TemporaryDirectory() as folder:
        store = StateStore(Path(folder) / "state.sqlite")
        engine = new_engine(case)
        for index, chunk in enumerate(chunks):
            engine.ingest(chunk)
            store.checkpoint(encode_events(chunk), {}, {})
            how = restarts[index] if index < len(restarts) else "none"
            if how == "saved":
                store.save_engine(store.next_seq() - 1, state_file.dump(engine))
            elif how == "journal":
                store.drop_engine()
            if how != "none":
                engine = new_engine(case)
                restore_engine(store, engine)
        store.close()
    want = reference_report(fed, at, case["timezone"], case["account_timezones"], PROFILE, engine.accounts)
    problems = differences(engine.snapshot(at).to_json()["accounts"], want)
    assert not problems, "\n".join(problems[:20])
    want_rows = reference_drilldown(fed, at, case["timezone"], case["account_timezones"], PROFILE)
    assert sorted(want_rows) == engine.accounts
    for name, metrics in want_rows.items():
        for metric, expected in metrics.items():
            got = sorted(
                ((b.key, b.order_id, b.day, b.placed_by) for b in engine.bad_outcomes(name, metric, at)),
                key=lambda row: (row[2], row[0]),
            )
            assert got == expected, f"{name}/{metric}"
    straight = new_engine(case)
    straight.ingest(fed)
    assert shown(engine, at) == shown(straight, at)
