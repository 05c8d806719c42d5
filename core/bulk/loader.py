"""Many events already on disk into the engine at once, leaving exactly the state that applying them one
by one would (issue 14).

The incremental engine applies every event as a change: it computes the outcomes of the order before
and after and moves the difference between day buckets, about 76 Python calls an event. For a file, a
journal or a backlog that is wasted work: most events are about orders, and an order's state is a set of
order-independent reductions (:mod:`.fold`). Here each slice of events is deduplicated by event id in
stream order, the events of each order are folded to its end state, and each order is added to the
account once (``AccountState.load_order``), its outcomes computed by the engine's own
``order_outcomes``; every other event goes through the engine's handlers, in stream order.

When folding is exact, and when it is not (then the slice goes through the engine one event at a time):

- An account qualifies while every event it ever received lies inside the retention of its latest one:
  then no eviction has dropped or will drop anything, and no event was let go for being too old, so
  the order of arrival cannot matter through them. The loader remembers each account's earliest event;
  an account it first meets must be new to the engine.
- An order is folded only if the slice places it, it is new to the account, nothing is held for it
  (orphans that a placement would release), and no claim, chargeback or return of the slice opens on
  it: those depend on whether the order was there when they arrived, so the order and they go through
  the engine in stream order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from ..engine import Engine
from ..engine.account import AccountState
from ..engine.orders import INF_TS, NO_TS
from ..events import Event
from .fold import ORDER_KINDS, FoldedOrder

# Events taken into memory at once: about 20 MB of Event objects, and a slice's progress is reported.
SLICE = 50_000

# events that open a case or a return on an order (its presence when they arrive decides them)
_OPEN_ON_ORDER = frozenset({"claim_opened", "chargeback_opened", "return_requested"})


class BulkLoader:
    """Feeds an :class:`Engine` events in slices; one loader for one run of reading (a report, a journal
    replay, a source's backlog), since it remembers which accounts are still exact to fold.

    ``folded`` counts the events that went through the fold, ``applied`` those applied one by one
    (both without duplicates)."""

    def __init__(
        self, engine: Engine, progress: Callable[[int], None] | None = None, slice_events: int = SLICE
    ) -> None:
        self.engine = engine
        self.progress = progress  # told the running count of events read after each slice
        self.slice_events = slice_events
        self.folded = 0
        self.applied = 0
        self._earliest: dict[str, int] = {}  # account -> its earliest event, while it qualifies
        # the engine's count of events when this loader last fed it: another feeder since (a live source)
        # means events this loader did not see, whose order it cannot know; from then on, one by one
        self._left_at = engine.applied + engine.duplicates
        self._shared = False
        self._unfit: set[str] = set()  # accounts that no longer qualify
        self._read = 0

    def ingest(self, events: Iterable[Event]) -> int:
        """Apply ``events`` in slices; returns how many were new, as ``Engine.ingest``."""
        new = 0
        it = iter(events)
        while chunk := list(islice(it, self.slice_events)):
            new += self.ingest_slice(chunk)
        return new

    def ingest_slice(self, events: list[Event]) -> int:
        """Apply one slice held in memory; returns how many events were new."""
        if self.engine.applied + self.engine.duplicates != self._left_at:
            self._shared = True
        by_account: dict[str, list[Event]] = {}
        admit = self.engine.admit
        for event in events:  # the account limit admits accounts in stream order, as ``Engine.ingest``
            acc = admit(event.account)
            if acc is not None:
                by_account.setdefault(acc.name, []).append(event)
        new = 0
        for name, account_events in by_account.items():
            acc = self.engine.account(name)
            if self._qualifies(acc, account_events):
                new += self._fold(acc, account_events)
            else:
                new += self._one_by_one(acc, account_events)
        self.engine.applied += new
        self.engine.duplicates += sum(map(len, by_account.values())) - new
        self._left_at = self.engine.applied + self.engine.duplicates
        self._read += len(events)
        if self.progress is not None:
            self.progress(self._read)
        return new

    def _qualifies(self, acc: AccountState, events: list[Event]) -> bool:
        """Whether every event the account has had, these included, lies inside the retention of the
        latest (so nothing was or will be evicted or let go: see the module's doc)."""
        name = acc.name
        if name in self._unfit:
            return False
        earliest = self._earliest.get(name)
        if self._shared or (earliest is None and acc.watermark != NO_TS):
            self._unfit.add(name)  # it had events this loader did not see: their order is not known here
            return False
        lo = min(e.ts for e in events)
        hi = max(max(e.ts for e in events), acc.watermark)
        earliest = lo if earliest is None else min(earliest, lo)
        cutoff = acc.days.start(acc.days.day(hi) - acc.retention_days)
        if earliest < cutoff:
            self._unfit.add(name)
            self._earliest.pop(name, None)
            return False
        self._earliest[name] = earliest
        return True

    def _one_by_one(self, acc: AccountState, events: list[Event]) -> int:
        apply = acc.apply
        new = sum(1 for event in events if apply(event))
        self.applied += new
        return new

    def _fold(self, acc: AccountState, events: list[Event]) -> int:
        seen, day = acc.seen, acc.days.day
        kept = [e for e in events if not e.event_id or seen.add(e.event_id, day(e.ts))]
        folds: dict[str, FoldedOrder] = {}
        blocked: set[str] = set()
        for e in kept:
            if e.kind in ORDER_KINDS:
                fold = folds.get(e.order_id)
                if fold is None:
                    fold = folds[e.order_id] = FoldedOrder()
                fold.add(e)
            elif e.kind in _OPEN_ON_ORDER:
                blocked.add(e.order_id)
        index, held = acc.orders.index, acc.orphans_by_order
        loadable = {
            order_id: fold
            for order_id, fold in folds.items()
            if fold.placed != INF_TS
            and order_id not in blocked
            and order_id not in index
            and order_id not in held
        }
        latest = max((fold.latest for fold in loadable.values()), default=None)
        for order_id, fold in loadable.items():
            acc.load_order(order_id, fold)
        if latest is not None:
            acc.advance(latest)
        rest = [e for e in kept if e.kind not in ORDER_KINDS or e.order_id not in loadable]
        for e in rest:
            acc.apply_checked(e)
        self.folded += len(kept) - len(rest)
        self.applied += len(rest)
        return len(kept)
