"""The operator's words for the rates the Walmart and eBay profiles bound "at most" (not counts), from
real snapshots: room left, and how far over a breach is with and without an allowed count."""

from __future__ import annotations

from market_fixtures import account, ev, orders
from sellerpulse.core.profile import builtin_profile
from sellerpulse.tui import format as fmt


def cancels(prefix: str, n: int) -> list:
    return [ev("order_cancelled", "2026-11-01T11:00:00Z", f"{prefix}{k}", by="seller") for k in range(n)]


def test_an_at_most_rate_reads_as_room_left_not_as_open_items() -> None:
    walmart = builtin_profile("walmart")
    base = orders("w", 100, "2026-11-01T10:00:00Z")
    # 1 of 100: 2 % of 100 = 2 allowed by the rate: 1 more
    ok = account(walmart, [*base, *cancels("w", 1)]).metrics["cancel_rate"]
    assert fmt.headroom(ok) == "1 more cancellation allowed"
    assert fmt.target(ok, ascii_only=True) == "<= 2.00 %"
    # 5 of 100: over by 5 - 2 = 3
    over = account(walmart, [*base, *cancels("w", 5)]).metrics["cancel_rate"]
    assert fmt.headroom(over) == "over by 3 cancellations"


def test_over_by_counts_the_nearer_of_the_rate_and_the_allowed_count() -> None:
    ebay = builtin_profile("ebay")
    # 7 defects of 100: the rate allows 2, the count 4: healthy again after 3 fewer (the count)
    snap = account(ebay, [*orders("e", 100, "2026-11-01T10:00:00Z"), *cancels("e", 7)])
    assert fmt.headroom(snap.metrics["tdr"]) == "over by 3 defects"
    # 12 defects of 500: the rate allows 10, the count 4: 2 fewer (the rate)
    snap = account(ebay, [*orders("e", 500, "2026-11-01T10:00:00Z"), *cancels("e", 12)])
    assert fmt.headroom(snap.metrics["tdr"]) == "over by 2 defects"


def test_violations_stay_a_count_of_open_items() -> None:
    amazon = builtin_profile("amazon")
    snap = account(amazon, [ev("violation", "2026-11-01T10:00:00Z", ref="V1")])
    assert fmt.headroom(snap.metrics["policy_violations"]) == "1 open violation"
