"""Instants that parse but that the engine's date arithmetic cannot hold are rejected where they are read,
in every timestamp field and every format, with a reason; every instant that is accepted survives every
later conversion (a local day in any zone from UTC-12 to UTC+14, deadlines years ahead)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event, EventError, Rejection, parse_event
from sellerpulse.core.readers import read_json_text
from sellerpulse.core.timeutil import US_PER_DAY, DayClock, TimeError, format_instant, parse_instant
from sellerpulse.plugins.amazon_reports import parse_report_date

YEAR_US = 366 * US_PER_DAY
ZONES = ("Etc/GMT+12", "Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kolkata", "UTC")


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
        "0001-01-01T00:00:00Z",  # year 0 west of UTC
        "0001-01-01T05:00:00-12:00",
        "9999-12-31T23:59:59-12:00",  # year 10000 in UTC
        "9999-12-31T23:00:00Z",  # year 10000 east of UTC
        "1899-12-31T23:59:59Z",
        "2100-01-01T00:00:00Z",
    ],
)
@pytest.mark.parametrize("field", ["ts", "ship_by", "deliver_by"])
def test_every_timestamp_field_rejects_an_instant_out_of_range(field: str, text: str) -> None:
    fields = {"ts": "2026-11-02T10:00:00Z", "kind": "order_placed", "order_id": "O1", field: text}
    with pytest.raises(EventError, match=rf"^bad {field}: out of range \(1900-01-01 to 2099-12-31 UTC\): "):
        parse_event(fields)
    [item] = read_json_text(json.dumps([fields]), "api")
    assert isinstance(item, Rejection) and item.position == "item 0"
    assert item.reason.startswith(f"bad {field}: out of range")


def test_the_range_ends_are_exact() -> None:
    assert parse_instant("1900-01-01T00:00:00Z") == -2_208_988_800_000_000
    assert parse_instant("2099-12-31T23:59:59.999999Z") == 4_102_444_799_999_999
    for text in ("1899-12-31T23:59:59.999999Z", "2100-01-01T00:00:00Z", "1900-01-01T00:00:00+00:01"):
        with pytest.raises(TimeError, match="out of range"):
            parse_instant(text)


def test_report_dates_out_of_range_are_rejected_like_canonical_ones() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    for text in ("0001-01-01 00:00:00", "01/01/0001", "9999-12-31 23:00:00 PST", "Dec 31, 9999 11:00 PM"):
        with pytest.raises(EventError, match="date out of range"):
            parse_report_date(text, tokyo)


instants_anywhere = st.builds(
    lambda naive, minutes: naive.replace(tzinfo=timezone(timedelta(minutes=minutes))),
    st.one_of(
        st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
        st.datetimes(min_value=datetime(1899, 12, 30), max_value=datetime(2100, 1, 2)),  # the ends
    ),
    st.integers(-23 * 60 - 59, 23 * 60 + 59),
)


@settings(max_examples=150, deadline=None)
@given(instants_anywhere)
def test_an_accepted_instant_survives_every_later_conversion(moment: datetime) -> None:
    text = moment.isoformat()
    try:
        us = parse_instant(text)
    except TimeError:
        assert not datetime(1900, 1, 1, tzinfo=UTC) <= moment < datetime(2100, 1, 1, tzinfo=UTC)
        return
    assert parse_instant(format_instant(us)) == us  # exact to the microsecond
    for name in ZONES:
        clock = DayClock(name)
        for deadline in (us - YEAR_US, us, us + 2 * YEAR_US):
            clock.start(clock.day(deadline))
    engine = Engine(timezone="Pacific/Kiritimati")
    engine.ingest(
        [Event(us, "order_placed", order_id="O1", ship_by=us + YEAR_US, deliver_by=us + 2 * YEAR_US)]
    )
    engine.snapshot(us + YEAR_US)
