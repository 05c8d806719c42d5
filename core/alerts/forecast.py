"""Forecast: will a windowed rate breach within N days at the current daily rate?

``MetricValue.history`` holds the metric's *windowed* value as of the end of each of the days before
today (oldest first), so the forecast first recovers what each attribution day of the current window
contributes, then slides the window forward:

- Notation: the window is ``W`` days wide with lag ``L``; as of day ``j`` it covers attribution days
  ``j-L-W+1 .. j-L``; ``v_j`` is its value (``v_D`` = now, ``n / d``). The model assumes an even daily
  population ``p = d / W`` (a snapshot carries no per-day population).
- When the window moved from day ``j-1`` to ``j``, attribution day ``t = j-L`` entered and ``t-W`` left:
  ``v_j - v_{j-1} = (h_t - h_{t-W}) / W`` where ``h`` is a day's own rate. The days ``t-W`` that left
  over the last ``W`` days are exactly the window as of ``D-W``, taken at its average ``v_{D-W}``, so
  ``h_t = v_{D-W} + W * (v_{t+L} - v_{t+L-1})`` for every day ``t`` of the current window. These sum
  back to ``n`` exactly. It needs ``W`` days of history (``engine.snapshot(history_days=W)``).
- The *current daily rate* ``r`` is the mean ``h`` of the newest :data:`RATE_DAYS` complete days.
- Each day ahead, the oldest attribution day leaves with its own ``h`` (which orders leave the window
  when) and a new day enters at ``r``: after ``k`` days the projected value is
  ``(n - p * sum(h_F .. h_{F+k-1}) + p * k * r) / d``. The forecast is the first ``k <= N`` whose
  projection is past the target (``>=`` for "below" metrics, ``<`` for "above").

So a burst of defects about to leave the window lowers the forecast, and a bad recent week raises it,
which a straight-line extrapolation of the windowed value would get wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..snapshot import MetricValue

RATE_DAYS = 7  # the "current daily rate" is the mean of this many newest complete days


@dataclass(frozen=True, slots=True)
class Forecast:
    day: int | None  # days from now until the projected breach, None when none within the horizon
    daily_rate: float
    projected: float  # the projected value on the breach day (or at the horizon)


def daily_rates(metric: MetricValue, today: int) -> list[float] | None:
    """The reconstructed own rate of each attribution day of the current window, oldest first."""
    width = metric.window_to - metric.window_from + 1
    lag = today - metric.window_to
    if metric.value is None or len(metric.history) < width:
        return None
    values = {today - len(metric.history) + i: v for i, v in enumerate(metric.history)}
    values[today] = float(metric.value)
    base = values.get(today - width)
    if base is None:
        return None
    rates = []
    for day in range(metric.window_from, metric.window_to + 1):
        after, before = values.get(day + lag), values.get(day + lag - 1)
        # a day on which the window had no population changed nothing measurable
        step = 0.0 if after is None or before is None else after - before
        rates.append(base + width * step)
    return rates


def forecast_breach(metric: MetricValue, horizon: int, today: int) -> Forecast | None:
    """Project ``metric`` ``horizon`` days ahead; ``None`` when it cannot be judged (no target, no
    population, not enough history)."""
    if metric.target is None or metric.direction not in ("below", "above") or not metric.denominator:
        return None
    rates = daily_rates(metric, today)
    if rates is None:
        return None
    complete = rates[:-1] if today == metric.window_to else rates  # today's own day is still filling
    recent = complete[-RATE_DAYS:]
    if not recent:
        return None
    rate = max(0.0, sum(recent) / len(recent))
    per_day = metric.denominator / len(rates)
    target = float(Decimal(metric.target))
    amount = float(metric.value) * metric.denominator
    projected = float(metric.value)
    for k in range(1, horizon + 1):
        leaving = rates[k - 1] if k <= len(rates) else rate
        amount += per_day * (rate - leaving)
        projected = max(0.0, amount) / metric.denominator
        if projected >= target if metric.direction == "below" else projected < target:
            return Forecast(k, rate, projected)
    return Forecast(None, rate, projected)
