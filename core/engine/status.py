"""Status and headroom of a rate, decided with exact arithmetic (``METRICS.md`` section 2).

Targets are decimal strings in the profile; comparing ``n / d`` with ``0.01`` in floats would put an
order exactly on the line on the wrong side, so every comparison here is on integers and Fractions.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction


def rate_status(
    bad: int, population: int, direction: str | None, target: Decimal | None, warn: Decimal | None
) -> tuple[str, int | None]:
    """(status, headroom) for a rate with ``bad`` bad outcomes out of ``population``."""
    if population == 0:
        return "no_data", None
    if direction is None or target is None:
        return "info", None
    t = Fraction(target)
    if direction == "below":
        healthy = Fraction(bad, population) < t
        warned = warn is not None and Fraction(bad, population) >= Fraction(warn)
        headroom = max(0, math.ceil(t * population) - 1 - bad)
    elif direction == "above":
        good = population - bad
        healthy = Fraction(good, population) >= t
        warned = warn is not None and Fraction(good, population) < Fraction(warn)
        headroom = max(0, math.floor(population * (1 - t)) - bad)
    else:
        raise ValueError(f"direction {direction!r} is not a rate direction")
    if not healthy:
        return "breach", headroom
    return ("warning" if warned else "ok"), headroom


def count_status(count: int, target: Decimal | None) -> str:
    """Status of a count that must stay at or below ``target`` (policy violations)."""
    if target is None:
        return "info"
    return "ok" if count <= target else "breach"
