"""Profile values, not code, decide the results: the same stream judged by two profiles whose values are
swapped between two metrics gives swapped results, and each result is the one a brute-force count of the
stream under that metric's values gives (window or volume-chosen period, at_most target, allowed count).
And eBay's three metrics on random orders (shipments, deliveries, cancellations, cases around their
dates) are what a count by hand of docs/metrics.md's rules gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from market_fixtures import AT, account, ev
from sellerpulse.core.profile import builtin_profile, profile_from_mapping

AT_DAY = date(2026, 11, 20)

values_st = st.fixed_dictionaries({
    "target": st.sampled_from(["0", "0.005", "0.02", "0.1", "0.25", "1"]),
    "allowed_count": st.none() | st.integers(0, 4),
    "window": st.one_of(
        st.integers(1, 120).map(lambda days: {"window_days": days}),
        st.tuples(st.integers(1, 60), st.integers(0, 90), st.integers(0, 30)).map(
            lambda t: {"short_days": t[0], "long_days": t[0] + t[1], "min_orders": t[2]}
        ),
    ),
})  # fmt: skip
# per order: days before AT it was placed, cancelled by the seller, a case lost
orders_st = st.lists(st.tuples(st.integers(0, 150), st.booleans(), st.booleans()), min_size=1, max_size=40)


def metric(values: dict[str, Any], period: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"rule": "transaction_defect", "channel": "any", "direction": "at_most",
                            "target": values["target"], "bad_noun": "defect"}  # fmt: skip
    if values["allowed_count"] is not None:
        spec["allowed_count"] = values["allowed_count"]
    if "window_days" in values["window"]:
        spec["window_days"] = values["window"]["window_days"]
    else:
        spec["period"] = period
    return spec


def profile(name: str, first: dict[str, Any], second: dict[str, Any]) -> Any:
    """Metric ``a`` judged by ``first``, ``b`` by ``second``; a ladder whose top level bounds ``a`` by
    ``first``."""
    periods = {pid: v["window"] for pid, v in (("pa", first), ("pb", second)) if "short_days" in v["window"]}
    bound = {"direction": "at_most", "target": first["target"]}
    if first["allowed_count"] is not None:
        bound["allowed_count"] = first["allowed_count"]
    return profile_from_mapping({
        "name": name,
        "periods": periods,
        "metrics": {"a": metric(first, "pa"), "b": metric(second, "pb")},
        "ladder": {"gold": {"name": "Gold", "metrics": {"a": bound}}, "plain": {"name": "Plain"}},
    })  # fmt: skip


def stream(orders: list[tuple[int, bool, bool]]) -> list:
    events = []
    for n, (ago, cancelled, lost) in enumerate(orders):
        placed = (AT_DAY - timedelta(days=ago)).isoformat()
        events.append(ev("order_placed", f"{placed}T00:00:00Z", f"o{n}"))
        if cancelled:
            events.append(ev("order_cancelled", f"{placed}T01:00:00Z", f"o{n}", by="seller"))
        if lost:
            events.append(ev("claim_opened", f"{placed}T02:00:00Z", f"o{n}", ref=f"c{n}"))
            events.append(ev("claim_closed", f"{placed}T03:00:00Z", ref=f"c{n}", outcome="granted"))
    return events


def brute_force(orders: list[tuple[int, bool, bool]], values: dict[str, Any]) -> tuple[str, int, int]:
    """(status, bad, population) counted straight from the stream and the values."""
    window = values["window"]
    if "window_days" in window:
        days = window["window_days"]
    else:
        volume = sum(1 for ago, _, _ in orders if ago < window["short_days"])
        days = window["short_days"] if volume >= window["min_orders"] else window["long_days"]
    inside = [(c, lost) for ago, c, lost in orders if ago < days]
    population, bad = len(inside), sum(1 for c, lost in inside if c or lost)
    if not population:
        return "no_data", bad, population
    healthy = Fraction(bad, population) <= Fraction(values["target"])
    allowed = values["allowed_count"]
    if allowed is not None:
        healthy = healthy or bad <= allowed
    return ("ok" if healthy else "breach"), bad, population


@settings(max_examples=60, deadline=None)
@given(first=values_st, second=values_st, orders=orders_st)
def test_swapping_the_values_swaps_the_results(first: dict, second: dict, orders: list) -> None:
    events = stream(orders)
    one = account(profile("one", first, second), events, AT)
    two = account(profile("two", second, first), events, AT)

    def result(snap: Any, mid: str) -> tuple:
        m = snap.metrics[mid]
        return (m.status, m.numerator, m.denominator, m.headroom, m.window_from, m.window_to)

    assert result(one, "a") == result(two, "b")
    assert result(one, "b") == result(two, "a")
    for snap, mid, values in ((one, "a", first), (one, "b", second)):
        m = snap.metrics[mid]
        assert (m.status, m.numerator, m.denominator) == brute_force(orders, values)
    # the ladder's top level bounds ``a`` by ``first``: held exactly when ``a`` is healthy under them
    assert (one.level.level == "Gold") == (one.metrics["a"].status != "breach")


HOUR_FMT = "%Y-%m-%dT%H:%M:%SZ"
order_st = st.fixed_dictionaries({
    "days_ago": st.integers(0, 40),
    "ship_by": st.integers(1, 200),  # hours after the order
    "deliver_by": st.integers(0, 200),  # hours after ship-by
    # hours after ship-by and after deliver-by (a delivery not before its shipment): the edges often
    "shipped": st.none() | st.sampled_from([-1, 0, 1]) | st.integers(-24, 48),
    "delivered": st.none() | st.sampled_from([-1, 0, 1]) | st.integers(-24, 48),
    "cancel": st.none() | st.tuples(st.sampled_from(["seller", "buyer", "marketplace"]), st.integers(0, 300)),
    "claim": st.sampled_from([None, "open", "granted", "denied", "withdrawn"]),
})  # fmt: skip


def ebay_stream(specs: list[dict], at: datetime) -> tuple[list, list[dict]]:
    """The events of ``specs`` up to ``at``, and each order's instants (None: did not happen by ``at``)."""
    events, facts = [], []
    for n, o in enumerate(specs):
        placed = datetime.combine(at.date() - timedelta(days=o["days_ago"]), datetime.min.time(), UTC)
        ship_by = placed + timedelta(hours=o["ship_by"])
        deliver_by = ship_by + timedelta(hours=o["deliver_by"])
        shipped = None if o["shipped"] is None else max(placed, ship_by + timedelta(hours=o["shipped"]))
        shipped = shipped if shipped is not None and shipped <= at else None
        delivered = None
        if shipped is not None and o["delivered"] is not None:
            delivered = max(shipped, deliver_by + timedelta(hours=o["delivered"]))
            delivered = delivered if delivered <= at else None
        cancel = None
        if o["cancel"] is not None and placed + timedelta(hours=o["cancel"][1]) <= at:
            cancel = (o["cancel"][0], placed + timedelta(hours=o["cancel"][1]))
        oid = f"o{n}"
        events.append(ev("order_placed", f"{placed:{HOUR_FMT}}", oid, ship_by=f"{ship_by:{HOUR_FMT}}",
                         deliver_by=f"{deliver_by:{HOUR_FMT}}"))  # fmt: skip
        if shipped is not None:
            events.append(ev("order_shipped", f"{shipped:{HOUR_FMT}}", oid, tracking=f"T{n}"))
        if delivered is not None:
            events.append(ev("order_delivered", f"{delivered:{HOUR_FMT}}", oid))
        if cancel is not None:
            events.append(ev("order_cancelled", f"{cancel[1]:{HOUR_FMT}}", oid, by=cancel[0]))
        if o["claim"] is not None and placed + timedelta(hours=2) <= at:
            events.append(ev("claim_opened", f"{placed + timedelta(hours=1):{HOUR_FMT}}", oid, ref=f"c{n}"))
            if o["claim"] != "open":
                events.append(ev("claim_closed", f"{placed + timedelta(hours=2):{HOUR_FMT}}", ref=f"c{n}",
                                 outcome=o["claim"]))  # fmt: skip
        lost = o["claim"] == "granted" and placed + timedelta(hours=2) <= at
        facts.append({"ship_by": ship_by, "deliver_by": deliver_by, "shipped": shipped, "delivered": delivered,
                      "cancel": cancel, "lost": lost})  # fmt: skip
    return events, facts


def late(f: dict, at: datetime) -> bool | None:
    """eBay's late shipment by hand: None outside the population."""
    shipped = f["shipped"]
    if f["cancel"] is not None and (shipped is None or f["cancel"][1] < shipped):
        return None  # cancelled before shipping
    if shipped is not None and shipped <= f["ship_by"]:
        return False
    if f["delivered"] is not None:
        return f["delivered"] > f["deliver_by"]
    due = f["deliver_by"] if shipped is not None else max(f["ship_by"], f["deliver_by"])
    return due < at


@settings(max_examples=80, deadline=None)
@given(specs=st.lists(order_st, min_size=1, max_size=30))
def test_ebay_rules_match_a_count_by_hand(specs: list[dict]) -> None:
    at = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
    events, facts = ebay_stream(specs, at)
    metrics = account(builtin_profile("ebay"), events, AT).metrics
    seller_cancelled = [
        f["cancel"] is not None
        and f["cancel"][0] != "buyer"
        and (f["shipped"] is None or f["cancel"][1] < f["shipped"])
        for f in facts
    ]
    defects = sum(1 for f, cancelled in zip(facts, seller_cancelled, strict=True) if cancelled or f["lost"])
    assert (metrics["tdr"].numerator, metrics["tdr"].denominator) == (defects, len(facts))
    assert metrics["cases_closed"].numerator == sum(f["lost"] for f in facts)
    judged = [late(f, at) for f in facts]
    population = [x for x in judged if x is not None]
    assert (metrics["late_shipment_rate"].numerator, metrics["late_shipment_rate"].denominator) == (
        sum(population),
        len(population),
    )
