"""Scenarios: how the simulated seller's trouble grows toward the present.

A scenario names one concern (late shipments, a storm of negative feedback, slow replies, seller
cancellations, buyer cases the seller leaves to the marketplace, a carrier delivering late). Its pressure
is 0 until ``ramp_days`` before the scenario's ``peak_at`` instant (the demo's "now"), rises linearly to
1 at ``peak_at`` and stays there, so the relevant metric walks from healthy through warning into breach
over the last days of the backfill and stays in trouble while the demo runs live.
"""

from __future__ import annotations

from sellerpulse.core.timeutil import US_PER_DAY

# scenario name -> the concern it presses on ("" for none)
SCENARIOS: dict[str, str] = {
    "healthy": "",
    "late-shipping": "shipping",
    "feedback-storm": "feedback",
    "slow-replies": "replies",
    "seller-cancels": "cancels",
    "unresolved-cases": "cases",
    "late-deliveries": "delivery",
}
RAMP_DAYS = 14


class Scenario:
    """The pressure of one scenario on one concern at an instant, in 0..1."""

    __slots__ = ("concern", "name", "peak_at", "ramp_start", "ramp_us")

    def __init__(self, name: str, peak_at: int, ramp_days: int = RAMP_DAYS) -> None:
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r} (one of {', '.join(SCENARIOS)})")
        self.name = name
        self.concern = SCENARIOS[name]
        self.peak_at = peak_at
        self.ramp_us = ramp_days * US_PER_DAY
        self.ramp_start = peak_at - self.ramp_us

    def pressure(self, concern: str, ts: int) -> float:
        if concern != self.concern or ts <= self.ramp_start:
            return 0.0
        if ts >= self.peak_at:
            return 1.0
        return (ts - self.ramp_start) / self.ramp_us
