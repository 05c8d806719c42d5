"""How long to wait before trying again: one rule for every retry in the product.

Exponential back-off (the first delay, doubled after each failure, capped) spreads retries out so a
server or a file that is failing is not hammered; jitter (each delay scaled by 0.5..1.5) keeps many
clients that failed together from retrying together.
"""

from __future__ import annotations

import random


def backoff_delay(attempt: int, first: float, most: float, jitter: random.Random | None = None) -> float:
    """Seconds to wait before try ``attempt + 1`` (``attempt`` counts failures from 1): ``first * 2 **
    (attempt - 1)``, scaled by a random 0.5..1.5 when ``jitter`` is given, and at most ``most``."""
    delay = first * 2 ** min(max(attempt - 1, 0), 64)
    if jitter is not None:
        delay *= jitter.uniform(0.5, 1.5)
    return min(most, delay)
