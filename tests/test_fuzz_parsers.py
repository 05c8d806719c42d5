"""Fuzzing every parser of untrusted input with hypothesis: canonical CSV (one reader, reached through
``read_event_file`` and through the CSV source, which must agree on any bytes), JSON events (array and
JSON Lines), Amazon flat-file reports and SP-API getOrders bodies. (The config has its own fuzzing in
test_config_loader.py.)

Two properties each: no exception escapes except the documented rejection (a ``Rejection`` in the
stream, or ``ValueError`` from a report row mapper, which the CSV source turns into one); and nothing
good is lost: valid rows mixed with garbage all come out, in order, equal to what they say.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sellerpulse.core.events import (
    CANCELLERS,
    FIELDS,
    KINDS,
    OUTCOMES,
    REQUIRED,
    Event,
    Rejection,
    parse_event,
)
from sellerpulse.core.readers import read_event_file, read_json_text
from sellerpulse.core.sources import Batch
from sellerpulse.core.timeutil import format_instant
from sellerpulse.plugins.amazon_reports import MAPPERS, detect, parse_report_date
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.http_source import HttpSource, UnreadablePage
from sellerpulse.plugins.testing import make_source, read_source

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

instants = st.integers(min_value=946_684_800_000_000, max_value=4_102_358_400_000_000)  # 2000..2099-12-31
ids = (
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12
    )
    .map(str.strip)
    .filter(bool)
)
line_text = st.text(
    st.characters(codec="utf-8", exclude_characters='\r\n"', exclude_categories=("Cs",)), max_size=60
)


@st.composite
def good_events(draw: st.DrawFn) -> dict[str, str]:
    """A valid canonical event as text fields (what a CSV row or a JSON object carries)."""
    kind = draw(st.sampled_from(sorted(KINDS)))
    needs = REQUIRED[kind]
    fields = {
        "ts": format_instant(draw(instants)),
        "kind": kind,
        "account": draw(st.sampled_from(["acme", "bolt"])),
    }
    for name in ("order_id", "ref"):
        if name in needs or draw(st.booleans()):
            fields[name] = draw(ids)
    if draw(st.booleans()):
        fields["event_id"] = draw(ids)
    if "rating" in needs:
        fields["rating"] = str(draw(st.integers(1, 5)))
    if kind == "order_cancelled":
        fields["by"] = draw(st.sampled_from(sorted(CANCELLERS)))
    if kind in OUTCOMES:
        fields["outcome"] = draw(st.sampled_from(sorted(OUTCOMES[kind])))
    if kind == "order_placed":
        fields["channel"] = draw(st.sampled_from(["MFN", "AFN"]))
        if draw(st.booleans()):
            fields["ship_by"] = format_instant(draw(instants))
        if draw(st.booleans()):
            fields["amount"] = str(draw(st.decimals(0, 10_000, places=2)))
    return fields


def csv_row(fields: dict[str, str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([fields.get(name, "") for name in FIELDS])
    return out.getvalue()


def bad_ts_row(kind: str, junk: str) -> str:
    """A row whose instant cannot be read (the kind and ids are fine)."""
    return csv_row(
        {
            "ts": "not-a-time " + junk,
            "kind": kind,
            "order_id": "X1",
            "ref": "R1",
            "rating": "5",
            "by": "seller",
            "outcome": sorted(OUTCOMES.get(kind, {""}))[0],
        }
    )


mixed_csv = st.lists(
    st.one_of(
        good_events().map(lambda fields: ("good", fields)),
        line_text.filter(lambda t: [*t.split(","), ""][1].strip() not in KINDS).map(
            lambda text: ("garbage", text + "\n")
        ),
        st.builds(
            bad_ts_row, st.sampled_from(sorted(KINDS)), line_text.map(lambda t: t.replace(",", ";"))
        ).map(lambda text: ("garbage", text)),
    ),
    max_size=40,
)


def _split(items: list[tuple[str, object]]) -> tuple[list[str], list[Event]]:
    lines, expected = [], []
    for what, value in items:
        if what == "good":
            assert isinstance(value, dict)
            lines.append(csv_row(value))
            expected.append(parse_event(value))
        else:
            assert isinstance(value, str)
            lines.append(value)
    return lines, expected


def read_both(data: bytes) -> tuple[Batch, Batch]:
    """``data`` as a file read by ``read_event_file`` (what ``report --events`` uses) and by the csv
    source, each as a batch of its events and its rejections (in file order)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz"
        path.write_bytes(data)
        items = list(read_event_file(path))
        by_source = read_source(make_source(CsvSource, {"path": str(path)}, name="fuzz"))
    by_file = Batch(
        [item for item in items if isinstance(item, Event)],
        [item for item in items if isinstance(item, Rejection)],
    )
    return by_file, by_source


@SLOW_FUZZ
@given(mixed_csv)
def test_both_csv_paths_keep_every_good_row_among_garbage(items) -> None:
    lines, expected = _split(items)
    data = (",".join(FIELDS) + "\n" + "".join(lines)).encode()
    for batch in read_both(data):
        assert batch.events == expected
        good_lines = {n + 2 for n, (what, _) in enumerate(items) if what == "good"}  # line 1 is the header
        for rejection in batch.rejections:
            assert int(rejection.position.removeprefix("line ")) not in good_lines and rejection.reason


hostile_line = st.one_of(
    good_events().map(lambda fields: csv_row(fields).encode()),
    st.lists(st.sampled_from([b'"', b",", b"\r", b"\x00", b"\xff", b"\xc3", b" ", b"x", b"2026-11-02T10:00:00Z",
                              b"order_placed", b'""', b"\t"]), max_size=12).map(lambda parts: b"".join(parts) + b"\n"),
    st.binary(max_size=40).map(lambda data: data + b"\n"),
)  # fmt: skip


@SLOW_FUZZ
@given(st.lists(hostile_line, max_size=25), st.booleans())
def test_report_events_and_the_csv_source_read_any_bytes_alike(lines, cut_last_newline) -> None:
    data = (",".join(FIELDS) + "\n").encode() + b"".join(lines)
    if cut_last_newline:
        data = data.removesuffix(b"\n")
    by_file, by_source = read_both(data)
    assert by_file.events == by_source.events
    assert [(r.position, r.reason) for r in by_file.rejections] == [
        (r.position, r.reason) for r in by_source.rejections
    ]
    assert (
        len(by_file.events) + len(by_file.rejections) <= data.count(b"\n") + 1
    )  # one outcome a line at most


@FUZZ
@given(st.binary(max_size=300))
def test_read_event_file_never_raises_on_any_bytes(data) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz"
        path.write_bytes(data)
        for item in read_event_file(path):
            assert isinstance(item, Event | Rejection)
            if isinstance(item, Rejection):
                assert item.source == "fuzz" and item.position.startswith(("line ", "item ")) and item.reason


json_garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(
        st.sampled_from(list(FIELDS)), st.one_of(st.text(max_size=10), st.integers(), st.none()), max_size=5
    ).filter(lambda d: d.get("kind") not in KINDS),
)


@FUZZ
@given(
    st.lists(
        st.one_of(good_events().map(lambda f: ("good", f)), json_garbage.map(lambda g: ("garbage", g))),
        max_size=30,
    )
)
def test_json_array_and_json_lines_keep_every_good_event_among_garbage(items) -> None:
    expected = [parse_event(value) for what, value in items if what == "good"]
    values = [value for _, value in items]
    lines = "\n".join(json.dumps(value) for value in values)
    # one line holding an array is a JSON array document, not JSON Lines
    single_array = len(values) == 1 and isinstance(values[0], list)
    for text in (json.dumps(values),) if single_array else (json.dumps(values), lines):
        out = list(read_json_text(text, "fuzz"))
        assert [item for item in out if isinstance(item, Event)] == expected
        assert len(out) == len(values)  # one item each: an event or a rejection with its position


@FUZZ
@given(st.text(max_size=200))
def test_json_reader_never_raises_on_any_text(text) -> None:
    for item in read_json_text(text, "fuzz"):
        assert isinstance(item, Event | Rejection)


ORDERS_HEADER = [
    "amazon-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "latest-ship-date",
    "tracking-number",
]
FEEDBACK_HEADER = ["Date", "Rating", "Comments", "Order ID"]
RETURNS_HEADER = ["Order ID", "Return request date", "Return request status", "Amazon RMA ID", "A-to-Z Claim"]


@FUZZ
@given(
    st.sampled_from([ORDERS_HEADER, FEEDBACK_HEADER, RETURNS_HEADER]),
    st.lists(st.lists(st.text(max_size=25), max_size=8), max_size=10),
)
def test_report_mappers_raise_only_value_error(header, rows) -> None:
    fmt = detect(header)
    assert fmt is not None
    mapper = MAPPERS[fmt](header)
    for row in rows:
        try:
            events = mapper.map(row)
        except ValueError:  # the documented rejection (EventError is one)
            continue
        assert all(isinstance(event, Event) for event in events)


@FUZZ
@given(st.lists(st.text(max_size=30), max_size=12))
def test_report_detection_and_dates_never_raise_otherwise(header) -> None:
    detect(header)
    zone = MAPPERS["amazon-orders"](ORDERS_HEADER).zone
    for text in header:
        try:
            when = parse_report_date(text, zone)
        except ValueError:
            continue
        assert isinstance(when, int)


good_order = st.builds(
    lambda oid, placed, status, ship: {
        "AmazonOrderId": f"111-{oid:07d}",
        "PurchaseDate": format_instant(placed),
        "LastUpdateDate": format_instant(placed + 3_600_000_000),
        "OrderStatus": status,
        "FulfillmentChannel": "MFN",
        "LatestShipDate": format_instant(ship),
    },
    st.integers(0, 9_999_999),
    instants,
    st.sampled_from(["Unshipped", "Shipped", "Canceled"]),
    instants,
)
bad_order = st.one_of(
    json_garbage,
    st.fixed_dictionaries({"AmazonOrderId": st.text(max_size=5), "OrderStatus": st.text(max_size=8)}),
    st.fixed_dictionaries(
        {
            "AmazonOrderId": st.just("999-1"),
            "PurchaseDate": st.text(max_size=12),
            "OrderStatus": st.sampled_from(["Shipped", "Unshipped"]),
        }
    ),
)


@FUZZ
@given(
    st.lists(
        st.one_of(good_order.map(lambda o: ("good", o)), bad_order.map(lambda o: ("bad", o))), max_size=20
    )
)
def test_sp_api_orders_keep_every_good_order_among_garbage(items) -> None:
    from sellerpulse.core.sources import Batch

    source = make_source(
        HttpSource, {"url": "http://127.0.0.1:1/orders", "format": "sp-api-orders"}, name="fuzz"
    )
    good = {order["AmazonOrderId"]: order for what, order in items if what == "good"}
    body = json.dumps({"payload": {"Orders": [order for _, order in items]}})
    batch = Batch()
    source._read_page(body, "poll 1 page 1", batch)
    placed = [event.order_id for event in batch.events if event.kind == "order_placed"]
    assert set(good) <= set(placed)
    for order_id, order in good.items():
        kinds = {e.kind for e in batch.events if e.order_id == order_id}
        want = {"Shipped": "order_shipped", "Canceled": "order_cancelled"}.get(order["OrderStatus"])
        # the first copy of an order decides (each status is emitted once)
        first = next(o for w, o in items if isinstance(o, dict) and o.get("AmazonOrderId") == order_id)
        if want and first is order:
            assert want in kinds


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.recursive(
            json_garbage,
            lambda inner: st.one_of(
                st.lists(inner, max_size=4),
                st.dictionaries(
                    st.sampled_from(["payload", "Orders", "NextToken", "events", "next"]), inner, max_size=3
                ),
            ),
            max_leaves=12,
        ).map(json.dumps),
    )
)
def test_http_page_parsers_never_raise_on_any_body(text) -> None:
    from sellerpulse.core.sources import Batch

    for fmt in ("events", "sp-api-orders"):
        source = make_source(HttpSource, {"url": "http://127.0.0.1:1/x", "format": fmt}, name="fuzz")
        batch = Batch()
        try:
            token = source._read_page(text, "poll 1 page 1", batch)
        except UnreadablePage as exc:  # the documented rejection of a whole page
            assert str(exc)
            continue
        assert token is None or isinstance(token, str)
        assert all(isinstance(event, Event) for event in batch.events)
