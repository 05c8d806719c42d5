"""Ids already seen in an account (applied event ids; evicted orders), kept compactly for a horizon.

A ``set`` of id strings costs ~100 bytes an id, and a seller emits several events per order, so the
dedup memory would dwarf the order state. Here an id is its 64-bit hash in an open-addressing table
of ``array('q')`` (plus the day it was seen, for eviction): ~20 bytes an id. Two distinct ids with
equal 64-bit hashes would be confused; among ten million ids the chance is about 3 in a million.

The table grows incrementally: a full table becomes read-only and its entries move into a larger one a
few at a time, on each ``add``, so no single event pays for rehashing millions of ids (the interpreter
is shared with the dashboard, where a one-second pause is a frozen screen).
"""

from __future__ import annotations

from array import array

_MIN_CAPACITY = 1 << 10
_EMPTY = 0
_MOVE_SLOTS = 16  # old slots moved per add while growing: the move ends long before the new table fills


class _Table:
    __slots__ = ("count", "days", "keys", "mask")

    def __init__(self, capacity: int) -> None:
        self.keys = array("q", bytes(8 * capacity))
        self.days = array("H", bytes(2 * capacity))
        self.mask = capacity - 1
        self.count = 0

    def find(self, key: int) -> int:
        """The slot holding ``key``, or the empty slot where it would go (as ``-1 - slot``)."""
        keys, mask = self.keys, self.mask
        slot = key & mask
        while True:
            found = keys[slot]
            if found == key:
                return slot
            if found == _EMPTY:
                return -1 - slot
            slot = (slot + 1) & mask

    def put(self, slot: int, key: int, day: int) -> None:
        self.keys[slot] = key
        self.days[slot] = day
        self.count += 1


class SeenIds:
    __slots__ = ("_base", "_moved", "_new", "_old", "cutoff_day")

    def __init__(self) -> None:
        self._new = _Table(_MIN_CAPACITY)
        self._old: _Table | None = None  # the table being emptied into ``_new`` while growing
        self._moved = 0  # slots of ``_old`` already moved
        self._base: int | None = None  # days are stored as offsets from the first day seen
        self.cutoff_day = -(2**31)  # ids seen before this day are dropped when moved to a new table

    def __len__(self) -> int:
        return self._new.count + (self._old.count if self._old is not None else 0)

    def __contains__(self, event_id: str) -> bool:
        key = hash(event_id) or 1
        return self._new.find(key) >= 0 or (self._old is not None and self._old.find(key) >= 0)

    def add(self, event_id: str, day: int) -> bool:
        """Remember ``event_id``; False when it was already there (a duplicate)."""
        key = hash(event_id) or 1
        if self._old is not None:
            if self._old.find(key) >= 0:
                return False
            self._move_some()
        slot = self._new.find(key)
        if slot >= 0:
            return False
        if self._base is None:
            self._base = day - 1024
        self._new.put(-1 - slot, key, min(max(day - self._base, 0), 0xFFFF))
        if self._old is None and self._new.count * 10 > (self._new.mask + 1) * 6:
            self._grow()
        return True

    def _grow(self) -> None:
        """Start moving into a table twice the size; expired ids are left behind on the way."""
        full = self._new
        self._old = full
        self._new = _Table((full.mask + 1) * 2)
        self._moved = 0

    def _move_some(self) -> None:
        old = self._old
        assert old is not None
        cutoff = self.cutoff_day - (self._base or 0)
        keys, days, size = old.keys, old.days, old.mask + 1
        end = min(self._moved + _MOVE_SLOTS, size)
        for slot in range(self._moved, end):
            key = keys[slot]
            if key != _EMPTY:
                old.count -= 1
                if days[slot] >= cutoff:  # expired ids are simply not moved
                    target = self._new.find(key)
                    if target < 0:
                        self._new.put(-1 - target, key, days[slot])
        self._moved = end
        if end == size:
            self._old = None
