"""An engine's state as bytes and back, so a restart loads it instead of replaying a year of events.

The journal of applied events stays the truth (see ``core/checkpoint.py``); a saved state is a cache
of what replaying it gives, and anything doubtful about one makes :func:`load` refuse it (then the
journal is replayed in full). Layout::

    MAGIC, a 4-byte header length, a JSON header, a pickled body

The header carries :data:`FORMAT_VERSION` (a state of another version is refused), the id hash seed,
each account's profile and time zone (which come from the config at start: a state built with others
is refused), and an xxh3-128 digest of the body (a damaged one is refused before unpickling).

The version says what the body's objects are and mean; nothing else about the code does, so an edit
that leaves them alone (a comment, a reformat, a faster method) keeps loading the states saved before
it instead of forcing a full replay (a minute and a half at a million orders). **Bump FORMAT_VERSION
whenever what is saved changes**: a field added to, removed from or renamed in an account
(:data:`DATA_FIELDS`) or in any class the body holds (:data:`_ALLOWED`), an array's type, or the
meaning of a stored value. ``tests/test_state_format.py`` records the saved layout and fails, asking
for the bump, when it changes.

The body is a pickle, because it writes and reads hundreds of megabytes of arrays and small objects
fastest. Pickle runs code named in the data, so a body is read only when the header checks out and
then only through an unpickler that builds nothing but the engine's own classes, arrays and builtin
containers; and sellerpulse reads states only from the user's own state file (the same trust as the
config file, which can already run commands).

What is saved of an account is its data (:data:`DATA_FIELDS`) and the day buckets of its series; what
its profile and clock determine is rebuilt from the config (:data:`DERIVED_FIELDS`). Every attribute
of an account must be in one of the two lists, or saving fails: a new field cannot be silently lost.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
from typing import Any

from xxhash import xxh3_128_hexdigest

from ..timeutil import DayClock
from .account import AccountState

MAGIC = b"sellerpulse engine state\n"
# 1: checked against a digest of the engine's source as well; 2: the version alone decides;
# 3: orders keep which placement gave each field (one order, several sources); 4: orders keep their
# refunds' reasons, and a flag for a case lost; 5: orders keep Valid Tracking's shipment where it is not
# the first (a shipment's tracking may be unknown)
FORMAT_VERSION = 5
_LENGTH = struct.Struct(">I")

DATA_FIELDS = (
    "orders", "order_claims", "order_chargebacks", "claims", "chargebacks", "messages", "returns",
    "violations", "orphans_by_order", "orphans_by_ref", "orphan_count", "seen", "placed_by_day", "gone",
    "gone_feedback", "watermark", "_next_eviction", "cutoffs", "queues",
)  # fmt: skip
DERIVED_FIELDS = (
    "name", "profile", "days", "series", "_message_series", "_return_series", "_violation_series",
    "_order_groups", "_all_orders", "_feedback_days", "_feedback_score_series", "_no_order_outcomes",
    "_queue_hours", "retention_days", "_handlers", "_volume",
)  # fmt: skip
_SERIES_FIELDS = ("pop", "bad", "amount", "pending")

# what the body may build: the engine's classes, arrays, events (held orphans)
_ALLOWED = {
    ("array", "_array_reconstructor"),
    ("array", "array"),
    ("sellerpulse.core.events", "Event"),
    ("sellerpulse.core.engine.hashtable", "HashTable"),
    ("sellerpulse.core.engine.hashtable", "_Slots"),
    ("sellerpulse.core.engine.id_index", "IdIndex"),
    ("sellerpulse.core.engine.seen", "SeenIds"),
    ("sellerpulse.core.engine.orders", "OrderTable"),
    ("sellerpulse.core.engine.deadlines", "DeadlineIndex"),
    ("sellerpulse.core.engine.records", "Message"),
    ("sellerpulse.core.engine.records", "Claim"),
    ("sellerpulse.core.engine.records", "Chargeback"),
    ("sellerpulse.core.engine.records", "Return"),
    ("sellerpulse.core.engine.records", "Violation"),
}


class StateFileError(ValueError):
    """A saved state this engine will not load; the message says why (the journal is replayed instead)."""


def profile_digest(profile: Any) -> str:
    """A digest of a profile's settings (its repr: a frozen dataclass of plain values, in order)."""
    return hashlib.sha256(repr(profile).encode()).hexdigest()


def dump(engine: Any) -> bytes:
    """The engine's state as bytes. Nothing may change the engine meanwhile (callers stop ingest)."""
    accounts = {}
    for name, acc in engine._accounts.items():
        unknown = set(vars(acc)) - set(DATA_FIELDS) - set(DERIVED_FIELDS)
        if unknown:
            raise StateFileError(f"account fields not covered by the saved state: {sorted(unknown)}")
        series = [
            (s.rule, s.pending_counts, *(getattr(s, f) for f in _SERIES_FIELDS)) for s in _unique_series(acc)
        ]
        accounts[name] = ({field: getattr(acc, field) for field in DATA_FIELDS}, series)
    body = pickle.dumps(
        {"accounts": accounts, "applied": engine.applied, "duplicates": engine.duplicates,
         "rejected": dict(engine.rejected)},
        protocol=pickle.HIGHEST_PROTOCOL,
    )  # fmt: skip
    header = json.dumps({
        "format": FORMAT_VERSION,
        "seed": engine.seed,
        "accounts": {
            name: {"profile": profile_digest(acc.profile), "timezone": acc.days.name}
            for name, acc in engine._accounts.items()
        },
        "body": xxh3_128_hexdigest(body),
    }).encode()  # fmt: skip
    return b"".join((MAGIC, _LENGTH.pack(len(header)), header, body))


class Loaded:
    """A state read by :func:`load`, not yet in the engine: :meth:`install` puts it there at once (a
    few assignments, so a UI sharing the engine never sees half of it)."""

    def __init__(self, seed: int, accounts: dict[str, AccountState], counters: dict[str, Any]) -> None:
        self.seed = seed
        self.accounts = accounts
        self.counters = counters

    def install(self, engine: Any) -> None:
        if engine._accounts or engine.applied or engine.duplicates:
            raise StateFileError("the engine is not empty")
        engine.seed = self.seed
        engine._accounts = self.accounts
        engine.applied = self.counters["applied"]
        engine.duplicates = self.counters["duplicates"]
        for source, count in self.counters["rejected"].items():
            engine.rejected[source] = engine.rejected.get(source, 0) + count


def load(engine: Any, data: bytes) -> Loaded:
    """Read a state saved by :func:`dump` for ``engine`` (which it does not change; see
    :meth:`Loaded.install`). :class:`StateFileError` when it is of another format version, was built
    with other profiles or time zones than ``engine`` gives its accounts, or is damaged."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _LENGTH.size:
        raise StateFileError("not a saved engine state")
    start = len(MAGIC) + _LENGTH.size
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    try:
        header = json.loads(data[start : start + length])
        fmt, seed, saved, digest = header["format"], header["seed"], header["accounts"], header["body"]
    except (ValueError, KeyError, TypeError) as exc:
        raise StateFileError(f"unreadable header ({exc})") from None
    if fmt != FORMAT_VERSION:
        raise StateFileError(
            f"saved by another version of sellerpulse (format {fmt}, this sellerpulse reads format "
            f"{FORMAT_VERSION})"
        )
    body = memoryview(data)[start + length :]
    if xxh3_128_hexdigest(body) != digest:
        raise StateFileError("damaged (its digest does not match)")
    if not isinstance(seed, int) or not isinstance(saved, dict):
        raise StateFileError("unreadable header")
    settings = {}
    for name, entry in saved.items():
        profile = engine.account_profiles.get(name, engine.profile)
        zone = engine.account_timezones.get(name, engine.timezone)
        if not isinstance(entry, dict) or entry.get("profile") != profile_digest(profile):
            raise StateFileError(f"account {name!r} was saved with another profile than the config gives")
        if entry.get("timezone") != zone:
            raise StateFileError(
                f"account {name!r} was saved in time zone {entry.get('timezone')!r}, not {zone!r}"
            )
        settings[name] = (profile, zone)
    try:
        payload = _Unpickler(io.BytesIO(body)).load()
        accounts = {}
        clocks: dict[str, DayClock] = {}
        for name, (fields, series) in payload["accounts"].items():
            profile, zone = settings[name]
            clock = clocks.get(zone) or clocks.setdefault(zone, DayClock(zone))
            accounts[name] = _account(name, profile, clock, seed, fields, series)
        counters = {key: payload[key] for key in ("applied", "duplicates", "rejected")}
    except StateFileError:
        raise
    except Exception as exc:  # a body that passed the digest yet does not fit: another layout
        raise StateFileError(f"unreadable body ({type(exc).__name__}: {exc})") from None
    return Loaded(seed, accounts, counters)


def _account(
    name: str, profile: Any, clock: DayClock, seed: int, fields: dict[str, Any], series: list[tuple]
) -> AccountState:
    acc = AccountState(name, profile, clock, seed)
    if set(fields) != set(DATA_FIELDS):
        raise StateFileError(f"account {name!r}: other fields than this engine keeps")
    for field, value in fields.items():
        setattr(acc, field, value)
    targets = _unique_series(acc)
    if [(s.rule, s.pending_counts) for s in targets] != [tuple(saved[:2]) for saved in series]:
        raise StateFileError(f"account {name!r}: other series than its profile gives")
    for target, saved in zip(targets, series, strict=True):
        for field, value in zip(_SERIES_FIELDS, saved[2:], strict=True):
            setattr(target, field, value)
    return acc


def _unique_series(acc: AccountState) -> list[Any]:
    """An account's series, each once (metrics with one rule share one), in profile order, then those
    that count orders for a period's window."""
    return list({id(s): s for s in (*acc.series.values(), *acc._volume.values())}.values())


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise StateFileError(f"the saved state names {module}.{name}, which it may not")
        return super().find_class(module, name)
