"""Snapshots of a mixed dashboard (pytest-textual-snapshot): an Amazon, a Walmart and an eBay store on one
screen, seeded mock history in the real engine, injected clock, no timers."""

from __future__ import annotations

from mixed_fixtures import EBAY, mixed_app


def test_mixed_dashboard_on_the_ebay_store_120x40(snap_compare):
    """eBay's panels, its level ("Above Standard; N more defects to Below Standard") in the header."""
    assert snap_compare(mixed_app(account=EBAY), terminal_size=(120, 40))


def test_mixed_account_picker_120x40(snap_compare):
    """The picker over the Amazon store: each account's marketplace, worst status and level."""
    assert snap_compare(mixed_app(), terminal_size=(120, 40), press=["a"])
