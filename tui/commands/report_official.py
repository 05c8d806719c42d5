"""``sellerpulse report --account-health [ACCOUNT=]FILE``: Amazon's numbers beside ours.

Reads downloaded Account Health reports (``GET_V2_SELLER_PERFORMANCE_REPORT`` JSON), puts each of their
metrics beside ours over Amazon's range (:mod:`sellerpulse.core.official_compare`) and adds the result
to the report: a table section "Amazon's numbers beside ours", and in JSON ``metrics.X.amazon`` (per
marketplace) plus ``account_health`` (every record as read, and the sections rejected). Rejected
sections are also listed on stderr with their path, as rejected rows are.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Rejection
from sellerpulse.core.official import read_account_health_file
from sellerpulse.core.official_compare import (
    AMAZON_ONLY,
    DIFFERS,
    Comparison,
    compare,
    format_counts,
    format_difference,
    format_rate,
    orders_behind,
)
from sellerpulse.core.official_records import AccountHealth, DateRange
from sellerpulse.core.textsafe import clean
from sellerpulse.core.timeutil import from_us

BEHIND_LISTED = 10  # order ids listed in the table per metric (the JSON lists up to BEHIND_KEPT)
BEHIND_KEPT = 1000


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--account-health", action="append", default=[], metavar="[ACCOUNT=]FILE",
        help="Amazon's Account Health report (GET_V2_SELLER_PERFORMANCE_REPORT JSON) of ACCOUNT (default: "
        "the one account read) to show beside ours; repeatable",
    )  # fmt: skip


@dataclass
class Beside:
    """What the ``--account-health`` files gave, compared with the engine's numbers."""

    records: list[AccountHealth] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    # per comparison that differs, the order ids behind our figure over Amazon's days
    behind: list[list[str]] = field(default_factory=list)

    def add_json(self, report: dict[str, Any]) -> None:
        """``metrics.X.amazon`` of each compared metric, and ``account_health`` (records, rejected)."""
        if not self.records and not self.rejections:
            return
        for found, behind in zip(self.comparisons, self.behind, strict=True):
            account = report["accounts"].get(found.account)
            if account is not None and found.metric_id in account["metrics"]:
                amazon = account["metrics"][found.metric_id].setdefault("amazon", {})
                amazon[found.marketplace_id] = found.to_json()
                amazon[found.marketplace_id]["ours_behind"] = behind[:BEHIND_KEPT]
        report["account_health"] = {
            "records": [record.to_json() for record in self.records],
            "rejected": [
                {"source": r.source, "position": r.position, "reason": r.reason} for r in self.rejections
            ],
        }

    def table(self) -> str:
        """The section after the report's table (empty when no file was given)."""
        lines: list[str] = []
        for record in self.records:
            pairs = [(c, b) for c, b in zip(self.comparisons, self.behind, strict=True) if _of(c, record)]
            lines.extend(["", *_record_lines(record, pairs)])
        if self.rejections:
            lines.extend(["", f"Account Health sections rejected: {len(self.rejections)}"])
            lines.extend(f"  {clean(str(r))}" for r in self.rejections)
        return "\n".join(lines) + "\n" if lines else ""


def beside(specs: list[str], engine: Engine, at: int, saved: Sequence[AccountHealth] = ()) -> Beside:
    """Read every ``[ACCOUNT=]FILE`` and compare, with the records a state file ``saved`` (a file
    given replaces the saved record of its account and marketplace); rejected sections are printed on
    stderr. Raises ValueError for a command line to fix, OSError for a file that cannot be read."""
    out = Beside(records=list(saved))
    for spec in specs:
        account, path = _split(spec, engine)
        parsed = read_account_health_file(path, account)
        for rejection in parsed.rejections:
            print(f"rejected {clean(str(rejection))}", file=sys.stderr)
        given = {(r.account, r.marketplace_id) for r in parsed.records}
        out.records = [r for r in out.records if (r.account, r.marketplace_id) not in given] + parsed.records
        out.rejections.extend(parsed.rejections)
    out.comparisons = compare(engine, out.records, at)
    out.behind = [
        [bad.order_id or bad.key for bad in orders_behind(engine, found, at)]
        if found.verdict == DIFFERS
        else []
        for found in out.comparisons
    ]
    return out


def _split(spec: str, engine: Engine) -> tuple[str, str]:
    account, sep, path = spec.partition("=")
    if sep and account and not Path(spec).exists():
        return account, path
    if len(engine.accounts) != 1:
        held = ", ".join(engine.accounts) or "none"
        raise ValueError(
            f"--account-health {spec}: say whose report it is as ACCOUNT=FILE (accounts read: {held})"
        )
    return engine.accounts[0], spec


def _of(found: Comparison, record: AccountHealth) -> bool:
    return (found.account, found.marketplace_id) == (record.account, record.marketplace_id)


def _record_lines(record: AccountHealth, pairs: list[tuple[Comparison, list[str]]]) -> list[str]:
    standing = ", ".join(
        text
        for text in (
            f"account {record.account_status}" if record.account_status else "",
            f"health rating {record.rating}" if record.rating else "",
        )
        if text
    )
    title = f"Amazon's numbers beside ours: {record.account} in {record.marketplace_id}"
    lines = [clean(title + (f" ({standing})" if standing else ""))]
    header = ("metric", "amazon", "n/d", "ours", "n/d", "difference", "verdict", "amazon's days")
    rows = [
        (
            found.metric_id or found.theirs.key,
            format_rate(found.theirs.rate),
            format_counts(found.theirs.numerator, found.theirs.denominator),
            "-" if found.ours is None else format_rate(found.ours.value),
            "-" if found.ours is None else format_counts(found.ours.numerator, found.ours.denominator),
            format_difference(found.difference),
            found.verdict,
            _days(found.theirs.dates),
        )
        for found, _ in pairs
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for (found, behind), row in zip(pairs, rows, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if found.verdict == AMAZON_ONLY:
            lines.append(f"  {found.name}: sellerpulse does not compute it")
        lines.extend(f"  {clean(line)}" for line in found.explanation)
        if behind:
            more = f" and {len(behind) - BEHIND_LISTED} more" if len(behind) > BEHIND_LISTED else ""
            listed = ", ".join(behind[:BEHIND_LISTED])
            lines.append(clean(f"  ours over Amazon's days, to find in Seller Central: {listed}{more}"))
    if record.violations:
        listed = ", ".join(
            f"{v.key} {v.count}" + (f" ({v.status})" if v.status else "") for v in record.violations
        )
        lines.append(clean(f"policy violations (Amazon): {listed}"))
    if record.warnings:
        lines.append(
            clean(
                "warnings (Amazon): "
                + ", ".join(f"{kind} {status}".strip() for kind, status in record.warnings)
            )
        )
    return lines


def _days(dates: DateRange) -> str:
    return f"{from_us(dates.start):%Y-%m-%d}..{from_us(dates.end):%Y-%m-%d}"
