"""Amazon's Account Health records handed over in batches: the runtime keeps the latest per account and
marketplace, and a checkpoint keeps them in the state file across a restart."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

from official_fixtures import CA, US, marketplace, report
from sellerpulse.core.checkpoint import Checkpointer
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.official import parse_account_health
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.sources import Batch, Source
from sellerpulse.core.state_store import StateStore


class ReportFiles(Source):
    """Reads Account Health report files, one batch each, as a live source would hand them over."""

    type_name = "report-files"

    def __init__(self, documents: list[tuple[str, dict]], events: list[Event] = ()) -> None:
        super().__init__("reports", {})
        self.documents = documents
        self.events = list(events)

    async def batches(self, follow: bool) -> AsyncIterator[Batch]:
        if self.events:
            yield Batch(self.events)
        for account, document in self.documents:
            parsed = parse_account_health(json.dumps(document), account, self.name)
            yield Batch(rejections=parsed.rejections, account_health=parsed.records)


def rated(rating: str, marketplace_id: str = US) -> dict:
    return marketplace(marketplace_id, accountHealthRating={"ahrStatus": rating})


DOCUMENTS = [
    ("acme", report(rated("GOOD"))),
    ("bolt", report(rated("GOOD"))),
    ("acme", report(rated("AT_RISK"), rated("GOOD", CA))),
]


def test_the_runtime_keeps_the_latest_record_of_each_account_and_marketplace():
    runtime = Runtime(Engine(), [ReportFiles(DOCUMENTS)])
    runtime.run_once()
    held = [(r.account, r.marketplace_id, r.rating) for r in runtime.account_health()]
    assert held == [("acme", CA, "GOOD"), ("acme", US, "AT_RISK"), ("bolt", US, "GOOD")]


def run_checkpointed(state: Path, documents: list[tuple[str, dict]], events: list[Event] = ()) -> Runtime:
    runtime = Runtime(Engine(), [ReportFiles(documents, events)])
    store = StateStore(state)
    checkpointer = Checkpointer(runtime, store, 0.01)
    checkpointer.restore_positions()
    checkpointer.start()
    assert checkpointer.ready.wait(10) and runtime.finished.wait(10)
    checkpointer.stop()
    store.close()
    return runtime


def test_a_restart_has_the_saved_records_before_any_report_is_read(tmp_path: Path):
    state = tmp_path / "state.sqlite3"
    first = run_checkpointed(state, DOCUMENTS)
    again = run_checkpointed(state, [])  # a source with nothing new yet
    assert again.account_health() == first.account_health()
    assert [(r.account, r.rating) for r in again.account_health()] == [
        ("acme", "GOOD"),
        ("acme", "AT_RISK"),
        ("bolt", "GOOD"),
    ]
    assert again.account_health()[1].metric("lsr").denominator == 120


def test_an_unreadable_saved_record_is_dropped_and_the_others_kept(tmp_path: Path, caplog):
    state = tmp_path / "state.sqlite3"
    run_checkpointed(state, DOCUMENTS)
    with sqlite3.connect(state) as db:
        (value,) = db.execute("SELECT value FROM state_meta WHERE key = 'account_health'").fetchone()
        saved = json.loads(value)
        del saved[0]["metrics"]
        db.execute("UPDATE state_meta SET value = ? WHERE key = 'account_health'", (json.dumps(saved),))
    again = run_checkpointed(state, [])
    assert [(r.account, r.marketplace_id) for r in again.account_health()] == [("acme", US), ("bolt", US)]
    assert "a saved Account Health record is unreadable and dropped: KeyError: 'metrics'" in caplog.text
