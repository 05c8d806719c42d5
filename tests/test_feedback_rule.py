"""The feedback score's rule lives in one function (``outcomes.feedback_score_outcome``), used for the
orders the engine holds and for the late ratings of orders it has evicted (test_engine_cs.py proves the
two agree with the reference on random streams)."""

from __future__ import annotations

from sellerpulse.core.engine.orders import NO_TS
from sellerpulse.core.engine.outcomes import feedback_score_outcome

DAY = 86_400_000_000


def day_of(us: int) -> int:
    return us // DAY


def test_one_to_three_stars_are_bad_four_and_five_are_positive():
    outcomes = [feedback_score_outcome(stars, 3 * DAY + 5, NO_TS, day_of) for stars in (1, 2, 3, 4, 5)]
    assert outcomes == [(3, True, None, 0)] * 3 + [(3, False, None, 0)] * 2


def test_no_rating_or_a_rating_removed_after_it_was_given_is_outside_the_score():
    assert feedback_score_outcome(0, 3 * DAY, NO_TS, day_of) is None
    assert feedback_score_outcome(2, 3 * DAY, 4 * DAY, day_of) is None
    # a new rating after an earlier removal counts again
    assert feedback_score_outcome(2, 5 * DAY, 4 * DAY, day_of) == (5, True, None, 0)
