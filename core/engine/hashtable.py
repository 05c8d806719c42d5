"""An open-addressing table from 64-bit id hashes to one small integer each, growing a little at a time.

Why not a ``dict``: keyed by id strings, a dict costs about 130 bytes an entry at a million entries (the
key string, the value int, the entry and its index slot). Here a slot is the hash in an ``array('q')``
plus the value in a second array (8 + 2 or 4 bytes), kept between half and three quarters full.

Why a little at a time: the interpreter is shared with the dashboard, and rehashing millions of slots in
one go would freeze the screen for a second. A full table becomes the "old" one; each ``put`` moves a
few of its slots into a table twice the size of its live entries, so every entry is in exactly one of
the two.

Keys are ``hash(text)``; 0 marks an empty slot and -1 (a value ``hash`` never returns) a removed one.
Capacities are primes, so a slot is ``key % capacity``; Python's string hash spreads keys over every
bit, so that is as good as masking.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Callable

EMPTY = 0
REMOVED = -1
_MIN_CAPACITY = 1021  # a prime
_MAX_LOAD = 0.75  # live and removed slots over capacity before the table grows
_FRESH_LOAD = 0.5  # how full a new table starts (it grows again at three quarters)
_MOVE_SLOTS = 128  # old slots moved per put: a few microseconds, and the two tables overlap briefly


def key_of(text: str) -> int:
    """The table key of an id: its string hash, never 0 (empty); ``hash`` itself never gives -1."""
    return hash(text) or 1


class _Slots:
    __slots__ = ("capacity", "keys", "limit", "used", "values")

    def __init__(self, capacity: int, typecode: str) -> None:
        self.capacity = capacity
        self.keys = _zeros("q", capacity)
        self.values = _zeros(typecode, capacity)
        self.used = 0  # live and removed slots: what probing lengths depend on
        self.limit = int(capacity * _MAX_LOAD)

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


def _zeros(typecode: str, length: int) -> memoryview:
    """A zeroed array of its own memory mapping, so that a table dropped after a move goes back to the
    system at once (freed through ``malloc``, tens of megabytes would stay in the process's heap)."""
    return memoryview(mmap.mmap(-1, array(typecode).itemsize * length)).cast(typecode)


class HashTable:
    """``key -> value`` for int keys from :func:`key_of`, values of an ``array`` typecode.

    ``keep(value)``, when given, is asked for each entry as it moves to a larger table; entries it
    refuses are dropped on the way (how the dedup ids of expired days go without a scan of their own).
    """

    __slots__ = ("_keep", "_moved", "_new", "_old", "_typecode", "count")

    def __init__(self, typecode: str, keep: Callable[[int], bool] | None = None) -> None:
        self._typecode = typecode
        self._keep = keep
        self._new = _Slots(_MIN_CAPACITY, typecode)
        self._old: _Slots | None = None  # the table being emptied into ``_new`` while growing
        self._moved = 0  # slots of ``_old`` already moved
        self.count = 0

    def __len__(self) -> int:
        return self.count

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
            # sized by the live entries, so removals make room instead of making the table grow
            self._old = new
            self._new = _Slots(_prime_from(max(_MIN_CAPACITY, int(self.count / _FRESH_LOAD))), self._typecode)
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

    def values(self) -> list[int]:
        """Every live value (a scan of the slots: for the rare whole-table reads)."""
        out = []
        for table in (self._new, self._old):
            if table is not None:
                out.extend(
                    v for k, v in zip(table.keys, table.values, strict=True) if k not in (EMPTY, REMOVED)
                )
        return out

    def _move_some(self) -> None:
        old = self._old
        assert old is not None
        new, keep = self._new, self._keep
        keys, values = old.keys, old.values
        end = min(self._moved + _MOVE_SLOTS, old.capacity)
        for slot in range(self._moved, end):
            key = keys[slot]
            if key in (EMPTY, REMOVED):
                continue
            value = values[slot]
            keys[slot] = REMOVED
            if keep is not None and not keep(value):
                self.count -= 1  # expired: simply not moved
                continue
            target = -1 - new.find(key)
            new.keys[target] = key
            new.values[target] = value
            new.used += 1
        self._moved = end
        if end == old.capacity:
            self._old = None
