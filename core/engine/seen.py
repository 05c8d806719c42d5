"""Ids already seen in an account (applied event ids; evicted orders), kept compactly for a horizon.

A ``set`` of id strings costs ~100 bytes an id, and a seller emits several events per order, so the
dedup memory would dwarf the order state. Here an id is its 64-bit hash in a :class:`HashTable` with the
day it was seen (for expiry): about 16 bytes an id. Two distinct ids with equal 64-bit hashes would be
confused; among ten million ids the chance is about 3 in a million.
"""

from __future__ import annotations

from .hashtable import HashTable, key_of

_DAY_SPAN = 0xFFFF  # days are stored as unsigned 16-bit offsets from the first day seen


class SeenIds:
    __slots__ = ("_base", "_table", "cutoff_day")

    def __init__(self) -> None:
        # ids seen before ``cutoff_day`` are dropped as the table moves them into a larger one
        self._table = HashTable("H", keep=lambda offset: offset + (self._base or 0) >= self.cutoff_day)
        self._base: int | None = None
        self.cutoff_day = -(2**31)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, event_id: str) -> bool:
        return key_of(event_id) in self._table

    def add(self, event_id: str, day: int) -> bool:
        """Remember ``event_id``; False when it was already there (a duplicate)."""
        if self._base is None:
            self._base = day - 1024
        return self._table.put(key_of(event_id), min(max(day - self._base, 0), _DAY_SPAN))
