"""Status and headroom of a rate, decided with exact arithmetic (``METRICS.md`` section 2).

Targets are decimal strings in the profile; comparing ``n / d`` with ``0.01`` in floats would put an
order exactly on the line on the wrong side, so every comparison here is on integers and Fractions.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction


def rate_status(
    bad: int,
    population: int,
    direction: str | None,
    target: Decimal | None,
    warn: Decimal | None,
    allowed: int | None = None,
) -> tuple[str, int | None]:
    """(status, headroom) for a rate with ``bad`` bad outcomes out of ``population``.

    ``allowed``: a rate past its target is still healthy while at most this many bad outcomes were
    counted (eBay's "and more than N defects"), so a small seller is not judged by one or two orders.
    """
    if population == 0:
        return "no_data", None
    if direction is None or target is None:
        return "info", None
    t = Fraction(target)
    rate = Fraction(bad, population)
    if direction == "below":
        healthy = rate < t
        warned = warn is not None and rate >= Fraction(warn)
        headroom = max(0, math.ceil(t * population) - 1 - bad)
    elif direction == "at_most":
        healthy = rate <= t
        warned = warn is not None and rate >= Fraction(warn)
        headroom = max(0, math.floor(t * population) - bad)
    elif direction == "above":
        good = population - bad
        healthy = Fraction(good, population) >= t
        warned = warn is not None and Fraction(good, population) < Fraction(warn)
        headroom = max(0, math.floor(population * (1 - t)) - bad)
    else:
        raise ValueError(f"direction {direction!r} is not a rate direction")
    if allowed is not None:
        # a breach needs both: the rate past the target and more than ``allowed`` bad outcomes
        healthy = healthy or bad <= allowed
        headroom = max(headroom, allowed - bad, 0)
    if not healthy:
        return "breach", headroom
    return ("warning" if warned else "ok"), headroom


def count_status(count: int, target: Decimal | None) -> str:
    """Status of a count that must stay at or below ``target`` (policy violations)."""
    if target is None:
        return "info"
    return "ok" if count <= target else "breach"
