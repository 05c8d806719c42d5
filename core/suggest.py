""" "Did you mean ...?": the one rule every config, option and command error uses to name the valid word a
typo most likely meant.

difflib proposes candidates; they are ranked by edit distance counting a swap of two neighbours as one
edit, because the commonest typo is a swap (``ord`` is closer to ``odr`` than to ``rdr``, which difflib
alone would not say).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str | None, choices: Iterable[str]) -> str | None:
    """The choice ``word`` is most likely a typo of, or None when nothing is close."""
    if not word:
        return None
    matches = difflib.get_close_matches(word, list(choices), n=5, cutoff=0.6)
    return min(matches, key=lambda match: edit_distance(word, match), default=None)


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (Levenshtein plus adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        previous2, previous = previous, row
    return previous[-1]
