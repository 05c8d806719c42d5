"""Ids already seen in an account (applied event ids; evicted orders), kept compactly for a horizon.

A ``set`` of id strings costs ~100 bytes an id, and a seller emits several events per order, so the
dedup memory would dwarf the order state. Here an id is its seeded 64-bit hash in a :class:`HashTable`
with the day it was seen (for expiry): about 16 bytes an id. Two distinct ids with equal 64-bit hashes
would be confused; among ten million ids the chance is about 3 in a million, and the engine's random
seed keeps a source from choosing ids that collide on purpose.
"""

from __future__ import annotations

from typing import Any

from .hashtable import HashTable, key_of

_DAY_SPAN = 0xFFFF  # days are stored as unsigned 16-bit offsets from the first day seen


class SeenIds:
    __slots__ = ("_base", "_cutoff_day", "_seed", "_table")

    def __init__(self, seed: int) -> None:
        self._seed = seed  # the engine's hash seed (see ``key_of``)
        self._table = HashTable("H")
        self._base: int | None = None
        self._cutoff_day = -(2**31)

    @property
    def cutoff_day(self) -> int:
        return self._cutoff_day

    @cutoff_day.setter
    def cutoff_day(self, day: int) -> None:
        """Ids seen before ``day`` are dropped as the table moves them into a larger one."""
        self._cutoff_day = day
        if self._base is not None:
            self._table.floor = day - self._base

    def __getstate__(self) -> tuple[Any, ...]:
        return (self._seed, self._table, self._base, self._cutoff_day)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self._seed, self._table, self._base, self._cutoff_day = state

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, event_id: str) -> bool:
        return key_of(event_id, self._seed) in self._table

    def add(self, event_id: str, day: int) -> bool:
        """Remember ``event_id``; False when it was already there (a duplicate)."""
        if self._base is None:
            self._base = day - 1024
            self.cutoff_day = self._cutoff_day
        return self._table.put(key_of(event_id, self._seed), min(max(day - self._base, 0), _DAY_SPAN))
