"""Durations as operators write them in the config ("10m", "4h", "2d", "1h30m"), kept as microseconds.

The engine's instants are integer microseconds, so alert timers (``for``, ``keep_firing_for``,
``repeat``, queue ages) are too: comparisons stay exact and tests can move a fixed clock by any amount.
"""

from __future__ import annotations

import re

from ..timeutil import US_PER_SECOND

_UNITS = {
    "ms": US_PER_SECOND // 1000,
    "s": US_PER_SECOND,
    "m": 60 * US_PER_SECOND,
    "h": 3600 * US_PER_SECOND,
    "d": 86400 * US_PER_SECOND,
    "w": 7 * 86400 * US_PER_SECOND,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


class DurationError(ValueError):
    """A duration that cannot be read."""


def parse_duration(value: str | int | float) -> int:
    """``"10m"`` -> microseconds. A bare number is seconds; ``"0"`` is zero; parts add (``"1h30m"``)."""
    if isinstance(value, bool):
        raise DurationError(f'expected a duration such as "10m", "4h" or "2d", not {value!r}')
    if isinstance(value, (int, float)):
        if value < 0:
            raise DurationError(f"a duration cannot be negative: {value!r}")
        return int(value * US_PER_SECOND)
    text = str(value).strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return int(float(text) * US_PER_SECOND)
    pos, total = 0, 0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += int(float(match.group(1)) * _UNITS[match.group(2)])
        pos = match.end()
    if pos != len(text) or not text:
        raise DurationError(f'expected a duration such as "10m", "4h" or "2d", not {value!r}')
    return total


def format_duration(us: int) -> str:
    """Microseconds -> the shortest exact spelling (``5400_000_000`` -> ``"1h30m"``)."""
    if us == 0:
        return "0s"
    parts = []
    rest = us
    for unit in ("d", "h", "m", "s"):
        size = _UNITS[unit]
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    if rest:
        parts.append(f"{rest // 1000}ms" if rest % 1000 == 0 else f"{rest}us")
    return "".join(parts)
