"""How long to wait before trying again: one rule for every retry in the product.

Exponential back-off (the first delay, doubled after each failure, capped) spreads retries out so a
server or a file that is failing is not hammered; jitter (each delay scaled by 0.5..1.5) keeps many
clients that failed together from retrying together.
"""

from __future__ import annotations

import email.utils
import random
import time

MAX_RETRY_AFTER = 3600.0  # longest wait a server's Retry-After is granted


def backoff_delay(attempt: int, first: float, most: float, jitter: random.Random | None = None) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts failures from 1): ``first * 2 **
    (attempt - 1)``, scaled by a random 0.5..1.5 when ``jitter`` is given, and at most ``most``."""
    delay = first * 2 ** min(max(attempt - 1, 0), 64)
    if jitter is not None:
        delay *= jitter.uniform(0.5, 1.5)
    return min(most, delay)


def retry_after(value: str | None, most: float = MAX_RETRY_AFTER) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delay-seconds or an HTTP date), between 0 and
    ``most`` (a server asking a day must not stall a source for a day); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), most)
