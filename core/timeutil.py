"""Instants as integer microseconds, and calendar days in an account's time zone.

The engine keeps every instant as an ``int`` of microseconds since the Unix epoch: exact (sub-second
timestamps and 24 h / 48 h boundaries compare without float error), compact in arrays, and cheap to
compare. Days are proleptic Gregorian ordinals (``date.toordinal()``) of the *local* calendar day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

US_PER_SECOND = 1_000_000
US_PER_HOUR = 3_600 * US_PER_SECOND
US_PER_DAY = 24 * US_PER_HOUR
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Every zone in use today has offsets and transitions on quarter hours, so the local day of an
# instant is constant within a quarter-hour slot: the day cache is keyed by slot.
_SLOT_US = 15 * 60 * US_PER_SECOND


# The instants an event may carry: [EARLIEST_US, LATEST_US). Python's dates end at the years 1 and
# 9999, and an instant inside them can still fall outside once it is the local day of an account west
# or east of UTC, or a deadline a year after it; centuries of margin on both sides keep every later
# conversion safe. Up to 2106 (2**32 s) parse_instant's float arithmetic is also exact.
EARLIEST_US = -2_208_988_800 * US_PER_SECOND  # 1900-01-01T00:00:00Z
LATEST_US = 4_102_444_800 * US_PER_SECOND  # 2100-01-01T00:00:00Z


class TimeError(ValueError):
    """An instant or a time zone that cannot be read."""


def in_range(us: int, text: str) -> int:
    """``us`` itself if it is an instant an event may carry, else a :class:`TimeError` naming ``text``."""
    if EARLIEST_US <= us < LATEST_US:
        return us
    raise TimeError(f"out of range (1900-01-01 to 2099-12-31 UTC): {text!r}")


def parse_instant(text: str) -> int:
    """ISO-8601 instant with an offset or ``Z`` -> microseconds since the epoch.

    A timestamp without an offset is rejected: a naive time is ambiguous across the accounts'
    time zones, and guessing would silently move orders between days. So is one outside
    [``EARLIEST_US``, ``LATEST_US``), which would overflow the engine's date arithmetic later.
    """
    try:
        dt = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        try:
            dt = datetime.fromisoformat(text.strip())
        except (AttributeError, TypeError, ValueError):
            raise TimeError(f"not an ISO-8601 instant: {text!r}") from None
    if dt.tzinfo is None:
        raise TimeError(f"instant without a time zone offset: {text!r}")
    # timestamp() is a float of seconds; its error is below 0.25 us for any instant in range, so
    # rounding the product recovers the exact microsecond (and is 3x faster than timedelta arithmetic
    # on this hot path).
    us = round(dt.timestamp() * 1e6)
    return us if EARLIEST_US <= us < LATEST_US else in_range(us, text)


def to_us(dt: datetime) -> int:
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def from_us(us: int, tz: tzinfo = UTC) -> datetime:
    return (EPOCH + timedelta(microseconds=us)).astimezone(tz)


def format_instant(us: int) -> str:
    """Microseconds -> ISO-8601 in UTC with ``Z``; whole seconds drop the fraction."""
    dt = from_us(us)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        text += f".{dt.microsecond:06d}"
    return text + "Z"


def load_zone(name: str) -> tzinfo:
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(f"unknown time zone: {name!r} (use an IANA name such as Europe/Berlin)") from None


class DayClock:
    """Maps instants to local calendar days of one time zone, and days back to instants."""

    __slots__ = ("_day_of_slot", "_start_of_day", "name", "zone")

    def __init__(self, name: str = "UTC") -> None:
        self.name = name
        self.zone = load_zone(name)
        self._day_of_slot: dict[int, int] = {}
        self._start_of_day: dict[int, int] = {}

    def day(self, us: int) -> int:
        slot = us // _SLOT_US
        day = self._day_of_slot.get(slot)
        if day is None:
            day = from_us(slot * _SLOT_US, self.zone).toordinal()
            self._day_of_slot[slot] = day
        return day

    def start(self, day: int) -> int:
        """The first instant of local ``day`` (midnight, or the first valid time after a gap)."""
        us = self._start_of_day.get(day)
        if us is None:
            local = datetime.combine(date.fromordinal(day), time(0), tzinfo=self.zone)
            us = to_us(local)
            # A DST gap at midnight moves the wall time forward; step back to the true start.
            while self.day(us - _SLOT_US) == day:
                us -= _SLOT_US
            while self.day(us) < day:
                us += _SLOT_US
            self._start_of_day[day] = us
        return us


def local_minute(us: int, zone: tzinfo) -> str:
    """An instant as an operator reads it in ``zone``: ``2026-10-03 14:49 CEST`` (to the minute, rounded
    down: a deadline shown a minute early is still met)."""
    return from_us(us, zone).strftime("%Y-%m-%d %H:%M %Z")


def iso_day(day: int) -> str:
    return date.fromordinal(day).isoformat()


def human_duration(us: int) -> str:
    """``93 * 60 s`` -> ``"1 h 33 m"``; days for long spans. For reasons and deadlines shown to people."""
    minutes = abs(us) // (60 * US_PER_SECOND)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} m" if mins else f"{hours} h"
    return f"{mins} m"
