"""The seller level of a profile's ladder (``[ladder.ID]``): the best level whose every bound holds.

A bound is a rate on one of the profile's metrics, over that metric's own window (so eBay's evaluation
period applies), missed when the rate is past its target and (with ``allowed_count``) more bad outcomes
than allowed were counted: the same rule as a metric's status (``status.rate_status``). The level is
data of the profile; this module knows no marketplace.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..profile import LevelSpec, MetricSpec, Threshold
from ..snapshot import LevelValue
from .account import AccountState
from .status import rate_status


def account_level(acc: AccountState, at: int, day: int) -> LevelValue | None:
    """The account's level as of ``at`` (its local ``day``); None when its profile has no ladder."""
    ladder = acc.profile.ladder
    if not ladder:
        return None
    metrics = acc.profile.metrics
    counts = {}
    for level in ladder:
        for bound in level.thresholds:
            if bound.metric not in counts:
                lo, hi = acc.window(metrics[bound.metric], day)
                population, bad, _ = acc.series[bound.metric].totals(lo, hi, at)
                counts[bound.metric] = (bad, population)
    return seller_level(ladder, counts, metrics)


def seller_level(
    ladder: tuple[LevelSpec, ...], counts: Mapping[str, tuple[int, int]], metrics: Mapping[str, MetricSpec]
) -> LevelValue:
    """The level ``counts`` (metric id -> (bad, population)) earn on ``ladder`` (best first)."""
    missed_above: tuple[str, ...] = ()
    for n, level in enumerate(ladder[:-1]):
        judged = [(bound, _judge(bound, *counts[bound.metric])) for bound in level.thresholds]
        missed = tuple(bound.metric for bound, (status, _) in judged if status == "breach")
        if missed:
            missed_above = missed
            continue
        near = [(headroom, bound.metric) for bound, (_, headroom) in judged if headroom is not None]
        headroom, binding = min(near) if near else (None, None)
        return LevelValue(
            level=level.name,
            level_id=level.id,
            next_down=ladder[n + 1].name,
            headroom=headroom,
            binding=binding,
            bad_noun=metrics[binding].bad_noun if binding else "bad outcome",
            missed=missed_above,
        )
    floor = ladder[-1]
    return LevelValue(level=floor.name, level_id=floor.id, missed=missed_above)


def _judge(bound: Threshold, bad: int, population: int) -> tuple[str, int | None]:
    return rate_status(bad, population, bound.direction, bound.target, None, bound.allowed_count)
