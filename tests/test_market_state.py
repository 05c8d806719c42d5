"""Walmart and eBay accounts survive a restart: the saved engine state (refund reasons, lost cases, the
evaluation period's order count) and the journal (events with a refund reason, and rows written before
the reason existed) give back exactly what the engine had."""

from __future__ import annotations

import json

from market_fixtures import AT, ev, orders
from sellerpulse.core.checkpoint import decode_events, encode_events
from sellerpulse.core.engine import Engine, state_file
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.timeutil import parse_instant


def mixed_events(first: int, last: int) -> list:
    out = []
    for account in ("wm", "eb"):
        events = [
            *orders(account, last - first, "2026-11-01T10:00:00Z"),
            ev("refund", "2026-11-02T10:00:00Z", f"{account}1", reason="damaged"),
            ev("refund", "2026-11-03T10:00:00Z", f"{account}2", reason="buyer_remorse"),
            ev("order_cancelled", "2026-11-01T11:00:00Z", f"{account}3", by="seller"),
            ev("claim_opened", "2026-11-05T10:00:00Z", f"{account}4", ref=f"{account}-{first}-c4"),
            ev("claim_closed", "2026-11-09T10:00:00Z", ref=f"{account}-{first}-c4", outcome="granted"),
        ]
        for n, event in enumerate(events):
            event.account = account
            event.order_id = (
                event.order_id.replace(account, f"{account}-{first}-", 1) if event.order_id else ""
            )
            event.event_id = f"{account}-{first}-{n}"
        out += events
    return out


def new_engine() -> Engine:
    profiles = {"wm": builtin_profile("walmart"), "eb": builtin_profile("ebay")}
    return Engine(account_profiles=profiles, seed=11)


def test_a_saved_state_of_walmart_and_ebay_accounts_loads_to_the_same_numbers() -> None:
    at = parse_instant(AT)
    live = new_engine()
    live.ingest(mixed_events(0, 300))
    restored = new_engine()
    state_file.load(restored, state_file.dump(live)).install(restored)
    before = restored.snapshot(at).to_json()
    assert json.dumps(before) == json.dumps(live.snapshot(at).to_json())
    # 300 eBay orders in the last 90 days: judged over 12 months; 1 damaged refund of 300 Walmart orders
    assert before["accounts"]["eb"]["metrics"]["tdr"]["window"]["from"] == "2025-11-21"
    assert before["accounts"]["wm"]["metrics"]["refund_rate"]["numerator"] == 1
    # and both go on alike: a second refund reason of a refunded order, more orders past eBay's 400
    more = [*mixed_events(300, 450), ev("refund", "2026-11-04T10:00:00Z", "wm-0-2", reason="wrong_item")]
    more[-1].account = "wm"
    for engine in (live, restored):
        engine.ingest(more)
    snap = restored.snapshot(at).to_json()
    assert json.dumps(snap) == json.dumps(live.snapshot(at).to_json())
    # 450 eBay orders in the last 90 days (300 of them counted before the restart): judged over 3 months;
    # Walmart: the damaged refunds of both batches, and the order first refunded for the buyer's reason
    # then for a wrong item (its first reason kept through the restart)
    assert snap["accounts"]["eb"]["metrics"]["tdr"]["window"]["from"] == "2026-08-23"
    assert snap["accounts"]["wm"]["metrics"]["refund_rate"]["numerator"] == 3
    assert snap["accounts"]["eb"]["metrics"]["tdr"]["numerator"] == 4  # 2 cancellations, 2 lost cases


def test_the_journal_keeps_a_refund_reason_and_reads_rows_written_before_it() -> None:
    events = [
        ev("refund", "2026-09-02T10:00:00Z", "o1", reason="Damaged"),
        ev("refund", "2026-09-02T11:00:00Z", "o2"),
    ]
    (row,) = encode_events(events)
    assert [(e.order_id, e.reason) for e in decode_events(row.account, row.events)] == [
        ("o1", "damaged"),
        ("o2", ""),
    ]
    # a row of the 14 fields written before the reason existed
    old = json.dumps([[events[1].ts, "refund", "o2", "", "", "", None, None, "", "", 0, "", "", ""]])
    (read,) = decode_events("default", old)
    assert (read.kind, read.order_id, read.reason) == ("refund", "o2", "")
