"""Amazon flat-file reports read by the ``csv`` source, from hand-written fixtures with the reports'
real headers: format detection by header, one order_placed per order, what is and is not inferred."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sellerpulse.core.engine import Engine
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.timeutil import parse_instant
from sellerpulse.plugins.amazon_reports import parse_report_date
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import make_source, read_source

ORDERS_HEADER = (
    "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\t"
    "sales-channel\torder-channel\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\t"
    "item-price\titem-tax\tshipping-price\tshipping-tax\tship-city\tship-state\tship-postal-code\tship-country\t"
    "is-business-order"
)


def orders_row(order, purchased, updated, status, channel, sku, item_status="Unshipped"):
    cells = [order, "", purchased, updated, status, channel, "Amazon.com", "", "Standard", f"Widget {sku}", sku,
             "B000TEST01", item_status, "1", "USD", "19.99", "1.60", "4.99", "0.00", "SEATTLE", "WA", "98101", "US",
             "false"]  # fmt: skip
    return "\t".join(cells)


ALL_ORDERS = "\n".join([
    ORDERS_HEADER,
    # an AFN order with two items (two rows), shipped
    orders_row("111-0000001-0000001", "2026-11-02T14:05:11+00:00", "2026-11-03T09:00:00+00:00", "Shipped", "Amazon", "A-1", "Shipped"),
    orders_row("111-0000001-0000001", "2026-11-02T14:05:11+00:00", "2026-11-03T09:00:00+00:00", "Shipped", "Amazon", "A-2", "Shipped"),
    orders_row("111-0000002-0000002", "2026-11-03T08:00:00-08:00", "2026-11-03T08:01:00-08:00", "Pending", "Merchant", "M-1"),
    orders_row("111-0000003-0000003", "2026-11-03T10:00:00+00:00", "2026-11-04T11:30:00+00:00", "Cancelled", "Merchant", "M-2", "Cancelled"),
    # MFN shipped: the all-orders report has no tracking numbers, so no shipment is inferred
    orders_row("111-0000004-0000004", "2026-11-04T10:00:00+00:00", "2026-11-05T10:00:00+00:00", "Shipped", "Merchant", "M-3", "Shipped"),
    orders_row("111-0000005-0000005", "yesterday", "2026-11-05T10:00:00+00:00", "Pending", "Merchant", "M-4"),
    orders_row("111-0000006-0000006", "2026-11-05T10:00:00+00:00", "2026-11-05T10:00:00+00:00", "Pending", "Drone", "M-5"),
]) + "\n"  # fmt: skip


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def summary(events):
    return [(e.kind, e.order_id or e.ref, e.ts) for e in events]


def test_all_orders_report_maps_orders_once_per_order(tmp_path):
    path = write(tmp_path, "All Orders Report.txt", ALL_ORDERS)
    source = make_source(CsvSource, {"path": str(path), "account": "acme-us"})
    batch = read_source(source)
    t = parse_instant
    assert summary(batch.events) == [
        ("order_placed", "111-0000001-0000001", t("2026-11-02T14:05:11Z")),
        ("order_shipped", "111-0000001-0000001", t("2026-11-03T09:00:00Z")),
        ("order_placed", "111-0000002-0000002", t("2026-11-03T16:00:00Z")),
        ("order_placed", "111-0000003-0000003", t("2026-11-03T10:00:00Z")),
        ("order_cancelled", "111-0000003-0000003", t("2026-11-04T11:30:00Z")),
        ("order_placed", "111-0000004-0000004", t("2026-11-04T10:00:00Z")),
    ]
    placed = {e.order_id: e for e in batch.events if e.kind == "order_placed"}
    assert placed["111-0000001-0000001"].channel == "AFN"
    assert placed["111-0000002-0000002"].channel == "MFN"
    assert placed["111-0000002-0000002"].ship_by is None  # the report has no ship-by column
    assert {e.account for e in batch.events} == {"acme-us"}
    cancelled = next(e for e in batch.events if e.kind == "order_cancelled")
    assert cancelled.by == "seller"
    assert [(r.position, r.reason) for r in batch.rejections] == [
        ("line 7", "unreadable date 'yesterday'"),
        ("line 8", "unknown fulfillment-channel 'drone' (Merchant or Amazon)"),
    ]
    assert "1 MFN shipments without a tracking-number column not inferred" in source.health().detail


def test_orders_report_with_ship_by_and_tracking_columns_in_csv_form(tmp_path):
    text = (
        "order-status,amazon-order-id,purchase-date,latest-ship-date,latest-delivery-date,fulfillment-channel,"
        "tracking-number,shipment-date,some-new-column\n"
        "Shipped,112-1,2026-11-02T10:00:00Z,2026-11-04T07:59:59Z,2026-11-09T07:59:59Z,Merchant,1Z999AA10123456784,"
        '2026-11-03T15:00:00Z,"a, quoted value"\n'
        "Unshipped,112-2,2026-11-02T11:00:00Z,2026-11-04T07:59:59Z,,Merchant,,,\n"
    )
    path = write(tmp_path, "orders-export.csv", text)
    batch = read_source(make_source(CsvSource, {"path": str(path), "cancelled_by": "buyer"}))
    assert summary(batch.events) == [
        ("order_placed", "112-1", parse_instant("2026-11-02T10:00:00Z")),
        ("order_shipped", "112-1", parse_instant("2026-11-03T15:00:00Z")),
        ("order_placed", "112-2", parse_instant("2026-11-02T11:00:00Z")),
    ]
    assert batch.events[0].ship_by == parse_instant("2026-11-04T07:59:59Z")
    assert batch.events[0].deliver_by == parse_instant("2026-11-09T07:59:59Z")
    assert batch.events[1].tracking == "1Z999AA10123456784"
    assert batch.rejections == []


def test_an_empty_fulfillment_channel_leaves_the_channel_to_a_source_that_knows_it(tmp_path):
    """A report row without a channel must not claim MFN: merged with the orders API's AFN placement the
    order is AFN (out of Late Shipment Rate), as EVENTS.md's merge rule says."""
    text = "\n".join([
        ORDERS_HEADER,
        orders_row("114-1", "2026-11-02T10:00:00+00:00", "2026-11-03T09:00:00+00:00", "Pending", "", "X-1"),
        orders_row("114-2", "2026-11-02T10:00:00+00:00", "2026-11-03T09:00:00+00:00", "Shipped", "", "X-2", "Shipped"),
    ]) + "\n"  # fmt: skip
    source = make_source(CsvSource, {"path": str(write(tmp_path, "orders.txt", text)), "account": "acme"})
    batch = read_source(source)
    assert [(e.kind, e.order_id, e.channel) for e in batch.events] == [
        ("order_placed", "114-1", ""),
        ("order_placed", "114-2", ""),
    ]  # no shipment inferred: without a channel the order may be MFN, and the report has no tracking
    engine = Engine()
    engine.ingest(batch.events)
    from sellerpulse.core.events import parse_event

    engine.ingest([parse_event({"ts": "2026-11-02T10:00:30Z", "kind": "order_placed", "order_id": "114-1",
                                "account": "acme", "event_id": "api:114-1", "channel": "AFN",
                                "ship_by": "2026-11-03T08:00:00Z"})])  # fmt: skip
    metrics = engine.snapshot(parse_instant("2026-11-20T00:00:00Z")).accounts["acme"].metrics  # past the lag
    assert (metrics["odr_afn"].numerator, metrics["odr_afn"].denominator) == (0, 1)
    assert metrics["odr"].denominator == 1  # MFN orders: 114-2: no source gave a channel, so it counts as MFN


FEEDBACK = (
    "Date,Rating,Comments,Your Response,Order ID,Rater Email\n"
    '10/30/26,1,"Arrived broken, seller never answered",,113-0000001-0000001,abc@marketplace.amazon.com\n'
    "11/03/2026,5,Great,,113-0000002-0000002,def@marketplace.amazon.com\n"
    "11/04/2026,7,Off the scale,,113-0000003-0000003,ghi@marketplace.amazon.com\n"
)


def test_feedback_report_dates_are_feedback_dates_in_the_given_zone(tmp_path):
    path = write(tmp_path, "Feedback.dat", FEEDBACK)
    source = make_source(CsvSource, {"path": str(path), "timezone": "America/Los_Angeles"})
    batch = read_source(source)
    assert [(e.kind, e.order_id, e.rating, e.ts) for e in batch.events] == [
        ("feedback", "113-0000001-0000001", 1, parse_instant("2026-10-30T00:00:00-07:00")),
        ("feedback", "113-0000002-0000002", 5, parse_instant("2026-11-03T00:00:00-08:00")),
    ]
    assert [(r.position, r.reason) for r in batch.rejections] == [("line 4", "rating 7 out of range 1..5")]


RETURNS_HEADER = (
    "Order ID\tOrder date\tReturn request date\tReturn request status\tAmazon RMA ID\tMerchant RMA ID\tLabel type\t"
    "Label cost\tCurrency code\tReturn carrier\tTracking ID\tLabel to be paid by\tA-to-Z Claim\tIs prime\tASIN\t"
    "Merchant SKU\tItem Name\tReturn quantity\tReturn Reason\tIn policy\tReturn type\tResolution\tRefunded Amount"
)


def returns_row(order, requested, status, rma, atoz="N"):
    cells = [order, "10/28/2026", requested, status, rma, "", "AmazonPrePaidLabel", "5.20", "USD", "UPS",
             "1Z0000", "Seller", atoz, "Y", "B000TEST01", "M-1", "Widget", "1", "DEFECTIVE", "Y", "C-Returns",
             "StandardRefund", "19.99"]  # fmt: skip
    return "\t".join(cells)


def test_returns_report_gives_requests_responses_and_claims(tmp_path):
    text = "\n".join([
        RETURNS_HEADER,
        returns_row("114-1", "11/02/2026", "Approved", "DRmAAA1"),
        returns_row("114-2", "2026-11-03T09:30:00+00:00", "Pending Action", "DRmAAA2"),
        returns_row("114-3", "11/04/2026", "Rejected", "DRmAAA3", atoz="Y"),
        returns_row("", "11/04/2026", "Approved", "DRmAAA4"),
    ]) + "\n"  # fmt: skip
    path = write(tmp_path, "returns_report", text)
    batch = read_source(make_source(CsvSource, {"path": str(path)}))
    nov = parse_instant
    assert [(e.kind, e.order_id, e.ref, e.outcome, e.ts) for e in batch.events] == [
        ("return_requested", "114-1", "DRmAAA1", "", nov("2026-11-02T00:00:00Z")),
        ("return_responded", "", "DRmAAA1", "authorized", nov("2026-11-02T00:00:00Z")),
        ("return_requested", "114-2", "DRmAAA2", "", nov("2026-11-03T09:30:00Z")),
        ("return_requested", "114-3", "DRmAAA3", "", nov("2026-11-04T00:00:00Z")),
        ("return_responded", "", "DRmAAA3", "rejected", nov("2026-11-04T00:00:00Z")),
        ("claim_opened", "114-3", "atoz-114-3", "", nov("2026-11-04T00:00:00Z")),
    ]
    assert [(r.position, r.reason) for r in batch.rejections] == [("line 5", "missing Order ID")]


def test_a_newer_copy_of_a_report_adds_only_what_is_new_to_the_engine(tmp_path):
    first = write(tmp_path, "orders-1.txt", ALL_ORDERS)
    newer = ALL_ORDERS + orders_row(
        "111-0000009-0000009", "2026-11-06T10:00:00+00:00", "2026-11-06T10:00:00+00:00", "Pending", "Amazon", "A-9"
    ) + "\n"  # fmt: skip
    second = write(tmp_path, "orders-2.txt", newer)
    engine = Engine()
    sources = [make_source(CsvSource, {"path": str(p)}, name=p.stem) for p in (first, second)]
    runtime = Runtime(engine, sources)
    runtime.run_once()
    assert runtime.health()["orders-1"].events == 6
    assert runtime.health()["orders-2"].events == 7
    snapshot = runtime.snapshot(parse_instant("2026-11-07T00:00:00Z"))
    assert snapshot.rejected == {"orders-1": 2, "orders-2": 2}
    assert sorted(snapshot.accounts) == ["default"]


def test_report_dates_in_the_formats_reports_use():

    utc = UTC
    assert parse_report_date("2026-11-02 14:05:00 PST", utc) == parse_instant("2026-11-02T22:05:00Z")
    assert parse_report_date("03/11/2026", utc, day_first=True) == parse_instant("2026-11-03T00:00:00Z")
    assert parse_report_date("03/11/2026", utc) == parse_instant("2026-03-11T00:00:00Z")
    assert parse_report_date("02.11.2026", utc) == parse_instant("2026-11-02T00:00:00Z")
    assert parse_report_date("Nov 2, 2026", utc) == parse_instant("2026-11-02T00:00:00Z")
    assert parse_report_date("11/2/2026 3:04 PM", utc) == parse_instant("2026-11-02T15:04:00Z")


class CountingStrptime(datetime):
    """``datetime`` whose ``strptime`` counts its calls (and parses as usual)."""

    calls = 0

    @classmethod
    def strptime(cls, text: str, pattern: str) -> datetime:  # type: ignore[override]
        cls.calls += 1
        return datetime.strptime(text, pattern)


def test_a_column_remembers_its_date_format(tmp_path, monkeypatch):
    """A report writes every date of a column the same way: after the first value, each costs one
    strptime (it took up to 40, 282 us for ``Nov 02, 2026 2:05 PM``). A value in another format still
    reads right, and the column then remembers that one."""
    import sellerpulse.plugins.amazon_reports as amazon_reports

    monkeypatch.setattr(amazon_reports, "datetime", CountingStrptime)
    rows = [f'"Nov {1 + n % 28:02d}, 2026 {1 + n % 12}:05 PM",5,,,113-{n:07d},x@y' for n in range(200)]
    rows[100] = "2026-11-05T10:00:00+00:00,5,,,113-ISO,x@y"  # ISO: no strptime at all
    rows[150] = "11/05/2026,5,,,113-NUMERIC,x@y"
    path = write(
        tmp_path,
        "Feedback.txt",
        "Date,Rating,Comments,Your Response,Order ID,Rater Email\n" + "\n".join(rows),
    )
    batch = read_source(make_source(CsvSource, {"path": str(path)}))
    assert batch.rejections == []
    ts = {e.order_id: e.ts for e in batch.events}
    assert ts["113-0000000"] == parse_instant("2026-11-01T13:05:00Z")
    assert ts["113-0000011"] == parse_instant("2026-11-12T12:05:00Z")  # 12:05 PM is noon
    assert ts["113-ISO"] == parse_instant("2026-11-05T10:00:00Z")
    assert ts["113-NUMERIC"] == parse_instant("2026-11-05T00:00:00Z")
    assert ts["113-0000199"] == parse_instant("2026-11-04T20:05:00Z")
    # one try of the remembered format a value, and at most 40 more on each of the five changes of format
    # (the first value, to ISO and back, to numeric and back); without the memory it was 7,921
    assert CountingStrptime.calls <= 200 + 5 * 40


def test_a_column_of_two_alternating_formats_still_costs_a_few_tries_a_value(tmp_path, monkeypatch):
    """Merged exports alternate two formats in one column: every pattern that matched is remembered,
    so a value costs at most a couple of strptime calls, not a new search of 40 each time."""
    import sellerpulse.plugins.amazon_reports as amazon_reports

    monkeypatch.setattr(amazon_reports, "datetime", CountingStrptime)
    CountingStrptime.calls = 0
    rows = [
        f'"Nov {1 + n % 28:02d}, 2026 2:05 PM",5,,,113-{n:07d},x@y' if n % 2 else f"11/{1 + n % 28:02d}/2026,5,,,113-{n:07d},x@y"
        for n in range(400)
    ]  # fmt: skip
    path = write(
        tmp_path,
        "Feedback.txt",
        "Date,Rating,Comments,Your Response,Order ID,Rater Email\n" + "\n".join(rows),
    )
    batch = read_source(make_source(CsvSource, {"path": str(path)}))
    assert batch.rejections == [] and len(batch.events) == 400
    ts = {e.order_id: e.ts for e in batch.events}
    assert ts["113-0000001"] == parse_instant("2026-11-02T14:05:00Z")
    assert ts["113-0000002"] == parse_instant("2026-11-03T00:00:00Z")
    assert CountingStrptime.calls <= 2 * 400 + 2 * 40  # before: about 20 a value
