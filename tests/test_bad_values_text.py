"""Text no file, log or database can hold never becomes an event: JSON may spell a lone surrogate
(``"\\udcff"``) in any field, which would later fail the state journal's write (SQLite stores UTF-8) or
reach a terminal as a raw byte. It is rejected where the event is validated; real characters, written
as they are or as an escaped surrogate pair, are kept."""

from __future__ import annotations

import json

import pytest
from sellerpulse.core.events import FIELDS, Event, EventError, Rejection, parse_event
from sellerpulse.core.readers import read_json_text

BASE = {"ts": "2026-11-16T18:00:00Z", "kind": "feedback", "order_id": "O1", "rating": "5"}


@pytest.mark.parametrize("field", [name for name in FIELDS if name not in ("ts", "kind")])
def test_a_lone_surrogate_in_any_field_rejects_the_event(field: str) -> None:
    with pytest.raises(EventError, match=rf"^bad {field}: not utf-8 text \(a lone surrogate\)$"):
        parse_event({**BASE, field: "x\udcff"})


def test_json_escapes_of_a_lone_surrogate_are_rejected_and_pairs_kept() -> None:
    text = '[{"ts": "2026-11-16T18:00:00Z", "kind": "order_placed", "order_id": "\\ud83d\\ude00"},' \
           ' {"ts": "2026-11-16T18:00:00Z", "kind": "order_placed", "order_id": "\\ud83d"},' \
           ' {"ts": "2026-11-16T18:00:00Z", "kind": "order_placed", "order_id": "\u00e9t\u00e9"}]'  # fmt: skip
    first, second, third = read_json_text(text, "api")
    assert isinstance(first, Event) and first.order_id == "\U0001f600"
    assert second == Rejection("api", "item 1", "bad order_id: not utf-8 text (a lone surrogate)")
    assert isinstance(third, Event) and third.order_id == "été"
    assert json.dumps(first.to_json(), ensure_ascii=False).encode("utf-8")
