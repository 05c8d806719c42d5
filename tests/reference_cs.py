"""A brute-force reference of METRICS.md section 6 (weekly customer-service figures, feedback score).

Written from the contract's text alone, never from the engine, so a difference is a real bug: keep the
events with ``ts <= at``, drop repeated ``(account, event_id)`` keeping the first in list order, then for
every week, thread, message and order look at all of its events sorted by ``ts`` and decide from scratch.
Counts are ``int``, means are ``Fraction``; windows, thresholds and the number of weeks come from the
:class:`Profile`.

Readings where the text leaves room (chosen by the lead; the engine follows the same):

- a message exists from its earliest ``message_received`` by ts; replies, dismissals and ``cs_survey``
  answers of a message that never arrived are orphans and count nowhere;
- ``cs_rating``: per message only the latest answer by ts counts, in the week of that answer's ts;
- ``weekly_avg_response_hours``: hours from receipt to the first reply, over the messages received that
  week, replied (by ``at``) and not dismissed;
- ``first_contact_resolution``: dismissed messages ("no response needed") are no contact and play no
  part. A thread is the message's ``order_id``, or its ``ref`` without one (the order need not exist).
  Per week, the thread's earliest message received that week is judged: with no reply it is left out
  while ``at < received + 72 h`` and counts as not resolved after that; with a first reply ``r`` and
  ``at < r + 72 h`` it is left out (pending); otherwise it is resolved unless another message of the
  thread (any week) was received in ``(r, r + 72 h]``;
- feedback score: an order exists from its ``order_placed``; its latest ``feedback`` by ts counts unless a
  ``feedback_removed`` of the order has ts >= that feedback's ts; rating 4-5 is positive, 1-3 counts in
  the denominator only; it is attributed to the local day of the feedback's own ts, and an ``N``-day
  window covers days ``D-N+1 .. D``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from sellerpulse.core.events import Event
from sellerpulse.core.profile import Profile, builtin_profile

US_PER_HOUR = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LIFETIME_FROM = None  # a lifetime window has no first day (report JSON: "from": null)


def local_date(us: int, zone_name: str) -> date:
    """The calendar date of instant ``us`` in ``zone_name``, straight from zoneinfo."""
    zone = UTC if zone_name.upper() == "UTC" else ZoneInfo(zone_name)
    return (_EPOCH + timedelta(microseconds=us)).astimezone(zone).date()


@dataclass
class _Message:
    received: Event
    replies: list[Event] = field(default_factory=list)
    dismissals: list[Event] = field(default_factory=list)
    surveys: list[Event] = field(default_factory=list)

    @property
    def thread(self) -> str:
        return self.received.order_id or self.received.ref

    def first_reply(self) -> int | None:
        return min((e.ts for e in self.replies), default=None)


@dataclass
class _Account:
    messages: dict[str, _Message] = field(default_factory=dict)
    feedback: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    removals: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    placed: set[str] = field(default_factory=set)


def _build(events: list[Event], at_us: int) -> dict[str, _Account]:
    seen: set[tuple[str, str]] = set()
    kept: list[Event] = []
    for event in events:
        if event.ts > at_us:
            continue
        if event.event_id:
            key = (event.account, event.event_id)
            if key in seen:
                continue
            seen.add(key)
        kept.append(event)

    accounts: dict[str, _Account] = defaultdict(_Account)
    for event in sorted(kept, key=lambda e: e.ts):  # stable: list order breaks ties
        acc = accounts[event.account]
        if event.kind == "message_received" and event.ref not in acc.messages:
            acc.messages[event.ref] = _Message(event)
        elif event.kind == "order_placed":
            acc.placed.add(event.order_id)
        elif event.kind == "feedback":
            acc.feedback[event.order_id].append(event)
        elif event.kind == "feedback_removed":
            acc.removals[event.order_id].append(event)
    for event in kept:
        message = accounts[event.account].messages.get(event.ref)
        if message is None:
            continue  # not a message follow-up, or an orphan
        if event.kind == "message_replied":
            message.replies.append(event)
        elif event.kind == "message_dismissed":
            message.dismissals.append(event)
        elif event.kind == "cs_survey":
            message.surveys.append(event)
    return accounts


def _figure(numerator: int | None, denominator: int, value: Fraction | None, week, partial) -> dict:
    return {
        "week": {"from": week[0].isoformat(), "to": week[1].isoformat()},
        "value": None if value is None else float(value),
        "numerator": numerator,
        "denominator": denominator,
        "status": "info" if denominator else "no_data",
        "partial": partial,
    }


def _weeks(at_us: int, zone: str, weeks_back: int) -> list[tuple[date, date]]:
    """The ``weeks_back`` complete weeks and the current one, oldest first, Monday..Sunday."""
    today = local_date(at_us, zone)
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=k) for k in range(weeks_back, -1, -1)]
    return [(start, start + timedelta(days=6)) for start in starts]


def _weekly(profile: Profile, acc: _Account, at: int, zone: str) -> dict[str, list[dict]]:
    weeks = _weeks(at, zone, profile.weeks_back)
    out: dict[str, list[dict]] = {}
    threads: dict[str, list[_Message]] = defaultdict(list)
    for message in acc.messages.values():
        threads[message.thread].append(message)
    for metric_id, spec in profile.weekly.items():
        rows = []
        for index, week in enumerate(weeks):
            partial = index == len(weeks) - 1

            def in_week(us: int, week=week) -> bool:
                return week[0] <= local_date(us, zone) <= week[1]

            if spec.rule == "cs_rating":
                n = d = 0
                for message in acc.messages.values():
                    if message.surveys:
                        latest = max(message.surveys, key=lambda e: e.ts)
                        if in_week(latest.ts):
                            d += 1
                            n += latest.outcome == "yes"
                rows.append(_figure(n, d, Fraction(n, d) if d else None, week, partial))
            elif spec.rule == "response_hours":
                total = d = 0
                for message in acc.messages.values():
                    reply = message.first_reply()
                    if message.dismissals or reply is None or not in_week(message.received.ts):
                        continue
                    d += 1
                    total += reply - message.received.ts
                value = Fraction(total, d * US_PER_HOUR) if d else None
                rows.append(_figure(None, d, value, week, partial))
            elif spec.rule == "first_contact_resolution":
                window = (spec.threshold_hours or 0) * US_PER_HOUR
                n = d = 0
                for all_messages in threads.values():
                    messages = [m for m in all_messages if not m.dismissals]
                    this_week = [m for m in messages if in_week(m.received.ts)]
                    if not this_week:
                        continue
                    first = min(this_week, key=lambda m: m.received.ts)
                    reply = first.first_reply()
                    if reply is None:
                        if at >= first.received.ts + window:
                            d += 1  # unanswered for 72 h: not resolved
                        continue
                    if at < reply + window:
                        continue  # its 72 h have not passed: pending
                    d += 1
                    n += not any(reply < m.received.ts <= reply + window for m in messages)
                rows.append(_figure(n, d, Fraction(n, d) if d else None, week, partial))
            else:
                raise ValueError(f"unknown weekly rule {spec.rule!r}")
        out[metric_id] = rows
    return out


def _feedback_scores(profile: Profile, acc: _Account, at: int, zone: str) -> dict[str, dict]:
    counted: list[tuple[date, bool]] = []  # (local day of the counted feedback, positive)
    for order_id, feedback in acc.feedback.items():
        if order_id not in acc.placed:
            continue  # orphan
        latest = max(feedback, key=lambda e: e.ts)
        if any(r.ts >= latest.ts for r in acc.removals.get(order_id, [])):
            continue
        counted.append((local_date(latest.ts, zone), latest.rating >= 4))
    today = local_date(at, zone)
    out = {}
    for metric_id, spec in profile.metrics.items():
        if spec.rule != "feedback_score":
            continue
        first = date.min if spec.lifetime else today - timedelta(days=spec.window_days - 1)
        inside = [positive for day, positive in counted if first <= day <= today]
        n, d = sum(inside), len(inside)
        out[metric_id] = {
            "value": float(Fraction(n, d)) if d else None,
            "numerator": n,
            "denominator": d,
            "status": "info" if d else "no_data",
            "window": {
                "from": LIFETIME_FROM if spec.lifetime else first.isoformat(),
                "to": today.isoformat(),
            },
        }
    return out


def reference_cs(
    events: list[Event],
    at_us: int,
    timezone: str = "UTC",
    account_timezones: dict[str, str] | None = None,
    profile: Profile | None = None,
) -> dict[str, dict[str, Any]]:
    """``{account: {"metrics": {feedback_score_*: {...}}, "weekly": {id: [9 weeks]}}}`` as of ``at_us``.

    The shape is the engine's ``snapshot(at, weekly=True).to_json()["accounts"]`` restricted to the
    section 6 figures: per feedback window ``value, numerator, denominator, status, window``; per week
    ``week, value, numerator, denominator, status, partial``.
    """
    profile = profile or builtin_profile("amazon")
    zones = account_timezones or {}
    report = {}
    for name, acc in sorted(_build(events, at_us).items()):
        zone = zones.get(name, timezone)
        report[name] = {
            "metrics": _feedback_scores(profile, acc, at_us, zone),
            "weekly": _weekly(profile, acc, at_us, zone),
        }
    return report
