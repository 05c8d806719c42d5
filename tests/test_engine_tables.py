"""The engine's compact tables (hash table, order id index, dedup ids) against plain dicts and sets.

Random operation sequences drive each through several incremental growths, with removals and (for the
id index) forced hash collisions, and every answer is compared with the obvious Python structure.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sellerpulse.core.engine import id_index as id_index_module
from sellerpulse.core.engine.hashtable import HashTable
from sellerpulse.core.engine.id_index import WIDTH, IdIndex
from sellerpulse.core.engine.seen import SeenIds

# keys as ``key_of`` gives them: any int64 but 0 (empty) and -1 (removed)
keys = st.integers(min_value=-(2**63), max_value=2**63 - 1).filter(lambda k: k not in (0, -1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["put", "remove", "get"]), st.integers(0, 3000)), max_size=6000))
def test_hash_table_matches_a_dict(ops):
    table, model = HashTable("i"), {}
    for op, n in ops:
        # in the first table (7 slots) these keys share five first slots and three probe steps
        key = n * 7 + 1 + ((n % 5) << 40)
        if op == "put":
            assert table.put(key, n) == (key not in model)
            model.setdefault(key, n)
        elif op == "remove":
            assert table.remove(key) == (key in model)
            model.pop(key, None)
        assert table.get(key) == model.get(key, -1)
        assert (key in table) == (key in model)
        assert len(table) == len(model)
    assert sorted(_live_values(table)) == sorted(model.values())


def _live_values(table: HashTable) -> list[int]:
    """Every value in a live slot: the new table's, and the old one's not moved yet (moved slots are
    marked removed), scanned, so an entry the table lost count of would show."""
    out = []
    for slots in (table._new, table._old):
        if slots is not None:
            out.extend(v for k, v in zip(slots.keys, slots.values, strict=True) if k not in (0, -1))
    return out


@given(st.lists(keys, min_size=1, max_size=3000, unique=True))
@settings(max_examples=30, deadline=None)
def test_hash_table_holds_any_int64_key_through_growth(many):
    table = HashTable("q")
    for value, key in enumerate(many):
        assert table.put(key, value)
    assert [table.get(key) for key in many] == list(range(len(many)))
    assert not table.put(many[0], 99)


def test_hash_table_drops_entries_below_its_floor_as_they_move():
    table = HashTable("i")
    for n in range(10000):
        table.put(n + 1, n)
    table.floor = 5000
    for n in range(10000, 40000):  # enough puts to move every old entry at least once
        table.put(n + 1, n)
    assert all(table.get(n + 1) == -1 for n in range(5000))
    assert all(table.get(n + 1) == n for n in range(5000, 40000))
    assert len(table) == 35000


def test_hash_table_keeps_a_few_entries_below_its_floor_through_growth():
    """Small tables drop nothing: a few expired dedup ids cost nothing, and an account's duplicates stay
    exact until it holds hundreds of ids (as when every table started at 1021 slots)."""
    table = HashTable("i")
    table.floor = 100
    for n in range(700):
        table.put(n + 1, n)
    assert len(table) == 700
    assert all(table.get(n + 1) == n for n in range(700))


def test_hash_table_reuses_space_under_steady_churn():
    """Removed slots do not make the table grow forever: its size follows the live entries."""
    table = HashTable("i")
    for n in range(200_000):
        table.put(n + 1, n)
        if n >= 1000:
            table.remove(n - 999)
    assert len(table) == 1000
    assert table._new.capacity < 10_000


ids = st.one_of(
    st.text(min_size=1, max_size=40),
    st.from_regex(r"[0-9]{3}-[0-9]{7}-[0-9]{7}", fullmatch=True),
    st.just("x" * (WIDTH + 1)),
    st.just("a\0b"),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), ids), max_size=400), st.booleans())
def test_id_index_matches_a_dict(ops, collide):
    with pytest.MonkeyPatch.context() as patch:
        if collide:  # seven hash values for all ids: most ids collide with another
            patch.setattr(id_index_module, "key_of", lambda text, seed: hash(text) % 7 + 1)
        index, model = IdIndex(seed=3), {}
        for add, order_id in ops:
            if add and order_id not in model:
                row = index.add(order_id)
                assert row not in model.values()
                model[order_id] = row
            elif not add and order_id in model:
                assert index.remove(order_id) == model.pop(order_id)
            assert index.get(order_id) == model.get(order_id)
            assert len(index) == len(model)
        for order_id, row in model.items():
            assert index[order_id] == row
            assert index.id_of(row) == order_id
        assert sorted(index.items(), key=lambda pair: pair[1]) == sorted(
            model.items(), key=lambda pair: pair[1]
        )


def test_id_index_reuses_freed_rows():
    index = IdIndex(seed=3)
    rows = [index.add(f"ORD-{n}") for n in range(10)]
    assert rows == list(range(10))
    index.remove("ORD-3")
    assert "ORD-3" not in index
    assert index.add("ORD-new") == 3
    assert index.id_of(3) == "ORD-new"
    with pytest.raises(KeyError):
        index["ORD-3"]


def test_seen_ids_forget_days_before_the_cutoff_as_they_grow():
    seen = SeenIds(seed=3)
    rng = random.Random(5)
    for n in range(30000):
        assert seen.add(f"e{n}", day=20000 + n // 1000)
    assert not seen.add("e7", day=20100)  # a duplicate, however late
    seen.cutoff_day = 20015
    for n in range(30000, 120000):  # enough new ids to move the whole table at least once
        seen.add(f"e{n}", day=20030 + n // 10000)
    assert "e29999" in seen
    assert all(f"e{n}" not in seen for n in rng.sample(range(15000), 200))
    assert "e15000" in seen


@pytest.mark.parametrize("held", [100_000, 600])
def test_hash_table_grows_without_filling_up_after_mass_removal(held):
    """A full table emptied but for a few entries, then growing: the new table must hold every put that
    arrives while the old (large, mostly removed) one is still being moved, or a probe never ends."""
    table = HashTable("i")
    n = 0
    while n < held or table._old is not None or table._new.used < table._new.limit:  # one put from growing
        n += 1
        table.put(n, n)
    for key in range(11, n + 1):
        table.remove(key)
    for key in range(n + 1, n + 3 * held):
        table.put(key, key)
        assert table._new.used <= table._new.limit + 1
    assert len(table) == 3 * held + 9
    assert all(table.get(key) == key for key in range(1, 11))
