"""A batch counts every rejected row but keeps only a bounded sample of them, for every source.

A 60 MiB answer of ``[{},{},...]`` is 20 million rejected rows; keeping each with its position and reason
cost 6 GB. These tests hold the bookkeeping to a count plus the first and the latest rejections, and show
that a source (the CSV source here, through the real runtime helpers) reports the full count while
holding a sample.
"""

from __future__ import annotations

from pathlib import Path

from sellerpulse.core.events import Rejection
from sellerpulse.core.sources import REJECTIONS_KEPT, Batch, Rejections
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import make_source, read_source


def rejection(number: int) -> Rejection:
    return Rejection("src", f"line {number}", "missing kind")


def test_every_rejection_is_counted_and_the_first_and_latest_are_kept():
    rejections = Rejections(kept=10)
    for number in range(1, 1001):
        rejections.append(rejection(number))
    assert len(rejections) == 1000 and rejections.omitted == 990
    kept = [r.position for r in rejections]
    assert kept == [f"line {n}" for n in (1, 2, 3, 4, 5, 996, 997, 998, 999, 1000)]
    assert rejections[0].position == "line 1" and rejections[-1].position == "line 1000"
    assert "990 more not kept" in repr(rejections)


def test_a_few_rejections_behave_as_the_list_of_them():
    few = [rejection(n) for n in range(3)]
    rejections = Rejections(few)
    assert rejections == few and len(rejections) == 3 and list(rejections) == few
    assert rejections[1:] == few[1:]
    assert Rejections() == [] and not Rejections()
    assert Batch([], few).rejections == few  # a list given to a batch becomes Rejections


def test_extending_by_another_batch_keeps_its_full_count():
    big = Rejections(rejection(n) for n in range(5000))
    merged = Batch()
    merged.rejections.extend(big)
    merged.rejections.extend([rejection(9999)])
    assert len(merged.rejections) == 5001
    assert len(merged) == 5001
    assert sum(1 for _ in merged.rejections) <= REJECTIONS_KEPT
    assert merged.rejections[-1].position == "line 9999"


def test_a_csv_source_rejecting_thousands_of_rows_counts_them_and_keeps_a_sample(tmp_path: Path):
    path = tmp_path / "events.csv"
    rows = "".join(f"2026-10-01T08:00:00Z,nonsense-{n},O{n}\n" for n in range(5000))
    path.write_text(
        "ts,kind,order_id\n" + rows + "2026-10-01T09:00:00Z,order_placed,GOOD\n", encoding="utf-8"
    )
    source = make_source(CsvSource, {"path": str(path)}, name="feed")
    batch = read_source(source)
    assert [e.order_id for e in batch.events] == ["GOOD"]
    assert len(batch.rejections) == 5000 == source.health().rejected
    kept = list(iter(batch.rejections))
    assert len(kept) <= REJECTIONS_KEPT
    assert kept[0].position == "line 2" and kept[-1].position == "line 5001"
    assert len(source.recent_rejections()) <= source.recent_kept
