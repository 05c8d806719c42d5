"""Ids already seen in an account (applied event ids; evicted orders), kept compactly for a horizon.

A ``set`` of id strings costs ~100 bytes an id, and a seller emits several events per order, so the
dedup memory would dwarf the order state. Here an id is its 64-bit hash in an open-addressing table
of ``array('q')`` (plus the day it was seen, for eviction): ~20 bytes an id. Two distinct ids with
equal 64-bit hashes would be confused; among ten million ids the chance is about 3 in a million.
"""

from __future__ import annotations

from array import array

_MIN_CAPACITY = 1 << 10
_EMPTY = 0


class SeenIds:
    __slots__ = ("_base", "_count", "_days", "_keys", "_mask", "cutoff_day")

    def __init__(self) -> None:
        self._keys = array("q", bytes(8 * _MIN_CAPACITY))
        self._days = array("H", bytes(2 * _MIN_CAPACITY))
        self._mask = _MIN_CAPACITY - 1
        self._count = 0
        self._base: int | None = None  # days are stored as offsets from the first day seen
        self.cutoff_day = -(2**31)  # ids seen before this day are forgotten at the next resize

    def __len__(self) -> int:
        return self._count

    def __contains__(self, event_id: str) -> bool:
        key = hash(event_id) or 1
        keys, mask = self._keys, self._mask
        slot = key & mask
        while True:
            found = keys[slot]
            if found == _EMPTY:
                return False
            if found == key:
                return True
            slot = (slot + 1) & mask

    def add(self, event_id: str, day: int) -> bool:
        """Remember ``event_id``; False when it was already there (a duplicate)."""
        key = hash(event_id) or 1
        keys = self._keys
        mask = self._mask
        slot = key & mask
        while True:
            found = keys[slot]
            if found == _EMPTY:
                break
            if found == key:
                return False
            slot = (slot + 1) & mask
        if self._base is None:
            self._base = day - 1024
        keys[slot] = key
        self._days[slot] = min(max(day - self._base, 0), 0xFFFF)
        self._count += 1
        if self._count * 10 > (mask + 1) * 6:
            self._resize()
        return True

    def _resize(self) -> None:
        """Rebuild, dropping ids older than ``cutoff_day``; grow only if the live ids need it."""
        base = self._base or 0
        cutoff = self.cutoff_day - base
        live = [(k, d) for k, d in zip(self._keys, self._days, strict=True) if k != _EMPTY and d >= cutoff]
        capacity = _MIN_CAPACITY
        while len(live) * 10 > capacity * 4:
            capacity <<= 1
        keys = array("q", bytes(8 * capacity))
        days = array("H", bytes(2 * capacity))
        mask = capacity - 1
        for key, day in live:
            slot = key & mask
            while keys[slot] != _EMPTY:
                slot = (slot + 1) & mask
            keys[slot] = key
            days[slot] = day
        self._keys, self._days, self._mask, self._count = keys, days, mask, len(live)
