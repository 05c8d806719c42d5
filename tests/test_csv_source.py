"""The ``csv`` source on real files: canonical events, garbage rows, follow (append, truncate, rotate),
resume from a saved position, and the line-length limit."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from sellerpulse.core.events import Rejection
from sellerpulse.core.readers import read_event_file
from sellerpulse.plugins.csv_source import CsvSource
from sellerpulse.plugins.testing import check_source_contract, collect, make_source, read_source

HEADER = "ts,kind,order_id,account,event_id,channel,ship_by\n"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "small-events.csv"


def order_row(n: int) -> str:
    return (
        f"2026-11-{1 + n % 28:02d}T10:{n % 60:02d}:00Z,order_placed,O{n},acme,e{n},MFN,2026-12-01T00:00:00Z\n"
    )


def write(path: Path, text: str, mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8", newline="") as handle:
        handle.write(text)


def test_reads_the_canonical_example_like_the_reference_reader():
    batch = read_source(make_source(CsvSource, {"path": str(EXAMPLE)}))
    expected = list(read_event_file(EXAMPLE))
    good = [item for item in expected if not isinstance(item, Rejection)]
    bad = [item for item in expected if isinstance(item, Rejection)]
    assert [e.to_json() for e in batch.events] == [e.to_json() for e in good]
    assert [(r.position, r.reason) for r in batch.rejections] == [(r.position, r.reason) for r in bad]


def test_contract_holds_and_resuming_reads_nothing_twice(tmp_path):
    path = tmp_path / "events.data"  # the extension does not matter
    write(path, HEADER + "".join(order_row(n) for n in range(50)))
    batch = check_source_contract(CsvSource, {"path": str(path)})
    assert len(batch.events) == 50


def test_one_percent_garbage_keeps_every_good_row_and_names_each_bad_line(tmp_path):
    path = tmp_path / "mixed.csv"
    garbage = [
        "not-a-time,order_placed,G1,acme,g1,MFN,\n",
        "2026-11-02T10:00:00Z,teleported,G2,acme,g2,MFN,\n",
        "2026-11-02T10:00:00Z,order_placed,G3,acme,g3,MFN,2026-12-01T00:00:00Z,extra,fields\n",
        '2026-11-02T10:00:00Z,order_placed,"G4,acme,g4,MFN,\n',  # unbalanced quote stays on its line
        "2026-11-02T10:00:00Z,feedback,G5,acme,g5,MFN,\n",  # feedback without rating
        "\x00\x01\x02 binary noise\n",
        "2026-11-02T10:00:00Z,order_placed,,acme,g7,MFN,\n",  # no order id
        "2026-11-02T10:00:00Z,order_placed,G8,acme,g8,XYZ,\n",  # bad channel
        "2026-11-02T10:00:00,order_placed,G9,acme,g9,MFN,\n",  # naive timestamp
        "2026-13-45T10:00:00Z,order_placed,G10,acme,g10,MFN,\n",
    ]
    lines, bad_lines, good_ids = [HEADER], [], set()
    for n in range(1000):
        if n % 100 == 50:
            lines.append(garbage[n // 100])
            bad_lines.append(len(lines))
        lines.append(order_row(n))
        good_ids.add(f"O{n}")
    # one line that is not UTF-8 at all
    raw = "".join(lines).encode() + b"2026-11-03T10:00:00Z,order_placed,\xff\xfe,acme,x,MFN,\n"
    bad_lines.append(len(lines) + 1)
    raw += order_row(1000).encode()
    good_ids.add("O1000")
    path.write_bytes(raw)

    batch = read_source(make_source(CsvSource, {"path": str(path)}))
    assert {e.order_id for e in batch.events} == good_ids
    assert len(batch.events) == 1001
    assert [r.position for r in batch.rejections] == [f"line {n}" for n in bad_lines]
    reasons = " | ".join(r.reason for r in batch.rejections)
    for expected in ("bad ts", "unknown kind 'teleported'", "9 fields, header has 7", "needs rating",
                     "needs order_id", "bad channel", "without a time zone offset", "not utf-8 text"):  # fmt: skip
        assert expected in reasons


def test_overlong_line_is_rejected_and_the_rest_is_read(tmp_path):
    path = tmp_path / "long.csv"
    write(path, HEADER + order_row(1) + "x" * 5000 + "\n" + order_row(2) + "y" * 3000)
    source = make_source(CsvSource, {"path": str(path), "max_line_bytes": 1000})
    batch = read_source(source)
    assert [e.order_id for e in batch.events] == ["O1", "O2"]
    assert [(r.position, r.reason) for r in batch.rejections] == [
        ("line 3", "line longer than 1000 bytes"),
        ("line 5", "line longer than 1000 bytes"),
    ]


def test_a_restart_inside_an_overlong_line_drops_the_rest_of_that_line(tmp_path):
    """Stopped while a too-long line was still being written: after the restart its end is not a row."""
    path = tmp_path / "growing.csv"
    write(path, HEADER + order_row(1) + "x" * 3000)
    first = make_source(CsvSource, {"path": str(path), "max_line_bytes": 1000})
    batch = read_source(first)
    assert [e.order_id for e in batch.events] == ["O1"]
    assert [r.position for r in batch.rejections] == ["line 3"]
    saved = json.loads(json.dumps(first.position()))
    write(path, "2026-11-02T10:00:00Z,order_placed,TAIL,acme,t,MFN,\n" + order_row(2), "a")
    second = make_source(CsvSource, {"path": str(path), "max_line_bytes": 1000})
    second.restore(saved)
    batch = read_source(second)
    assert ([e.order_id for e in batch.events], batch.rejections) == (["O2"], [])
    assert second.position()["line"] == 5 and "skipping" not in second.position()


def test_last_line_without_newline_is_read_once_and_the_position_stays_in_the_file(tmp_path):
    path = tmp_path / "events.csv"
    write(path, HEADER + order_row(1) + order_row(2).rstrip("\n"))
    source = make_source(CsvSource, {"path": str(path)})
    assert [e.order_id for e in read_source(source).events] == ["O1", "O2"]
    assert source.position()["offset"] == path.stat().st_size


def test_unrecognised_header_fails_with_a_clear_message(tmp_path):
    path = tmp_path / "prices.csv"
    write(path, "sku,price\nA,1\n")
    with pytest.raises(ValueError, match="unrecognised header"):
        read_source(make_source(CsvSource, {"path": str(path)}))


def test_missing_file_is_an_error_when_reading_once(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_source(make_source(CsvSource, {"path": str(tmp_path / "nope.csv")}))


def test_account_option_fills_rows_without_an_account(tmp_path):
    path = tmp_path / "events.csv"
    write(
        path,
        "ts,kind,order_id,account\n2026-11-02T10:00:00Z,order_placed,A,\n2026-11-02T10:00:00Z,order_placed,B,x\n",
    )
    batch = read_source(make_source(CsvSource, {"path": str(path), "account": "shop-eu"}))
    assert [(e.order_id, e.account) for e in batch.events] == [("A", "shop-eu"), ("B", "x")]


def test_resumes_from_a_saved_position_after_a_restart(tmp_path):
    path = tmp_path / "events.csv"
    write(path, HEADER + "".join(order_row(n) for n in range(10)))
    first = make_source(CsvSource, {"path": str(path)})
    assert len(read_source(first).events) == 10
    saved = json.loads(json.dumps(first.position()))
    write(path, "".join(order_row(n) for n in range(10, 15)), "a")
    second = make_source(CsvSource, {"path": str(path)})
    second.restore(saved)
    assert [e.order_id for e in read_source(second).events] == [f"O{n}" for n in range(10, 15)]
    # the position of a file that was replaced meanwhile is not trusted: read the new file from its start
    replacement = tmp_path / "new.csv"
    write(replacement, HEADER + order_row(99))
    os.replace(replacement, path)
    third = make_source(CsvSource, {"path": str(path)})
    third.restore(saved)
    assert [e.order_id for e in read_source(third).events] == ["O99"]


async def _next_orders(stream, count: int, timeout: float = 3.0) -> list[str]:
    found: list[str] = []
    async with asyncio.timeout(timeout):
        while len(found) < count:
            batch = await anext(stream)
            found.extend(e.order_id for e in batch.events)
    return found


async def test_follow_reads_appends_truncation_and_rotation(tmp_path):
    path = tmp_path / "live.csv"
    write(path, HEADER + order_row(1))
    source = make_source(CsvSource, {"path": str(path), "follow": True, "poll_interval": 0.02})
    stream = source.batches(follow=True)
    try:
        assert await _next_orders(stream, 1) == ["O1"]

        # appended rows appear within a second; a half-written line waits for its newline
        write(path, order_row(2) + order_row(3)[:20], "a")
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await _next_orders(stream, 1) == ["O2"]
        assert loop.time() - started < 1.0
        write(path, order_row(3)[20:], "a")
        assert await _next_orders(stream, 1) == ["O3"]

        # truncated and rewritten shorter: read again from the start (new header too)
        write(path, HEADER + order_row(4))
        assert await _next_orders(stream, 1) == ["O4"]

        # rotated: rows written to the old file before the switch are not lost (even a last line
        # without its newline), then the new file is read
        write(path, order_row(5).rstrip("\n"), "a")
        os.rename(path, tmp_path / "live.csv.1")
        write(path, HEADER + order_row(6) + order_row(7))
        assert await _next_orders(stream, 3) == ["O5", "O6", "O7"]
        position = source.position()
        assert position["inode"] == path.stat().st_ino
        assert position["offset"] == path.stat().st_size
    finally:
        await stream.aclose()


async def test_follow_waits_for_a_file_that_does_not_exist_yet(tmp_path):
    path = tmp_path / "later.csv"
    source = make_source(CsvSource, {"path": str(path), "follow": True, "poll_interval": 0.02})

    async def create_later() -> None:
        await asyncio.sleep(0.1)
        write(path, HEADER + order_row(8))

    task = asyncio.create_task(create_later())
    batch = await collect(source, follow=True, until=lambda merged: bool(merged.events), timeout=3)
    await task
    assert [e.order_id for e in batch.events] == ["O8"]


async def test_follow_option_off_reads_once_even_when_the_runtime_follows(tmp_path):
    path = tmp_path / "once.csv"
    write(path, HEADER + order_row(1))
    source = make_source(CsvSource, {"path": str(path)})
    batch = await collect(source, follow=True, timeout=3)  # returns: the table did not ask to follow
    assert [e.order_id for e in batch.events] == ["O1"]


async def test_a_followed_file_far_ahead_of_the_reader_is_lagging_until_caught_up(tmp_path, monkeypatch):
    import sellerpulse.plugins.csv_source as csv_source

    monkeypatch.setattr(csv_source, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(csv_source, "LAG_BYTES", 20_000)
    path = tmp_path / "big.csv"
    write(path, HEADER + "".join(order_row(n) for n in range(1000)))  # about 80 KB
    source = make_source(CsvSource, {"path": str(path), "follow": True, "poll_interval": 0.02})
    stream = source.batches(follow=True)
    states = []
    try:
        async with asyncio.timeout(5):
            read = 0
            while read < 1000:
                batch = await anext(stream)
                read += len(batch.events)
                states.append((source.health().state, source.health().detail))
    finally:
        await stream.aclose()
    state, detail = states[0]
    assert state == "lagging" and detail.startswith("big.csv: line ") and detail.endswith(" KiB behind")
    assert states[-1] == ("ok", "big.csv: line 1001, events")


async def test_batches_called_again_continues_where_the_last_call_stopped(tmp_path):
    path = tmp_path / "again.csv"
    write(path, HEADER + order_row(1))
    source = make_source(CsvSource, {"path": str(path), "follow": True, "poll_interval": 0.02})
    first = await collect(source, follow=True, until=lambda merged: bool(merged.events), timeout=3)
    write(path, order_row(2), "a")
    second = await collect(source, follow=True, until=lambda merged: bool(merged.events), timeout=3)
    assert [e.order_id for e in first.events + second.events] == ["O1", "O2"]


def test_a_misspelt_time_zone_is_a_config_error(tmp_path):
    from sellerpulse.core.plugins import load_plugins
    from sellerpulse.core.runtime import SourceConfigError, build_sources

    with pytest.raises(SourceConfigError, match=r"source 'csv' .*unknown time zone: 'Europe/Berlni'"):
        build_sources(
            [{"type": "csv", "path": str(tmp_path / "x.csv"), "timezone": "Europe/Berlni"}], load_plugins()
        )
