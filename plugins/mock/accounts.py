"""The simulated seller accounts: names, sizes, time zones and channel mix.

An agency runs several stores of different sizes in different markets, so the demo shows accounts that
differ: a large US store that ships most orders itself, a mid-size EU store using the marketplace's
fulfilment for half its orders, and smaller ones. Sizes scale the ``orders_per_day`` option, which is the
largest account's average.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """One simulated store. ``prefix`` starts its order ids; ``mfn_share`` is the seller-fulfilled share."""

    name: str
    prefix: str
    timezone: str
    size: float
    mfn_share: float


POOL: tuple[AccountSpec, ...] = (
    AccountSpec("acme-us", "AC", "America/New_York", 1.0, 0.7),
    AccountSpec("bolt-eu", "BO", "Europe/Berlin", 0.45, 0.5),
    AccountSpec("cedar-uk", "CE", "Europe/London", 0.3, 0.8),
    AccountSpec("delta-jp", "DE", "Asia/Tokyo", 0.2, 0.4),
    AccountSpec("ember-ca", "EM", "America/Toronto", 0.15, 0.85),
    AccountSpec("fjord-au", "FJ", "Australia/Sydney", 0.1, 0.6),
)


def account_specs(count: int = 2, names: Sequence[str] = ()) -> tuple[AccountSpec, ...]:
    """The accounts to simulate: the given names (in order), else the first ``count`` of the pool.

    A custom name borrows the size, zone and mix of the pool entry at its position, and gets a prefix
    from its first letters, made unique with a number when two names start alike.
    """
    if names:
        if len(set(names)) != len(names):
            raise ValueError("account names must be distinct")
        specs = []
        used: set[str] = set()
        for index, name in enumerate(names):
            model = POOL[index % len(POOL)]
            letters = "".join(ch for ch in name if ch.isalnum()).upper()[:2] or "S"
            prefix = letters if letters not in used else f"{letters}{index}"
            used.add(prefix)
            specs.append(AccountSpec(name, prefix, model.timezone, model.size, model.mfn_share))
        return tuple(specs)
    if count < 1:
        raise ValueError("accounts must be at least 1")
    specs = list(POOL[:count])
    for index in range(len(POOL), count):
        model = POOL[index % len(POOL)]
        specs.append(AccountSpec(f"store-{index + 1}", f"S{index + 1}", model.timezone, 0.1, model.mfn_share))
    return tuple(specs)
