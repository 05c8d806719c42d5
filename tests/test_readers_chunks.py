"""The one CSV reader is incremental: how a file's bytes arrive (one read, or chunks cut anywhere, even
inside a line or a UTF-8 character) changes nothing, and a reader resumed from a saved ``offset`` and
``line`` reads exactly what the first one had left, which is what the csv source's positions rely on."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from sellerpulse.core.readers import CsvReader
from sellerpulse.core.sources import Batch

HEADER = b"ts,kind,order_id,note\n"
pieces = st.sampled_from([
    b"2026-11-02T10:00:00Z,order_placed,A1,\n", b"2026-11-02T10:00:00Z,order_placed,\xc3\xa91,x\n", b'"', b",",
    b"\r\n", b"\n", b"\xff", b"\xc3", b"x", b"2026-11-02T10:00:00Z,order_placed,", b'"q,""r"""', b"\x00",
])  # fmt: skip
files = st.lists(pieces, max_size=40).map(lambda parts: HEADER + b"".join(parts))


def read(chunks: list[bytes], reader: CsvReader | None = None) -> tuple[Batch, CsvReader]:
    reader = reader or CsvReader("f", max_line=64)
    batch = Batch()
    for chunk in chunks:
        reader.feed(chunk, batch)
    reader.finish(batch)
    return batch, reader


def outcome(batch: Batch) -> tuple[list, list]:
    return [e.to_json() for e in batch.events], [(r.position, r.reason) for r in batch.rejections]


@settings(max_examples=200, deadline=None)
@given(files, st.lists(st.integers(0, 2000), max_size=6))
def test_chunks_cut_anywhere_read_like_one_read(data: bytes, cuts: list[int]) -> None:
    whole, first = read([data])
    bounds = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
    chunked, second = read([data[a:b] for a, b in pairwise(bounds)])
    assert outcome(chunked) == outcome(whole)
    assert (second.offset, second.line) == (first.offset, first.line)
    assert first.offset == len(data)


@settings(max_examples=200, deadline=None)
@given(files, st.integers(0, 2000))
def test_a_resumed_reader_reads_what_the_first_had_left(data: bytes, cut: int) -> None:
    whole, _ = read([data])
    cut %= len(data) + 1
    before = CsvReader("f", max_line=64)
    head = Batch()
    before.feed(data[:cut], head)  # stopped here: the unread rest starts at ``offset``
    after = CsvReader("f", max_line=64)
    if before.header_text:
        after.resume(before.offset, before.line, before.header_text, before.skipping)
        rest, _ = read([data[before.offset :]], after)
    else:
        rest, _ = read([data], after)
    events, rejections = outcome(head)
    more_events, more_rejections = outcome(rest)
    assert (events + more_events, rejections + more_rejections) == outcome(whole)
