"""Amazon's numbers beside ours: each metric of an Account Health report against sellerpulse's own
measure of the same metric over Amazon's reporting date range.

Amazon computes its figure over a range of its choosing (ODR: 60 days ending 14 days ago, ...), which is
rarely our metric's window as of now; comparing with our windowed value would show differences that are
only the dates. So ours is measured again over the days of Amazon's range (:meth:`Engine.range_value`), and where
the two still differ, the comparison says what could explain it: the counts on each side (orders, bad
orders, and for the ODR its claims, chargebacks and negative feedback), whether our events cover the
whole range, and the time zone of our days. Amazon's report names no orders, so the orders behind the
difference cannot be named from it; ``report`` lists ours in the range (:func:`orders_behind`) to check
against Seller Central.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .engine import BadOutcome, Engine
from .official import rate_tolerance
from .official_records import COUNTERPARTS, AccountHealth, OfficialMetric
from .profile import MetricSpec, Profile, plural_noun
from .snapshot import RangeValue
from .timeutil import format_instant, from_us, iso_day

# what a comparison found: the same figure, a different one, one that cannot be compared (Amazon's
# unit is unclear), or one of Amazon's metrics sellerpulse does not compute
SAME, DIFFERS, NOT_COMPARABLE, AMAZON_ONLY = "same", "differs", "not comparable", "amazon only"

# the ODR's parts in the report, and the rule of our metric counting each
_ODR_PARTS = (("claims", "claim"), ("chargebacks", "chargeback"), ("negativeFeedback", "negative_feedback"))
_PART_WORDS = {
    "claims": "A-to-z claims",
    "chargebacks": "chargebacks",
    "negativeFeedback": "negative feedback",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """One of Amazon's metrics beside ours over Amazon's range. ``metric_id`` is our metric it belongs
    beside (None when we have none: ``verdict`` is ``amazon only``); ``difference`` is ours minus
    theirs as a fraction (None unless both are known); ``explanation`` is what could explain a
    difference, one sentence a line (empty when they agree)."""

    account: str
    marketplace_id: str
    theirs: OfficialMetric
    metric_id: str | None
    ours: RangeValue | None
    verdict: str
    difference: float | None
    explanation: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.theirs.name

    def to_json(self) -> dict[str, Any]:
        """The comparison as JSON (``report``'s ``metrics.X.amazon``; :meth:`from_json` reads it back,
        for a view that gets it over the wire)."""
        ours = self.ours
        return {
            "account": self.account,
            "marketplace_id": self.marketplace_id,
            "metric_id": self.metric_id,
            "theirs": self.theirs.to_json(),
            "ours": None
            if ours is None
            else {
                "value": ours.value,
                "numerator": ours.numerator,
                "denominator": ours.denominator,
                "days": {"from": iso_day(ours.first_day), "to": iso_day(ours.last_day)},
                "held": None
                if ours.held_from is None or ours.held_to is None
                else {"from": iso_day(ours.held_from), "to": iso_day(ours.held_to)},
            },
            "verdict": self.verdict,
            "difference": self.difference,
            "explanation": list(self.explanation),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Comparison:
        ours, value = data["ours"], None
        if ours is not None:
            held = ours["held"] or {"from": None, "to": None}
            value = RangeValue(
                data["metric_id"],
                ours["value"],
                ours["numerator"],
                ours["denominator"],
                _ordinal(ours["days"]["from"]),
                _ordinal(ours["days"]["to"]),
                _ordinal(held["from"]),
                _ordinal(held["to"]),
            )
        return cls(
            account=data["account"],
            marketplace_id=data["marketplace_id"],
            theirs=OfficialMetric.from_json(data["theirs"]),
            metric_id=data["metric_id"],
            ours=value,
            verdict=data["verdict"],
            difference=data["difference"],
            explanation=tuple(data["explanation"]),
        )


def _ordinal(day: str | None) -> int | None:
    return None if day is None else date.fromisoformat(day).toordinal()


def compare(engine: Engine, records: Iterable[AccountHealth], at: int) -> list[Comparison]:
    """Every metric of every record beside ours as of ``at``, in the records' order."""
    return [
        compare_metric(engine, record.account, record.marketplace_id, theirs, at)
        for record in records
        for theirs in record.metrics
    ]


def compare_metric(
    engine: Engine, account: str, marketplace_id: str, theirs: OfficialMetric, at: int
) -> Comparison:
    """One of Amazon's metrics beside ours (see the module's docstring)."""
    profile = engine.account_profiles.get(account, engine.profile)
    spec = counterpart(profile, theirs)
    if spec is None:
        return Comparison(account, marketplace_id, theirs, None, None, AMAZON_ONLY, None)
    ours = engine.range_value(account, spec.id, *amazon_days(theirs), at)
    difference = None
    if ours is not None and ours.value is not None and theirs.rate is not None:
        difference = float(ours.value) - theirs.rate
    verdict = _verdict(theirs, ours, difference)
    explanation = () if verdict == SAME else _explain(engine, account, spec, theirs, ours, at)
    return Comparison(account, marketplace_id, theirs, spec.id, ours, verdict, difference, explanation)


def counterpart(profile: Profile, theirs: OfficialMetric) -> MetricSpec | None:
    """Our metric measuring what Amazon's does (same rule and channel); of several (the 10- and 30-day
    late shipment rates), the one whose window is nearest the length of Amazon's range, then the first."""
    rule_channel = COUNTERPARTS.get(theirs.key)
    if rule_channel is None:
        return None
    first, last = amazon_days(theirs)
    days = last - first + 1
    candidates = [m for m in profile.metrics.values() if (m.rule, m.channel) == rule_channel]
    return min(candidates, key=lambda m: abs(m.window_days - days), default=None)


def amazon_days(theirs: OfficialMetric) -> tuple[int, int]:
    """The calendar days Amazon's range names (``2026-09-01T00:00Z..2026-09-10T23:59Z``: 09-01..09-10),
    as the account's local days to measure ours over. In an account's own time zone these days are
    shifted by its offset from UTC; the explanation says so rather than counting part-days."""
    return from_us(theirs.dates.start).toordinal(), from_us(theirs.dates.end).toordinal()


def orders_behind(engine: Engine, comparison: Comparison, at: int) -> list[BadOutcome]:
    """Our bad outcomes (defects, late shipments, ...) attributed to Amazon's range: the orders to find,
    or not, in Seller Central's own list."""
    ours = comparison.ours
    if comparison.metric_id is None or ours is None:
        return []
    return engine.bad_outcomes(comparison.account, comparison.metric_id, at, (ours.first_day, ours.last_day))


def _verdict(theirs: OfficialMetric, ours: RangeValue | None, difference: float | None) -> str:
    if theirs.rate is None:
        return NOT_COMPARABLE
    if ours is None or ours.denominator is None:
        return DIFFERS
    if theirs.numerator is not None and theirs.denominator is not None:
        same = (ours.numerator, ours.denominator) == (theirs.numerator, theirs.denominator)
        return SAME if same else DIFFERS
    return SAME if difference is not None and abs(difference) <= rate_tolerance(theirs.rate) else DIFFERS


def _explain(
    engine: Engine, account: str, spec: MetricSpec, theirs: OfficialMetric, ours: RangeValue | None, at: int
) -> tuple[str, ...]:
    lines: list[str] = []
    if theirs.unit_note:
        lines.append(f"Amazon's rate is not comparable: {theirs.unit_note}")
    amazon_range = f"{format_instant(theirs.dates.start)}..{format_instant(theirs.dates.end)}"
    if ours is None or ours.denominator is None:
        lines.append(f"we hold no events of account {account} in Amazon's range {amazon_range}")
        return tuple(lines)
    population = "shipments" if spec.rule in ("valid_tracking", "on_time_delivery") else "orders"
    if theirs.denominator is not None:
        lines.append(_counts(population, theirs.denominator, ours.denominator))
    if theirs.numerator is not None and ours.numerator is not None:
        their_bad: int | None = theirs.numerator
        our_bad = ours.numerator
        if spec.direction == "above":  # the numerators count the good ones: say the bad ones
            their_bad = None if theirs.denominator is None else theirs.denominator - theirs.numerator
            our_bad = ours.denominator - ours.numerator
        if their_bad is not None:
            lines.append(_counts(plural_noun(spec.bad_noun, 2), their_bad, our_bad))
    for name, count in theirs.components:
        rule = dict(_ODR_PARTS).get(name)
        part = _part(engine, account, rule, spec.channel, theirs, at) if rule else None
        if part is not None:
            lines.append(_counts(_PART_WORDS[name], count, part))
    if not ours.denominator:
        lines.append(f"we hold no {population} in Amazon's range {amazon_range}")
    if ours.held_from is not None and ours.held_from > ours.first_day:
        lines.append(
            f"our {population} of this metric begin on {iso_day(ours.held_from)}, Amazon's range on "
            f"{iso_day(ours.first_day)}: any before that are not in our events"
        )
    if ours.held_to is not None and ours.held_to < ours.last_day:
        lines.append(
            f"our {population} of this metric end on {iso_day(ours.held_to)}, Amazon's range on "
            f"{iso_day(ours.last_day)}: any after that have not reached us"
        )
    zone = engine.account_timezones.get(account, engine.timezone)
    if zone != "UTC":
        lines.append(f"days in {zone} here, UTC at Amazon: orders near midnight at either end may differ")
    return tuple(lines)


def _part(
    engine: Engine, account: str, rule: str, channel: str, theirs: OfficialMetric, at: int
) -> int | None:
    """Our count of one ODR part (claims, ...) in Amazon's range, when the profile has that metric."""
    profile = engine.account_profiles.get(account, engine.profile)
    spec = next((m for m in profile.metrics.values() if (m.rule, m.channel) == (rule, channel)), None)
    if spec is None:
        return None
    value = engine.range_value(account, spec.id, *amazon_days(theirs), at)
    return None if value is None else value.numerator


def _counts(what: str, theirs: int, ours: int | None) -> str:
    if ours is None:
        return f"{what}: Amazon {theirs}, ours unknown"
    if ours == theirs:
        return f"{what}: Amazon {theirs}, ours {ours} (the same)"
    more = "more" if ours > theirs else "fewer"
    return f"{what}: Amazon {theirs}, ours {ours} ({abs(ours - theirs)} {more} here)"


def format_rate(rate: float | int | None) -> str:
    """A rate as the report and dashboard show rates (``1.50 %``), ``-`` when unknown."""
    return "-" if rate is None else f"{rate * 100:.2f} %"


def format_difference(difference: float | None) -> str:
    """Ours minus Amazon's in percentage points (``+0.25 pp``), ``-`` when not comparable."""
    return "-" if difference is None else f"{difference * 100:+.2f} pp"


def format_counts(numerator: int | None, denominator: int | None) -> str:
    """``3/200``, or what is known of it."""
    if numerator is None and denominator is None:
        return "-"
    return f"{'?' if numerator is None else numerator}/{'?' if denominator is None else denominator}"
