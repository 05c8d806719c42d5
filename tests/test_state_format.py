"""The saved engine state's format is versioned explicitly (``state_file.FORMAT_VERSION``).

A state saved by this sellerpulse loads after any edit that leaves the format alone (a comment, a
reformat: a restart must not replay a year of events for that), one of another format version is
refused, and the layout of what is saved is recorded here, so that changing it without bumping
FORMAT_VERSION fails a test that says so.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from array import array
from pathlib import Path

import pytest
from sellerpulse.core.checkpoint import encode_events, load_saved_engine
from sellerpulse.core.engine import Engine, state_file
from sellerpulse.core.events import Event
from sellerpulse.core.state_store import StateStore
from sellerpulse.core.timeutil import parse_instant

REPO = Path(__file__).resolve().parent.parent
AT = parse_instant("2026-04-01T00:00:00Z")


def _events() -> list[Event]:
    """A small history touching every kind of thing the engine keeps: orders (cancelled, shipped,
    delivered, refunded, with feedback removed, one with a long id), claims, chargebacks, messages,
    returns, surveys, violations, orphans with and without event ids, open queue items."""
    t = parse_instant("2026-03-01T00:00:00Z")
    h = 3_600_000_000
    rows = [
        (
            0,
            "order_placed",
            "O-1",
            "e1",
            "",
            {"ship_by": t + 48 * h, "deliver_by": t + 120 * h, "amount": "9.90"},
        ),
        (1, "order_placed", "O-2", "e2", "", {"ship_by": t + 48 * h}),
        (2, "order_placed", "O-3", "", "", {"channel": "AFN"}),
        (3, "order_cancelled", "O-2", "e3", "", {"by": "seller"}),
        (4, "order_shipped", "O-1", "e4", "", {"tracking": "1Z9"}),
        (70, "order_delivered", "O-1", "e5", "", {}),
        (80, "feedback", "O-1", "e6", "", {"rating": 1}),
        (81, "feedback_removed", "O-1", "e7", "", {}),
        (82, "refund", "O-3", "e8", "", {"amount": "5.00"}),
        (90, "claim_opened", "O-1", "e9", "Z-1", {}),
        (91, "claim_responded", "", "e10", "Z-1", {}),
        (92, "claim_closed", "", "e11", "Z-1", {"outcome": "granted"}),
        (93, "chargeback_opened", "O-3", "e12", "C-1", {}),
        (94, "chargeback_closed", "", "e13", "C-1", {"outcome": "upheld"}),
        (5, "message_received", "O-1", "e14", "M-1", {}),
        (6, "message_replied", "", "e15", "M-1", {}),
        (7, "message_received", "", "e16", "M-2", {}),
        (8, "message_dismissed", "", "e17", "M-2", {}),
        (9, "cs_survey", "", "e18", "M-1", {"outcome": "no"}),
        (95, "return_requested", "O-1", "e19", "R-1", {}),
        (96, "return_responded", "", "e20", "R-1", {"outcome": "rejected"}),
        (97, "return_feedback", "", "e21", "R-1", {"rating": 2}),
        (98, "return_invalid_rejection", "", "e22", "R-1", {}),
        (10, "violation", "", "e23", "V-1", {"severity": "high"}),
        (11, "violation_resolved", "", "e24", "V-1", {}),
        (12, "violation", "", "e25", "V-2", {"severity": "low"}),
        (13, "order_shipped", "GHOST-1", "e26", "", {}),  # an orphan with an event id
        (14, "order_shipped", "GHOST-2", "", "", {}),  # and one without
        (15, "message_replied", "", "", "M-X", {}),
        # still open at the end: a queue item and a pending outcome of each kind
        (100, "order_placed", "O-4", "e27", "", {"ship_by": t + 200 * h, "deliver_by": t + 300 * h}),
        (101, "message_received", "O-4", "e28", "M-3", {}),
        (102, "claim_opened", "O-4", "e29", "Z-2", {}),
        (103, "return_requested", "O-4", "e30", "R-2", {}),
        (104, "chargeback_opened", "O-4", "e31", "C-2", {}),
        (105, "order_placed", "114-1234567-1234567-an-id-longer-than-the-index-row", "", "", {}),
        # shipped with tracking unknown (getOrders), then with a number: Valid Tracking's own shipment
        (106, "order_placed", "O-5", "e32", "", {"ship_by": t + 130 * h}),
        (107, "order_shipped", "O-5", "e33", "", {"tracking": None}),
        (108, "order_shipped", "O-5", "e34", "", {"tracking": "1Z8"}),
    ]
    return [
        Event(t + hours * h, kind, "acme", order_id, event_id, ref, **extra)
        for hours, kind, order_id, event_id, ref, extra in rows
    ]


def _saved_state(folder: Path) -> Path:
    events = _events()
    engine = Engine()
    engine.ingest(events)
    state = folder / "state.sqlite3"
    store = StateStore(state)
    store.checkpoint(encode_events(events), {}, {})
    store.save_engine(store.next_seq() - 1, state_file.dump(engine))
    store.close()
    return state


LOAD = """
import json, sys
from sellerpulse.core.checkpoint import load_saved_engine
from sellerpulse.core.engine import Engine, account
from sellerpulse.core.state_store import StateStore
assert account.__file__.startswith(sys.argv[2]), account.__file__
store = StateStore(sys.argv[1], readonly=True)
engine = Engine()
row = load_saved_engine(store, engine)
print(json.dumps({"row": row, "snapshot": engine.snapshot(int(sys.argv[3])).to_json()}))
"""


def test_a_saved_state_loads_after_an_edit_that_leaves_the_format_alone(tmp_path: Path) -> None:
    """Saved by this code, loaded by a copy of it whose engine and event sources each got a comment
    (every byte the loader once hashed changed), in another process: loaded, not replayed."""
    state = _saved_state(tmp_path)
    copy = tmp_path / "edited"
    package = copy / "sellerpulse"
    package.mkdir(parents=True)
    shutil.copy(REPO / "sellerpulse" / "__init__.py", package / "__init__.py")
    shutil.copytree(REPO / "core", package / "core", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("tui", "plugins"):
        (package / name).symlink_to(REPO / name)
    edited = [*sorted((package / "core" / "engine").glob("*.py")), package / "core" / "events.py"]
    for path in edited:
        path.write_text(path.read_text(encoding="utf-8") + "\n# a comment: the format is unchanged\n")
    done = subprocess.run(
        [sys.executable, "-c", LOAD, str(state), str(package), str(AT)],
        capture_output=True, text=True, timeout=60, cwd=copy,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(copy), "HOME": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout)
    assert loaded["row"] > 0, done.stderr  # the saved state was used: no replay
    reference = Engine()
    reference.ingest(_events())
    assert loaded["snapshot"] == json.loads(json.dumps(reference.snapshot(AT).to_json()))


def test_a_saved_state_of_another_format_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    state = _saved_state(tmp_path)
    store = StateStore(state, readonly=True)
    assert load_saved_engine(store, Engine()) > 0
    monkeypatch.setattr(state_file, "FORMAT_VERSION", state_file.FORMAT_VERSION + 1)
    with caplog.at_level(logging.WARNING, logger="sellerpulse.checkpoint"):
        assert load_saved_engine(store, Engine()) == 0
    store.close()
    assert f"format {state_file.FORMAT_VERSION - 1}" in caplog.text
    assert f"this sellerpulse reads format {state_file.FORMAT_VERSION}" in caplog.text


# -- the layout guard ----------------------------------------------------------------------------------

# What a saved state holds, as recorded when FORMAT_VERSION was set: every class the body may build with
# its attributes and the shapes of their values, an account's saved fields, a series' saved parts.
# When test_the_saved_layout_is_the_one_recorded fails, the saved format changed: bump
# state_file.FORMAT_VERSION (states of the old layout are then replayed once), and record the new layout.
RECORDED_FORMAT_VERSION = 5
RECORDED_LAYOUT: dict[str, object] = {
    "classes": {
        "sellerpulse.core.engine.deadlines.DeadlineIndex": {
            "__slots__": ["_day_count, _day_range, _hour_items, _hour_range, items"],
            "_day_count": ["{: }", "{int: int}"],
            "_day_range": ["{: }", "{int: (int, int)}"],
            "_hour_items": ["{: }", "{int: {str: int}}"],
            "_hour_range": ["{: }", "{int: (int, int)}"],
            "items": ["{: }", "{str: (int, int, (str, int))}", "{str: (int, int, NoneType)}"],
        },
        "sellerpulse.core.engine.hashtable.HashTable": {
            "__getstate__": [
                "(str, sellerpulse.core.engine.hashtable._Slots, NoneType, int, int, int)",
                "(str, sellerpulse.core.engine.hashtable._Slots, sellerpulse.core.engine.hashtable._Slots, int, int, int)",
            ],
            "__slots__": ["_moved, _new, _old, _typecode, count, floor"],
        },
        "sellerpulse.core.engine.hashtable._Slots": {
            "__getstate__": ["(int, str, str, bytes, bytes, int)"],
            "__slots__": ["capacity, keys, limit, used, values"],
        },
        "sellerpulse.core.engine.id_index.IdIndex": {
            "__slots__": ["_collided, _free, _lengths, _long, _names, _seed, _table"],
            "_collided": ["{: }"],
            "_free": ["array[i]"],
            "_lengths": ["array[B]"],
            "_long": ["{int: str}"],
            "_names": ["bytearray"],
            "_seed": ["int"],
            "_table": ["sellerpulse.core.engine.hashtable.HashTable"],
        },
        "sellerpulse.core.engine.orders.OrderTable": {
            "__slots__": [
                "any_cancel, deliver_by, delivered, feedback_rating, feedback_removed, feedback_ts, flags, index, later_giver, mixed_givers, placed, placed_day, refund_reasons, seller_cancel, ship_by, shipped, tracking_shipment"
            ],
            "any_cancel": ["{int: int}"],
            "deliver_by": ["array[q]"],
            "delivered": ["array[q]"],
            "feedback_rating": ["array[B]"],
            "feedback_removed": ["{int: int}"],
            "feedback_ts": ["array[q]"],
            "flags": ["array[B]"],
            "index": ["sellerpulse.core.engine.id_index.IdIndex"],
            "later_giver": ["sellerpulse.core.engine.hashtable.HashTable"],
            "mixed_givers": ["{: }"],
            "placed": ["array[q]"],
            "placed_day": ["array[i]"],
            "refund_reasons": ["{: }"],
            "seller_cancel": ["{int: int}"],
            "ship_by": ["array[q]"],
            "shipped": ["array[q]"],
            "tracking_shipment": ["{int: (int, bool)}"],
        },
        "sellerpulse.core.engine.records.Chargeback": {
            "__slots__": ["closed, opened, order_id, ref"],
            "closed": ["(int, str)", "NoneType"],
            "opened": ["int"],
            "order_id": ["str"],
            "ref": ["str"],
        },
        "sellerpulse.core.engine.records.Claim": {
            "__slots__": ["closed, opened, order_id, ref, responded"],
            "closed": ["(int, str)", "NoneType"],
            "opened": ["int"],
            "order_id": ["str"],
            "ref": ["str"],
            "responded": ["int"],
        },
        "sellerpulse.core.engine.records.Message": {
            "__slots__": ["dismissed, order_id, received, ref, replied, survey"],
            "dismissed": ["bool"],
            "order_id": ["str"],
            "received": ["int"],
            "ref": ["str"],
            "replied": ["int"],
            "survey": ["(int, str)", "NoneType"],
        },
        "sellerpulse.core.engine.records.Return": {
            "__slots__": ["feedback, invalid_rejection, order_id, ref, requested, responded"],
            "feedback": ["(int, int)", "NoneType"],
            "invalid_rejection": ["bool"],
            "order_id": ["str"],
            "ref": ["str"],
            "requested": ["int"],
            "responded": ["int"],
        },
        "sellerpulse.core.engine.records.Violation": {
            "__slots__": ["ref, resolved, severity, ts"],
            "ref": ["str"],
            "resolved": ["bool"],
            "severity": ["str"],
            "ts": ["int"],
        },
        "sellerpulse.core.engine.seen.SeenIds": {
            "__getstate__": [
                "(int, sellerpulse.core.engine.hashtable.HashTable, NoneType, int)",
                "(int, sellerpulse.core.engine.hashtable.HashTable, int, int)",
            ],
            "__slots__": ["_base, _cutoff_day, _seed, _table"],
        },
        "sellerpulse.core.events.Event": {
            "__slots__": [
                "account, amount, by, channel, deliver_by, event_id, kind, order_id, outcome, rating, reason, ref, severity, ship_by, tracking, ts"
            ],
            "account": ["str"],
            "amount": ["str"],
            "by": ["str"],
            "channel": ["str"],
            "deliver_by": ["NoneType"],
            "event_id": ["str"],
            "kind": ["str"],
            "order_id": ["str"],
            "outcome": ["str"],
            "rating": ["int"],
            "reason": ["str"],
            "ref": ["str"],
            "severity": ["str"],
            "ship_by": ["NoneType"],
            "tracking": ["str"],
            "ts": ["int"],
        },
    },
    "account": {
        "orders": ["sellerpulse.core.engine.orders.OrderTable"],
        "order_claims": ["{str: list[str]}"],
        "order_chargebacks": ["{str: list[str]}"],
        "claims": ["{str: sellerpulse.core.engine.records.Claim}"],
        "chargebacks": ["{str: sellerpulse.core.engine.records.Chargeback}"],
        "messages": ["{str: sellerpulse.core.engine.records.Message}"],
        "returns": ["{str: sellerpulse.core.engine.records.Return}"],
        "violations": ["{str: sellerpulse.core.engine.records.Violation}"],
        "orphans_by_order": ["{str: list[sellerpulse.core.events.Event]}"],
        "orphans_by_ref": ["{(str, str): list[sellerpulse.core.events.Event]}"],
        "orphan_count": ["int"],
        "seen": ["sellerpulse.core.engine.seen.SeenIds"],
        "placed_by_day": ["{int: array[i]}"],
        "gone": ["sellerpulse.core.engine.seen.SeenIds"],
        "gone_feedback": ["{: }"],
        "watermark": ["int"],
        "_next_eviction": ["int"],
        "cutoffs": ["(int, int)"],
        "queues": ["{str: sellerpulse.core.engine.deadlines.DeadlineIndex}"],
    },
    "series": [
        "(str, bool, {: }, {: }, {: }, sellerpulse.core.engine.deadlines.DeadlineIndex)",
        "(str, bool, {int: int}, {: }, {: }, sellerpulse.core.engine.deadlines.DeadlineIndex)",
        "(str, bool, {int: int}, {: }, {int: int}, sellerpulse.core.engine.deadlines.DeadlineIndex)",
        "(str, bool, {int: int}, {int: int}, {: }, sellerpulse.core.engine.deadlines.DeadlineIndex)",
    ],
}


def layout(engine: Engine) -> dict[str, object]:
    """The shapes of everything :func:`state_file.dump` saves of ``engine``: per class of the engine,
    each attribute's value shapes; per saved account field, its shapes; the series entries' shapes."""
    classes: dict[str, dict[str, set[str]]] = {}
    seen: set[int] = set()

    def shape(value: object) -> str:
        if value is None or isinstance(value, bool | int | float | str | bytes):
            return type(value).__name__
        if isinstance(value, array):
            return f"array[{value.typecode}]"
        if isinstance(value, memoryview):
            return f"memoryview[{value.format}]"
        if isinstance(value, bytearray):
            return "bytearray"
        if isinstance(value, tuple):
            return "(" + ", ".join(shape(item) for item in value) + ")"
        if isinstance(value, list | set | frozenset):
            return f"{type(value).__name__}[" + " | ".join(sorted({shape(item) for item in value})) + "]"
        if isinstance(value, dict):
            keys = " | ".join(sorted({shape(key) for key in value}))
            values = " | ".join(sorted({shape(item) for item in value.values()}))
            return "{" + f"{keys}: {values}" + "}"
        cls = type(value)
        name = f"{cls.__module__}.{cls.__qualname__}"
        fields = classes.setdefault(name, {})
        if id(value) not in seen:
            seen.add(id(value))
            slots = sorted(slot for klass in cls.__mro__ for slot in getattr(klass, "__slots__", ()))
            fields.setdefault("__slots__", set()).add(", ".join(slots))
            if cls.__getstate__ is object.__getstate__:  # pickled attribute by attribute
                for slot in slots:
                    if hasattr(value, slot):
                        fields.setdefault(slot, set()).add(shape(getattr(value, slot)))
            else:  # pickled as what its __getstate__ gives
                fields.setdefault("__getstate__", set()).add(shape(value.__getstate__()))
        return name

    accounts: dict[str, set[str]] = {}
    series: set[str] = set()
    for acc in engine._accounts.values():
        for field in state_file.DATA_FIELDS:
            accounts.setdefault(field, set()).add(shape(getattr(acc, field)))
        for s in state_file._unique_series(acc):
            series.add(shape((s.rule, s.pending_counts, *(getattr(s, f) for f in state_file._SERIES_FIELDS))))
    return {
        "classes": {name: {f: sorted(v) for f, v in sorted(fields.items())} for name, fields in sorted(classes.items())},
        "account": {field: sorted(shapes) for field, shapes in accounts.items()},
        "series": sorted(series),
    }  # fmt: skip


def test_the_saved_layout_is_the_one_recorded() -> None:
    engine = Engine()
    engine.ingest(_events())
    got = layout(engine)
    allowed = {f"{module}.{name}" for module, name in state_file._ALLOWED if module != "array"}
    assert allowed <= set(got["classes"]), "the guard's history misses a class the state may hold"
    assert state_file.FORMAT_VERSION == RECORDED_FORMAT_VERSION and got == RECORDED_LAYOUT, (
        "the saved engine state's layout changed: bump FORMAT_VERSION in core/engine/state_file.py, "
        "then record the new layout and version here"
    )
