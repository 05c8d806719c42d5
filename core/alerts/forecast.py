"""Forecast: will a windowed rate breach within N days at the current daily rate?

The model (window arithmetic on daily values):

- The metric now is ``n / d`` over attribution days ``F..T`` (``window_from..window_to``, ``W`` days).
  ``MetricValue.history`` holds the metric's value *per attribution day* for the days before today
  (oldest first, the last entry is yesterday; ``None`` for a day without population).
- A snapshot carries no per-day population, so the model spreads the population evenly:
  ``p = d / W`` per day, and a day with daily value ``h`` holds ``h * p`` bad outcomes.
- A day older than the history counts at the window's average; a day without population as 0.
- Tomorrow the window moves one day: attribution day ``F`` leaves (its bad outcomes with it) and day
  ``T + 1`` enters. Days that enter and are already in the past (the lag: ``odr`` looks 14 days back, so
  the next 14 days to enter are known today) bring their own daily value; days still in the future
  enter at the *current daily rate* ``r``, the mean of the last :data:`RATE_DAYS` daily values.
- After ``k`` days the projected value is ``(n - p*left_k + p*entered_k) / d``; the forecast is the first
  ``k`` in ``1..N`` whose projection is past the target (``>=`` for "below" metrics, ``<`` for "above").

So a burst of defects about to leave the window lowers the forecast, and a bad recent week raises it,
which a straight-line extrapolation of the windowed value would get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..snapshot import MetricValue

RATE_DAYS = 7  # the "current daily rate" is the mean of this many most recent daily values


@dataclass(frozen=True, slots=True)
class Forecast:
    day: int | None  # days from now until the projected breach, None when none within the horizon
    daily_rate: float
    projected: float  # the projected value on the breach day (or at the horizon)


def forecast_breach(metric: MetricValue, horizon: int, today: int) -> Forecast | None:
    """Project ``metric`` ``horizon`` days ahead; ``None`` when it cannot be judged (no target, no
    population, no history)."""
    if metric.target is None or metric.direction not in ("below", "above") or not metric.denominator:
        return None
    if metric.numerator is None:
        return None
    start = today - len(metric.history)
    values = {start + i: v for i, v in enumerate(metric.history)}
    daily = {day: v for day, v in values.items() if v is not None}
    recent = [daily[day] for day in range(today - RATE_DAYS, today) if day in daily]
    if not recent:
        return None
    rate = sum(recent) / len(recent)
    width = metric.window_to - metric.window_from + 1
    per_day = metric.denominator / width
    target = float(Decimal(metric.target))
    bad = float(metric.numerator)
    average = bad / metric.denominator
    projected = bad / metric.denominator
    for k in range(1, horizon + 1):
        leaving = metric.window_from + k - 1
        entering = metric.window_to + k
        # a day before the history's start counts at the window's average, a day without population as 0
        bad -= per_day * ((values[leaving] or 0.0) if leaving in values else average)
        bad += per_day * (daily[entering] if entering < today and entering in daily else rate)
        projected = max(0.0, bad) / metric.denominator
        breached = projected >= target if metric.direction == "below" else projected < target
        if breached:
            return Forecast(k, rate, projected)
    return Forecast(None, rate, projected)
