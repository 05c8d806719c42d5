"""The simulated seller accounts: names, sizes, time zones, channel mix and marketplace.

An agency runs several stores of different sizes in different markets, so the demo shows accounts that
differ: a large US store that ships most orders itself, a mid-size EU store using the marketplace's
fulfilment for half its orders, and smaller ones. Sizes scale the ``orders_per_day`` option, which is the
largest account's average.

Each marketplace has its own pool of stores, and each store carries the profile it is judged by
(``amazon``, ``walmart``, ``ebay``): a Walmart store is judged by Walmart's standards, not Amazon's.
``mixed`` takes one store of each marketplace in turn, for one screen of accounts of different marketplaces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """One simulated store. ``prefix`` starts its order ids; ``mfn_share`` is the seller-fulfilled share;
    ``profile`` is the marketplace profile its metrics are judged by; ``valid_tracking`` the share of its
    shipments with valid tracking (a Walmart seller must keep 99 %)."""

    name: str
    prefix: str
    timezone: str
    size: float
    mfn_share: float
    profile: str = "amazon"
    valid_tracking: float = 0.985


POOL: tuple[AccountSpec, ...] = (
    AccountSpec("acme-us", "AC", "America/New_York", 1.0, 0.7),
    AccountSpec("bolt-eu", "BO", "Europe/Berlin", 0.45, 0.5),
    AccountSpec("cedar-uk", "CE", "Europe/London", 0.3, 0.8),
    AccountSpec("delta-jp", "DE", "Asia/Tokyo", 0.2, 0.4),
    AccountSpec("ember-ca", "EM", "America/Toronto", 0.15, 0.85),
    AccountSpec("fjord-au", "FJ", "Australia/Sydney", 0.1, 0.6),
)
# Walmart Marketplace sells in the US (some orders through Walmart Fulfillment Services); eBay sellers
# mostly ship their own orders, in many countries.
WALMART_POOL: tuple[AccountSpec, ...] = (
    AccountSpec("grove-wm", "GR", "America/Chicago", 0.6, 0.85, "walmart", 0.997),
    AccountSpec("harbor-wm", "HA", "America/Los_Angeles", 0.3, 0.7, "walmart", 0.997),
    AccountSpec("iris-wm", "IR", "America/New_York", 0.15, 0.9, "walmart", 0.997),
)
EBAY_POOL: tuple[AccountSpec, ...] = (
    AccountSpec("juniper-eb", "JU", "America/Denver", 0.45, 1.0, "ebay"),
    AccountSpec("kestrel-eb", "KE", "Europe/London", 0.25, 1.0, "ebay"),
    AccountSpec("lumen-eb", "LU", "Europe/Berlin", 0.12, 1.0, "ebay"),
)
POOLS: dict[str, tuple[AccountSpec, ...]] = {"amazon": POOL, "walmart": WALMART_POOL, "ebay": EBAY_POOL}
MIXED = "mixed"
MARKETPLACES = (*POOLS, MIXED)


def account_specs(
    count: int = 2, names: Sequence[str] = (), marketplace: str = "amazon"
) -> tuple[AccountSpec, ...]:
    """The accounts to simulate: the given names (in order), else the first ``count`` of the marketplace's
    pool (``mixed``: Amazon, Walmart, eBay, Amazon, ... in turn).

    A custom name borrows the size, zone, mix, profile and tracking of the pool entry at its position, and gets a
    prefix from its first letters, made unique with a number when two names start alike.
    """
    if marketplace not in MARKETPLACES:
        raise ValueError(f"unknown marketplace {marketplace!r} (one of {', '.join(MARKETPLACES)})")
    pool = _mixed_pool() if marketplace == MIXED else POOLS[marketplace]
    if names:
        if len(set(names)) != len(names):
            raise ValueError("account names must be distinct")
        specs = []
        used: set[str] = set()
        for index, name in enumerate(names):
            model = pool[index % len(pool)]
            letters = "".join(ch for ch in name if ch.isalnum()).upper()[:2] or "S"
            prefix = letters if letters not in used else f"{letters}{index}"
            used.add(prefix)
            specs.append(replace(model, name=name, prefix=prefix))
        return tuple(specs)
    if count < 1:
        raise ValueError("accounts must be at least 1")
    specs = list(pool[:count])
    for index in range(len(pool), count):
        model = pool[index % len(pool)]
        specs.append(replace(model, name=f"store-{index + 1}", prefix=f"S{index + 1}", size=0.1))
    return tuple(specs)


def _mixed_pool() -> tuple[AccountSpec, ...]:
    """One store of each marketplace in turn: the largest of each first."""
    return tuple(spec for row in zip(*POOLS.values(), strict=False) for spec in row)
