"""Order ids to row numbers and back, in about 40 bytes an id instead of a dict's 130.

The index hands out the rows (reusing freed ones) so that a table's columns line up with it. An id's
text is kept in a fixed-width byte slot of its row, and its hash in a :class:`HashTable`; a lookup
compares the stored text, so two ids that share a 64-bit hash are still told apart (the second one
lives in a small side dict). Hashes are seeded with the engine's seed (see ``key_of``).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from .hashtable import HashTable, key_of

WIDTH = 20  # bytes of id text kept in the row: Amazon's 19 and Walmart's 15 fit; longer ids go to ``_long``
_FREE = 0  # length of a row with no id
_LONG = 255  # length of a row whose id did not fit in ``WIDTH`` bytes


class IdIndex:
    __slots__ = ("_collided", "_free", "_lengths", "_long", "_names", "_seed", "_table")

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._table = HashTable("i")
        self._names = bytearray()  # WIDTH bytes a row
        self._lengths = array("B")  # the id's length in bytes, or _FREE / _LONG
        self._long: dict[int, str] = {}  # row -> id, for ids longer than WIDTH bytes
        self._collided: dict[str, int] = {}  # id -> row, for ids whose hash another id already has
        self._free = array("i")

    def __len__(self) -> int:
        return len(self._table) + len(self._collided)

    def get(self, order_id: str) -> int | None:
        row = self._table.get(key_of(order_id, self._seed))
        if row >= 0 and self.id_of(row) == order_id:
            return row
        return self._collided.get(order_id) if self._collided else None

    def __contains__(self, order_id: str) -> bool:
        return self.get(order_id) is not None

    def __getitem__(self, order_id: str) -> int:
        row = self.get(order_id)
        if row is None:
            raise KeyError(order_id)
        return row

    def add(self, order_id: str) -> int:
        """The row of a new id (one not in the index: callers ``get`` first)."""
        if self._free:
            row = self._free.pop()
        else:
            row = len(self._lengths)
            self._lengths.append(_FREE)
            self._names += bytes(WIDTH)
        data = order_id.encode()
        if len(data) <= WIDTH and b"\0" not in data:
            start = row * WIDTH
            self._names[start : start + len(data)] = data
            self._lengths[row] = len(data)
        else:
            self._long[row] = order_id
            self._lengths[row] = _LONG
        if not self._table.put(key_of(order_id, self._seed), row):
            self._collided[order_id] = row
        return row

    def remove(self, order_id: str) -> int:
        """Forget an id in the index; its row, now free for reuse."""
        row = self._collided.pop(order_id, None)
        if row is None:
            key = key_of(order_id, self._seed)
            row = self._table.get(key)
            self._table.remove(key)
        start = row * WIDTH
        self._names[start : start + WIDTH] = bytes(WIDTH)
        self._lengths[row] = _FREE
        self._long.pop(row, None)
        self._free.append(row)
        return row

    def id_of(self, row: int) -> str:
        length = self._lengths[row]
        if length == _LONG:
            return self._long[row]
        start = row * WIDTH
        return self._names[start : start + length].decode()

    def items(self) -> Iterator[tuple[str, int]]:
        """Every (id, row), in row order: a scan for the rare whole-table reads (drill-downs)."""
        for row, length in enumerate(self._lengths):
            if length != _FREE:
                yield self.id_of(row), row
