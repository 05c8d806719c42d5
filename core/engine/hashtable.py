"""An open-addressing table from 64-bit id hashes to one small integer each, growing a little at a time.

Why not a ``dict``: keyed by id strings, a dict costs about 130 bytes an entry at a million entries (the
key string, the value int, the entry and its index slot). Here a slot is the hash in an ``array('q')``
plus the value in a second array (8 + 2 or 4 bytes), kept between half and three quarters full.

Why a little at a time: the interpreter is shared with the dashboard, and rehashing millions of slots in
one go would freeze the screen for a second. A full table becomes the "old" one; each ``put`` moves a
few of its slots into a table twice the size of its live entries, so every entry is in exactly one of
the two.

Keys come from :func:`key_of`: a seeded 64-bit xxh3 of the id's UTF-8 bytes, the same in every process
(Python's ``hash`` of a string changes with each process, so a saved table would be garbage after a
restart), and seeded per engine with a random value kept with the engine's saved state, so ids from a
source cannot be crafted to collide in everyone's tables. 0 marks an empty slot and -1 a removed one;
``key_of`` never returns either. Capacities are primes, so a slot is ``key % capacity``; xxh3 spreads
keys over every bit, so that is as good as masking.

Why start tiny: an engine holds three tables per account (order ids, dedup ids, evicted ids), and a
seller's file may name a hundred thousand accounts with a few orders each. A table starts at
:data:`_MIN_CAPACITY` slots on the heap; only an array of :data:`_MAP_BYTES` or more gets a memory mapping
of its own, so that a large table dropped after a move goes back to the system at once (through
``malloc``, tens of megabytes would stay in the process's heap), while small tables cost no mapping:
the kernel allows about 65,000 per process, and two per table (keys, values) ran out at 11,000 accounts.

A table's state (for a saved engine) is its slots' bytes: see ``__getstate__``.
"""

from __future__ import annotations

import mmap
import os
from array import array
from typing import Any

from xxhash import xxh3_64_intdigest

EMPTY = 0
REMOVED = -1
_MIN_CAPACITY = 7  # a prime: a table of a few entries costs about 300 bytes
_DROP_FROM = 1021  # the smallest table whose moves drop entries below the floor
_MAP_BYTES = 128 * 1024  # arrays this large get their own mapping (glibc's own default threshold)
_MAX_LOAD = 0.75  # live and removed slots over capacity before the table grows
_FRESH_LOAD = 0.5  # how full a new table starts (it grows again at three quarters)
_MOVE_SLOTS = 64  # old slots moved per put: ~20 us, and the two tables overlap for a few % of puts
_NO_FLOOR = -(2**63)


_SIGNED = 1 << 63  # xxh3 gives 0 .. 2**64-1; keys live in array('q'), -2**63 .. 2**63-1


def key_of(text: str, seed: int) -> int:
    """The table key of an id under an engine's ``seed``: never 0 (empty) nor -1 (removed)."""
    key = xxh3_64_intdigest(text.encode(), seed) - _SIGNED
    return key if key != 0 and key != -1 else key + 2  # 0 -> 2, -1 -> 1


def new_seed() -> int:
    """A random 64-bit seed for a new engine's tables."""
    return int.from_bytes(os.urandom(8), "little")


class _Slots:
    __slots__ = ("capacity", "keys", "limit", "used", "values")

    def __init__(self, capacity: int, typecode: str) -> None:
        self.capacity = capacity
        self.keys = _zeros("q", capacity)
        self.values = _zeros(typecode, capacity)
        self.used = 0  # live and removed slots: what probing lengths depend on
        self.limit = int(capacity * _MAX_LOAD)

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.capacity, memoryview(self.keys).format, memoryview(self.values).format,
                self.keys.tobytes(), self.values.tobytes(), self.used)  # fmt: skip

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        capacity, key_code, value_code, keys, values, used = state
        self.__init__(capacity, value_code)
        key_view, value_view = memoryview(self.keys).cast("B"), memoryview(self.values).cast("B")
        if key_code != "q" or len(keys) != key_view.nbytes or len(values) != value_view.nbytes:
            raise ValueError("hash table state of another layout")
        key_view[:] = keys
        value_view[:] = values
        self.used = used

    def find(self, key: int) -> int:
        """The slot holding ``key``, or ``-1 - slot`` for the empty slot where it would go.

        Double hashing: the probe step comes from the key's high bits, so keys that share a first slot
        part ways at once (linear probing's runs made misses at three quarters full half as slow
        again). The capacity is prime, so every step visits every slot.
        """
        keys, capacity = self.keys, self.capacity
        slot = key % capacity
        found = keys[slot]
        if found == key:
            return slot
        if found == EMPTY:
            return -1 - slot
        step = (key >> 32) % (capacity - 1) + 1
        while True:
            slot = (slot + step) % capacity
            found = keys[slot]
            if found == key:
                return slot
            if found == EMPTY:
                return -1 - slot


def _prime_from(n: int) -> int:
    """The least prime >= ``n`` (trial division: once a growth, a few milliseconds at most)."""
    n |= 1
    while any(n % d == 0 for d in range(3, int(n**0.5) + 1, 2)):
        n += 2
    return n


def _zeros(typecode: str, length: int) -> array | memoryview:
    """A zeroed array: on the heap when small, else of its own memory mapping (see the module's doc)."""
    size = array(typecode).itemsize * length
    if size < _MAP_BYTES:
        return array(typecode, bytes(size))
    return memoryview(mmap.mmap(-1, size)).cast(typecode)


class HashTable:
    """``key -> value`` for int keys from :func:`key_of`, values of an ``array`` typecode.

    Entries whose value is below ``floor`` are dropped as they move out of a table of at least
    :data:`_DROP_FROM` slots (how the dedup ids of expired days go without a scan of their own). Dropping
    is for memory, and a small table keeps its few entries: an account's dedup ids are then exact until
    it holds hundreds, as they were when every table started at that size.
    """

    __slots__ = ("_moved", "_new", "_old", "_typecode", "count", "floor")

    def __init__(self, typecode: str) -> None:
        self._typecode = typecode
        self.floor = _NO_FLOOR
        self._new = _Slots(_MIN_CAPACITY, typecode)
        self._old: _Slots | None = None  # the table being emptied into ``_new`` while growing
        self._moved = 0  # slots of ``_old`` already moved
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._typecode, self._new, self._old, self._moved, self.count, self.floor)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._typecode, self._new, self._old, self._moved, self.count, self.floor = state

    def get(self, key: int, default: int = -1) -> int:
        new = self._new
        slot = new.find(key)
        if slot >= 0:
            return new.values[slot]
        old = self._old
        if old is not None:
            slot = old.find(key)
            if slot >= 0:
                return old.values[slot]
        return default

    def __contains__(self, key: int) -> bool:
        return self._new.find(key) >= 0 or (self._old is not None and self._old.find(key) >= 0)

    def put(self, key: int, value: int) -> bool:
        """Add ``key``; False (and nothing changed) when it is already there."""
        old = self._old
        if old is not None:
            if old.find(key) >= 0:
                return False
            self._move_some()
        new = self._new
        slot = new.find(key)
        if slot >= 0:
            return False
        slot = -1 - slot
        new.keys[slot] = key
        new.values[slot] = value
        new.used += 1
        self.count += 1
        if new.used > new.limit and self._old is None:
            # Sized by the live entries, so removals make room instead of making the table grow, plus
            # the puts that arrive while the old slots move (a few for each put): a table emptied by
            # removals is large and nearly all removed, and the new one must not fill up meanwhile.
            wanted = self.count + new.capacity // _MOVE_SLOTS + 1
            self._old = new
            self._new = _Slots(_prime_from(max(_MIN_CAPACITY, int(wanted / _FRESH_LOAD))), self._typecode)
            self._moved = 0
        return True

    def remove(self, key: int) -> bool:
        """Forget ``key``; False when it was not there."""
        for table in (self._new, self._old):
            if table is not None:
                slot = table.find(key)
                if slot >= 0:
                    table.keys[slot] = REMOVED  # probing goes on past it; a move leaves it behind
                    self.count -= 1
                    return True
        return False

    def _move_some(self) -> None:
        """Move the next few old slots. The probe of ``_Slots.find`` is written out here: an entry is
        never in both tables, so it only looks for an empty slot, and a call per slot would double the
        cost of a move that runs on every ``put`` while the table grows."""
        old = self._old
        assert old is not None
        new, floor = self._new, self.floor if old.capacity >= _DROP_FROM else _NO_FLOOR
        keys, values = old.keys, old.values
        new_keys, new_values, capacity = new.keys, new.values, new.capacity
        end = min(self._moved + _MOVE_SLOTS, old.capacity)
        moved = expired = 0
        for slot in range(self._moved, end):
            key = keys[slot]
            if key in (EMPTY, REMOVED):
                continue
            value = values[slot]
            keys[slot] = REMOVED
            if value < floor:
                expired += 1  # simply not moved
                continue
            target = key % capacity
            if new_keys[target] != EMPTY:
                step = (key >> 32) % (capacity - 1) + 1
                target = (target + step) % capacity
                while new_keys[target] != EMPTY:
                    target = (target + step) % capacity
            new_keys[target] = key
            new_values[target] = value
            moved += 1
        new.used += moved
        self.count -= expired
        self._moved = end
        if end == old.capacity:
            self._old = None
