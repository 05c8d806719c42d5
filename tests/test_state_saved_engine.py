"""The saved engine state: a restart loads it and replays only the journal rows after it.

Everything is checked against a full replay of the same journal (or one clean read of the events):
real SQLite state files, a real runtime following a CSV file, the CLI as a subprocess, SIGKILL.
The history runs for months (evictions, journal compaction), with events arriving weeks late, orphans
(with and without event ids), claims, messages, returns and feedback.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import pickle
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sellerpulse.core import state_store
from sellerpulse.core.checkpoint import (
    Checkpointer,
    encode_events,
    load_saved_engine,
    margin_days,
    replay,
    restore_engine,
)
from sellerpulse.core.engine import Engine, state_file
from sellerpulse.core.engine.hashtable import key_of
from sellerpulse.core.events import FIELDS, Event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.readers import read_event_file
from sellerpulse.core.runtime import Runtime
from sellerpulse.core.state_store import StateStore
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import make_source
from state_fixtures import START, append_events, history, write_events

AT = "2027-03-01T00:00:00Z"


def _line(**fields: object) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        ["" if fields.get(n) is None else fields.get(n) for n in FIELDS]
    )
    return out.getvalue()


def rich_history(days: int, seed: int = 11) -> list[str]:
    """``history`` plus returns, events weeks late, orphans that never find their order (some without an
    event id, which only an exact replay boundary keeps from being held twice), and duplicates."""
    rng = random.Random(seed)
    timed = [
        (parse_instant(line.split(",", 1)[0]), line) for line in history(days, orders_per_day=2, seed=seed)
    ]
    extra: list[tuple[int, str]] = []
    for ts, line in timed:
        fields = next(csv.reader([line]))
        kind, order_id, account = fields[1], fields[2], fields[3]
        if kind == "order_placed" and rng.random() < 0.15:  # a return, answered or not
            ref = f"R-{order_id}"
            asked = ts + rng.randrange(5, 25) * US_PER_DAY
            extra.append((asked, _line(ts=format_instant(asked), kind="return_requested", account=account,
                                       order_id=order_id, ref=ref, event_id=f"{ref}:q")))  # fmt: skip
            if rng.random() < 0.7:
                answer = asked + rng.randrange(80) * US_PER_HOUR
                extra.append((answer, _line(ts=format_instant(answer), kind="return_responded",
                                            account=account, order_id=order_id, ref=ref, outcome="authorized")))  # fmt: skip
    day = START
    for n in range(days // 7):  # orphans: shipments and replies of things never seen, half without ids
        day = START + n * 7 * US_PER_DAY
        event_id = f"ghost-{n}" if n % 2 else ""
        extra.append((day, _line(ts=format_instant(day), kind="order_shipped", account="acme",
                                 order_id=f"GHOST-{n}", event_id=event_id)))  # fmt: skip
        extra.append(
            (day, _line(ts=format_instant(day), kind="message_replied", account="bolt", ref=f"M-X{n}"))
        )
    stream = sorted(timed + extra, key=lambda item: item[0])
    late = [item for item in stream if rng.random() < 0.05]  # these arrive three weeks after their time
    on_time = [item for item in stream if item not in late]
    arrival = sorted(on_time + [(ts + 21 * US_PER_DAY, line) for ts, line in late], key=lambda item: item[0])
    lines = [line for _, line in arrival]
    for index in sorted(rng.sample(range(len(lines)), len(lines) // 50), reverse=True):
        # a row sent again a little later (a source re-reading after a restart): a duplicate by its id,
        # or applied again (idempotent); a held orphan without an id is held twice, as live
        lines.insert(min(len(lines), index + rng.randrange(1, 40)), lines[index])
    return lines


class Running:
    """A runtime following a CSV file, checkpointed to ``state`` (the way ``run`` does it)."""

    def __init__(self, csv_path: Path, state: Path, engine: Engine | None = None) -> None:
        self.csv_path = csv_path
        self.engine = engine or Engine()
        source = make_source(
            CsvSource, {"path": str(csv_path), "follow": True, "poll_interval": 0.01}, name="orders"
        )
        self.runtime = Runtime(self.engine, [source])
        self.store = StateStore(state)
        self.checkpointer = Checkpointer(self.runtime, self.store, 0.01)
        self.checkpointer.restore_positions()
        self.checkpointer.start()

    def caught_up(self, timeout: float = 30.0) -> None:
        size = self.csv_path.stat().st_size
        deadline = time.monotonic() + timeout
        while self.store.saved().positions.get("orders", {}).get("offset") != size:
            assert time.monotonic() < deadline, f"not caught up: {self.runtime.positions()}"
            time.sleep(0.01)

    def stop(self) -> None:
        self.checkpointer.stop()
        self.store.close()


def journal_only(state: Path, copy: Path) -> Path:
    """A copy of ``state`` (through SQLite: its WAL too) without the saved engine state."""
    copy.unlink(missing_ok=True)
    with sqlite3.connect(state) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    source.close()
    target.close()
    store = StateStore(copy)
    store.drop_engine()
    store.close()
    return copy


def full_replay(state: Path, engine: Engine | None = None) -> Engine:
    """The engine the journal alone gives (the saved engine state of a copy of ``state`` dropped)."""
    store = StateStore(journal_only(state, state.with_name("copy-" + state.name)))
    engine = engine or Engine()
    restore_engine(store, engine)
    store.close()
    return engine


def restored(state: Path, engine: Engine | None = None) -> tuple[Engine, int]:
    """The engine the saved state and the journal rows after it give, and the row it was saved at
    (0: it was not used)."""
    store = StateStore(state, readonly=True)
    engine = engine or Engine()
    row = load_saved_engine(store, engine)
    replay(store, engine, after=row)
    store.close()
    return engine, row


def views(engine: Engine, at: int) -> dict:
    """Everything a snapshot, a queue list and a drill-down show, for comparisons number for number."""
    snap = engine.snapshot(at, items=1000, history_days=60, weekly=True).to_json()
    extra = {
        name: {
            "queues": {
                q: [i.to_json() for i in engine.queue_items(name, q, at)] for q in engine.account(name).queues
            },
            "bad": {
                m: [repr(b) for b in engine.bad_outcomes(name, m, at)]
                for m in engine.account(name).profile.metrics
            },
            "held": len(engine.account(name).orders),
        }
        for name in engine.accounts
    }
    return {"snapshot": snap, "extra": extra, "counters": (engine.applied, engine.duplicates)}


def numbers(engine: Engine, at: int) -> dict:
    """:func:`views` without the engine's event counters: a compacted journal holds fewer events."""
    out = views(engine, at)
    del out["counters"]
    return out


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "cfg"),
             "XDG_DATA_HOME": str(cwd / "data"), "XDG_STATE_HOME": str(cwd / "st"), "PYTHONHASHSEED": "random"},
    )  # fmt: skip


def report(cwd: Path, *args: str) -> dict:
    done = _cli("report", *args, "--at", AT, "--format", "json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# -- restarts through the checkpointer -------------------------------------------------------------


@pytest.mark.slow
def test_restarts_load_the_saved_state_and_equal_a_full_replay(tmp_path: Path) -> None:
    account = Engine().account("x")
    lines = rich_history(account.retention_days + margin_days(account.profile) + 60)
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, [])
    thirds = [
        lines[: len(lines) // 3],
        lines[len(lines) // 3 : 2 * len(lines) // 3],
        lines[2 * len(lines) // 3 :],
    ]
    at = parse_instant(AT)
    for number, part in enumerate(thirds):
        run = Running(csv_path, state)
        run.checkpointer.ready.wait(30)
        if number:  # the state saved at the previous clean exit was loaded; nothing was replayed
            assert run.checkpointer.engine_row > 0 and run.checkpointer.replayed == 0
        step = max(1, len(part) // 12)
        for start in range(0, len(part), step):  # many checkpoints: compaction runs as days pass
            append_events(csv_path, part[start : start + step])
            run.caught_up()
        live = views(run.engine, at)
        run.stop()
        assert numbers(full_replay(state), at) == {k: v for k, v in live.items() if k != "counters"}
        assert views(restored(state)[0], at) == live

    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM state_journal WHERE compacted = 1").fetchone()[0] > 0
        (row,) = db.execute("SELECT seq FROM state_engine").fetchone()
        assert row == db.execute("SELECT MAX(seq) FROM state_journal").fetchone()[0]
    loaded, row = restored(state)
    assert row > 0
    reference = Engine()
    reference.ingest(item for item in read_event_file(csv_path) if isinstance(item, Event))
    assert views(loaded, at)["snapshot"]["accounts"] == views(reference, at)["snapshot"]["accounts"]
    assert any(views(loaded, at)["snapshot"]["accounts"][name]["orphans"] for name in ("acme", "bolt"))

    # the report of the saved state (saved engine + no tail) is the report of the journal alone
    with_saved = report(tmp_path, "--state", str(state))
    copy = journal_only(state, tmp_path / "journal-only.sqlite3")
    assert with_saved == report(tmp_path, "--state", str(copy))
    assert with_saved["accounts"] == report(tmp_path, "--events", str(csv_path))["accounts"]


@pytest.mark.slow
def test_rows_sent_again_months_later_give_a_full_replay_of_the_compacted_journal_the_live_numbers(
    tmp_path: Path,
) -> None:
    """An export sent again long after: its first rows were compacted out of the journal, so a full
    replay sees the old placements, deliveries and replies as new; the live engine had evicted them."""
    account = Engine().account("x")
    lines = rich_history(account.retention_days + margin_days(account.profile) + 60)
    again = random.Random(7).sample(lines[: len(lines) // 3], len(lines) // 40)
    assert {next(csv.reader([line]))[1] for line in again} >= {"order_placed", "order_delivered", "feedback"}
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, [])
    run = Running(csv_path, state)
    everything = lines + again
    step = max(1, len(everything) // 24)
    for start in range(0, len(everything), step):
        append_events(csv_path, everything[start : start + step])
        run.caught_up()
    at = parse_instant(AT)
    live = numbers(run.engine, at)
    run.stop()
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT COUNT(*) FROM state_journal WHERE compacted = 1").fetchone()[0] > 0
    assert numbers(full_replay(state), at) == live


def test_a_start_that_replayed_many_rows_saves_the_engine_before_the_sources_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash loop must not replay a long journal again and again."""
    from sellerpulse.core import checkpoint

    monkeypatch.setattr(checkpoint, "SAVE_AFTER_REPLAY", 200)
    lines = rich_history(60)
    csv_path, state = tmp_path / "events.csv", tmp_path / "state.sqlite3"
    write_events(csv_path, lines)
    events = [item for item in read_event_file(csv_path) if isinstance(item, Event)]
    store = StateStore(state)  # a journal as a killed run leaves it: no saved engine state
    store.checkpoint(encode_events(events), {"orders": {}}, {})
    store.close()
    write_events(tmp_path / "later.csv", [])
    run = Running(tmp_path / "later.csv", state)
    assert run.checkpointer.ready.wait(30)
    assert run.checkpointer.replayed == len(events)
    with sqlite3.connect(state) as db:
        assert (
            db.execute("SELECT MAX(seq) FROM state_engine").fetchone()[0] == run.checkpointer.engine_row > 0
        )
    at = parse_instant(AT)
    live = views(run.engine, at)
    run.stop()
    assert views(restored(state)[0], at) == live


def test_the_saved_state_plus_the_rows_after_it_equal_the_whole_journal(tmp_path: Path) -> None:
    """In the store directly: a state saved mid-way, rows written after it; no row replayed twice."""
    write_events(tmp_path / "events.csv", rich_history(120))
    events = [item for item in read_event_file(tmp_path / "events.csv") if isinstance(item, Event)]
    state = tmp_path / "state.sqlite3"
    store = StateStore(state)
    engine = Engine()
    for start in range(0, len(events), 200):
        chunk = events[start : start + 200]
        engine.ingest(chunk)
        store.checkpoint(encode_events(chunk), {}, {})
        if start == 200 * (len(events) // 400):
            store.save_engine(store.next_seq() - 1, state_file.dump(engine))
    store.close()
    at = parse_instant(AT)
    loaded, row = restored(state)
    assert 0 < row < StateStore(state, readonly=True).next_seq() - 1
    assert views(loaded, at) == views(engine, at) == views(full_replay(state), at)
    assert loaded.seed == state_file.load(Engine(), StateStore(state, readonly=True).engine()[1]).seed


# -- unusable saved states -------------------------------------------------------------------------


def _saved(tmp_path: Path, days: int = 90) -> tuple[Path, list[Event]]:
    """A state file whose saved engine covers the first half of the journal; and its events, which are
    also in ``events.csv``."""
    lines = rich_history(days)
    write_events(tmp_path / "events.csv", lines)
    events = [item for item in read_event_file(tmp_path / "events.csv") if isinstance(item, Event)]
    state = tmp_path / "state.sqlite3"
    store = StateStore(state)
    engine = Engine()
    half = len(events) // 2
    engine.ingest(events[:half])
    store.checkpoint(encode_events(events[:half]), {}, {})
    store.save_engine(store.next_seq() - 1, state_file.dump(engine))
    engine.ingest(events[half:])
    store.checkpoint(encode_events(events[half:]), {}, {})
    store.close()
    return state, events


def _rewrite(state: Path, change) -> None:
    with sqlite3.connect(state) as db:
        (data,) = db.execute("SELECT data FROM state_engine").fetchone()
        db.execute("UPDATE state_engine SET data = ?", (change(bytes(data)),))


def _header(data: bytes) -> tuple[dict, int]:
    start = len(state_file.MAGIC) + 4
    length = int.from_bytes(data[len(state_file.MAGIC) : start], "big")
    return json.loads(data[start : start + length]), start + length


def _with_header(data: bytes, **changes: object) -> bytes:
    header, end = _header(data)
    header.update(changes)
    text = json.dumps(header).encode()
    return state_file.MAGIC + len(text).to_bytes(4, "big") + text + data[end:]


def _flip(data: bytes) -> bytes:
    middle = len(data) - len(data) // 3
    return data[:middle] + bytes([data[middle] ^ 0x55]) + data[middle + 1 :]


@pytest.mark.parametrize(
    "change, why",
    [
        (lambda d: _with_header(d, format=state_file.FORMAT_VERSION + 1), "another version"),
        (_flip, "damaged"),
        (lambda d: d[: len(d) // 2], "damaged"),
        (lambda d: b"\x00" * 100, "not a saved engine state"),
        (
            lambda d: d[: len(state_file.MAGIC) + 4] + b"{not json" + d[len(state_file.MAGIC) + 13 :],
            "unreadable",
        ),
    ],
    ids=["format", "flipped-byte", "truncated", "garbage", "bad-header"],
)
def test_an_unusable_saved_state_is_ignored_and_the_journal_replayed(
    tmp_path: Path, change, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    state, events = _saved(tmp_path)
    _rewrite(state, change)
    at = parse_instant(AT)
    reference = Engine()
    reference.ingest(events)
    store = StateStore(state)
    engine = Engine()
    with caplog.at_level(logging.WARNING, logger="sellerpulse.checkpoint"):
        assert load_saved_engine(store, engine, drop=True) == 0
    assert why in caplog.text and "replaying the whole journal" in caplog.text
    assert store.engine() is None  # dropped: the next clean exit saves a good one
    restore_engine(store, engine)
    store.close()
    assert views(engine, at) == views(reference, at)


def test_a_large_state_is_saved_in_parts_and_a_missing_part_is_noticed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(state_store, "ENGINE_PART", 4096)
    state, events = _saved(tmp_path)
    with sqlite3.connect(state) as db:
        parts = db.execute("SELECT COUNT(*) FROM state_engine").fetchone()[0]
    assert parts > 3
    at = parse_instant(AT)
    reference = Engine()
    reference.ingest(events)
    loaded, row = restored(state)
    assert row > 0 and views(loaded, at) == views(reference, at)
    with sqlite3.connect(state) as db:
        db.execute("DELETE FROM state_engine WHERE part = 2")
    with caplog.at_level(logging.WARNING, logger="sellerpulse.state"):
        loaded, row = restored(state)
    assert row == 0 and "incomplete" in caplog.text
    assert views(loaded, at) == views(reference, at)


def test_a_body_naming_other_code_is_refused_without_running_it(tmp_path: Path) -> None:
    from xxhash import xxh3_128_hexdigest

    state, _ = _saved(tmp_path, days=20)
    marker = tmp_path / "ran"
    body = pickle.dumps(_Runs(str(marker)))
    _rewrite(state, lambda d: _with_header(d[: _header(d)[1]], body=xxh3_128_hexdigest(body)) + body)
    store = StateStore(state, readonly=True)
    assert load_saved_engine(store, Engine()) == 0
    store.close()
    assert not marker.exists()


class _Runs:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_a_state_saved_with_another_profile_or_time_zone_is_ignored(tmp_path: Path) -> None:
    state, events = _saved(tmp_path)
    at = parse_instant(AT)
    stricter = builtin_profile("amazon").with_overrides({"metrics": {"odr": {"target": "0.005"}}})
    for make in (lambda: Engine(timezone="America/New_York"), lambda: Engine(profile=stricter),
                 lambda: Engine(account_timezones={"bolt": "Asia/Tokyo"})):  # fmt: skip
        reference = make()
        reference.ingest(events)
        engine = make()
        store = StateStore(state, readonly=True)
        assert load_saved_engine(store, engine) == 0
        restore_engine(store, engine)
        store.close()
        assert views(engine, at) == views(reference, at)
    same = Engine()
    store = StateStore(state, readonly=True)
    assert load_saved_engine(store, same) > 0
    store.close()


def test_report_state_with_another_time_zone_ignores_the_saved_state(tmp_path: Path) -> None:
    state, _ = _saved(tmp_path)
    csv_path = tmp_path / "events.csv"
    for zone in ("UTC", "Pacific/Auckland"):
        saved = report(tmp_path, "--state", str(state), "--timezone", zone)
        assert (
            saved["accounts"] == report(tmp_path, "--events", str(csv_path), "--timezone", zone)["accounts"]
        )


# -- crashes -----------------------------------------------------------------------------------------


CONFIG = """
[[sources]]
type = "csv"
name = "orders"
path = "events.csv"
follow = true
poll_interval = 0.02
"""


def _headless(cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.cli", "run", "--headless", "--listen", "127.0.0.1:0", "--config", "sellerpulse.toml",
         "--state", "state.sqlite3", "--checkpoint-interval", "0.05", "--log-file", "sellerpulse.log",
         "--log-level", "info"],
        cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "cfg"),
             "XDG_DATA_HOME": str(cwd / "data"), "XDG_STATE_HOME": str(cwd / "st"), "PYTHONHASHSEED": "random"},
    )  # fmt: skip


def _wait_for(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _offset(state: Path) -> int | None:
    try:
        with sqlite3.connect(state, timeout=5) as db:
            row = db.execute("SELECT position FROM state_positions WHERE source = 'orders'").fetchone()
    except sqlite3.OperationalError:
        return None
    return json.loads(row[0]).get("offset") if row else None


@pytest.mark.slow
def test_sigkill_after_a_saved_state_and_more_events_restores_exactly(tmp_path: Path) -> None:
    lines = rich_history(240, seed=5)
    csv_path, state, log = tmp_path / "events.csv", tmp_path / "state.sqlite3", tmp_path / "sellerpulse.log"
    (tmp_path / "sellerpulse.toml").write_text(CONFIG, encoding="utf-8")
    cuts = [len(lines) * k // 5 for k in range(6)]
    write_events(csv_path, lines[: cuts[1]])
    process = _headless(tmp_path)  # 1: catches up, stops cleanly: saves the engine
    _wait_for(lambda: _offset(state) == csv_path.stat().st_size, "first run did not catch up")
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert "saved the engine state" in log.read_text(encoding="utf-8")
    for part in (2, 3):  # 2, 3: load it, read more, killed (after a checkpoint, and maybe inside one)
        process = _headless(tmp_path)
        append_events(csv_path, lines[cuts[part - 1] : cuts[part]])
        _wait_for(lambda: _offset(state) == csv_path.stat().st_size, f"run {part} did not catch up")
        append_events(csv_path, lines[cuts[part] : cuts[part] + 40])
        time.sleep(random.Random(part).uniform(0.0, 0.2))
        process.send_signal(signal.SIGKILL)
        assert process.wait(10) == -signal.SIGKILL
        cuts[part] += 40
    text = log.read_text(encoding="utf-8")
    assert text.count("after the saved engine state of row") >= 2  # both runs loaded it
    # right after the kills: the state saved by run 1 + the rows of runs 2 and 3 = the rows alone
    copy = journal_only(state, tmp_path / "journal-only.sqlite3")
    assert report(tmp_path, "--state", str(state)) == report(tmp_path, "--state", str(copy))

    # the saved state (of run 1) + the journal rows of runs 2 and 3 give the clean read's numbers
    append_events(csv_path, lines[cuts[3] :])
    alone = tmp_path / "clean"  # the reference: one read of the file, away from the config's source
    alone.mkdir()
    shutil.copyfile(csv_path, alone / "events.csv")
    reference = report(alone, "--events", "events.csv")
    process = _headless(tmp_path)  # 4: loads, replays the tail, catches up, stops cleanly
    _wait_for(lambda: _offset(state) == csv_path.stat().st_size, "last run did not catch up")
    process.send_signal(signal.SIGTERM)
    assert process.wait(30) == 0
    assert report(tmp_path, "--state", str(state))["accounts"] == reference["accounts"]
    copy = journal_only(state, tmp_path / "journal-only.sqlite3")
    assert report(tmp_path, "--state", str(copy))["accounts"] == reference["accounts"]


# -- the pieces ----------------------------------------------------------------------------------------


def test_keys_are_the_same_in_every_process_and_differ_by_seed() -> None:
    ids = ["114-1234567-1234567", "ORD-1", "é-ü", "x" * 40]
    code = f"from sellerpulse.core.engine.hashtable import key_of; print([key_of(i, 42) for i in {ids!r}])"
    for hash_seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed})  # fmt: skip
        assert json.loads(out.stdout) == [key_of(i, 42) for i in ids]
    assert [key_of(i, 42) for i in ids] != [key_of(i, 43) for i in ids]
    assert all(key_of(i, 42) not in (0, -1) for i in ids)
    assert Engine().seed != Engine().seed


def test_every_account_field_is_saved_or_derived() -> None:
    engine = Engine()
    engine.ingest([Event(parse_instant("2026-03-01T00:00:00Z"), "order_placed", "acme", "O-1", "e1")])
    assert state_file.dump(engine)
    engine.account("acme").something_new = 1
    with pytest.raises(state_file.StateFileError, match="something_new"):
        state_file.dump(engine)


def test_journal_rows_are_numbered_after_the_saved_state_even_when_compaction_empties_it(
    tmp_path: Path,
) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    events = [Event(START + n * US_PER_DAY, "order_placed", "acme", f"O-{n}") for n in range(3)]
    store.checkpoint(encode_events(events[:1]), {}, {})
    store.checkpoint(encode_events(events[1:2]), {}, {})
    engine = Engine()
    engine.ingest(events[:2])
    store.save_engine(2, state_file.dump(engine))
    store.compact([(1, None, 0), (2, None, 0)])  # every row past the retention: deleted
    store.checkpoint(encode_events(events[2:]), {}, {})
    assert list(store.journal(after=2)) == [("acme", encode_events(events[2:])[0].events)]
    store.close()
