"""What the dashboard shows of an order two sources placed (issue 18): the real app on the worked example.

Order MERGE-1 of acme-us is placed by a report row without channel or dates (2026-10-10 08:00:00 UTC) and
by the orders API 7 s later (MFN, ship-by 10-12 08:00 UTC), and shipped 3 h after that ship-by. The
account is on Berlin time (UTC+2 in October). The Late Shipment Rate's drill-down lists the order, and
says which placement gave its date and which its channel and ship-by.
"""

from __future__ import annotations

from test_tui_app import SIZE, table_rows
from tui_fixtures import example_app, example_data

MERGED = [
    {"ts": "2026-10-10T08:00:00Z", "kind": "order_placed", "order_id": "MERGE-1", "account": "acme-us",
     "event_id": "report:MERGE-1"},
    {"ts": "2026-10-10T08:00:07Z", "kind": "order_placed", "order_id": "MERGE-1", "account": "acme-us",
     "event_id": "api:MERGE-1", "channel": "MFN", "ship_by": "2026-10-12T08:00:00Z"},
    {"ts": "2026-10-12T11:00:00Z", "kind": "order_shipped", "order_id": "MERGE-1", "account": "acme-us",
     "event_id": "api:MERGE-1:shipped", "tracking": "1Z"},
]  # fmt: skip


async def test_the_late_shipment_drill_down_says_which_placement_gave_what() -> None:
    app = example_app(data=example_data(extra=MERGED))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.open_metric("lsr_30d")
        await pilot.pause()
        rows = {row[0]: row for row in table_rows(app.screen)}
        assert rows["MERGE-1"][1:3] == [
            "2026-10-12",
            "shipped 3 h after ship-by; order date from the placement of 2026-10-10 10:00:00, "
            "channel and ship-by from the one of 2026-10-10 10:00:07",
        ]
