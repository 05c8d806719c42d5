"""Many accounts: each costs little memory and no memory mapping of its own, and past
``[general] max_accounts`` the events of a new account are rejected (counted, with the reason in words),
never an exception, while the accounts already held go on.

The expected accounts and counts follow from the files built here: account ``acct-N`` first appears on
row N, so a limit of L holds the first L of them and rejects every row of the others.
"""

from __future__ import annotations

import csv
import gc
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sellerpulse.core.assembly import engine_from_config
from sellerpulse.core.config import ConfigError, loads_config
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR, format_instant, parse_instant

START = parse_instant("2026-11-01T10:00:00Z")
AT = "2026-11-20T12:00:00Z"


def orders(accounts: range, per_account: int = 1) -> Iterator[Event]:
    """For each account, ``per_account`` orders placed, shipped and delivered (three events each)."""
    for a in accounts:
        account = f"acct-{a:06d}"
        for o in range(per_account):
            oid = f"O-{a}-{o}"
            placed = START + o * US_PER_HOUR
            ship_by, deliver_by = placed + 2 * US_PER_DAY, placed + 5 * US_PER_DAY
            yield Event(
                placed, "order_placed", account, oid, f"{oid}p", ship_by=ship_by, deliver_by=deliver_by
            )
            yield Event(placed + US_PER_DAY, "order_shipped", account, oid, f"{oid}s", tracking="1Z")
            yield Event(placed + 3 * US_PER_DAY, "order_delivered", account, oid, f"{oid}d")


def mappings() -> int:
    with open("/proc/self/maps") as maps:
        return sum(1 for _ in maps)


def rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc (Linux)")
def test_many_accounts_take_no_memory_mapping_each_and_little_memory():
    """Every table of an account used to be a memory mapping of its own (six an account: the kernel's
    limit of 65,530 ran out at 11,000 accounts) and an account cost 63 KB."""
    count = 1500
    gc.collect()
    maps_before, rss_before = mappings(), rss()
    engine = Engine(max_accounts=count)
    engine.ingest(orders(range(count), per_account=2))
    gc.collect()
    assert len(engine.accounts) == count and engine.applied == count * 6
    assert mappings() - maps_before < 20  # the interpreter's own arenas, not one per account
    assert (rss() - rss_before) / count < 40_000


def test_past_the_limit_events_of_new_accounts_are_rejected_and_held_accounts_go_on(caplog):
    engine = Engine(max_accounts=3, account_timezones={"named": "Europe/Berlin"})
    with caplog.at_level(logging.WARNING, "sellerpulse.engine"):
        assert engine.ingest(orders(range(5))) == 9  # accounts 0, 1, 2
    assert caplog.messages == [
        "account limit 3 reached; raise [general] max_accounts: the events of account 'acct-000003' and of"
        " any further new account are rejected"
    ]
    assert engine.accounts == ["acct-000000", "acct-000001", "acct-000002"]
    assert engine.rejected == {"account limit 3 reached; raise [general] max_accounts": 6}
    # an account held goes on, a new one is still rejected, one the config names is admitted
    later = START + 4 * US_PER_DAY
    assert engine.apply(Event(later, "order_placed", "acct-000001", "late", "late-p"))
    assert not engine.apply(Event(later, "order_placed", "acct-000004", "late", "late-p"))
    assert engine.apply(Event(later, "order_placed", "named", "late", "late-p"))
    assert engine.rejected == {"account limit 3 reached; raise [general] max_accounts": 7}
    assert engine.duplicates == 0
    snapshot = engine.snapshot(START + 5 * US_PER_DAY)
    assert sorted(snapshot.accounts) == ["acct-000000", "acct-000001", "acct-000002", "named"]
    assert snapshot.accounts["acct-000001"].orders_held == 2
    assert snapshot.rejected == engine.rejected


def test_the_limit_comes_from_the_config():
    config = loads_config("[general]\nmax_accounts = 7\n")
    assert engine_from_config(config).max_accounts == 7
    assert engine_from_config(loads_config("")).max_accounts == Engine().max_accounts == 1000
    for bad in ("0", "-1", "2.5", "true", '"many"'):
        with pytest.raises(ConfigError, match=r"general\.max_accounts must be a whole number of at least 1"):
            loads_config(f"[general]\nmax_accounts = {bad}\n")


def test_report_on_a_file_of_100000_accounts_holds_the_first_and_counts_the_rest(tmp_path: Path):
    """A 10 MB file naming a new account on every row: it used to end in ``Cannot allocate memory``
    after 24 s and 590 MB."""
    events = tmp_path / "accounts.csv"
    with events.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("ts", "kind", "order_id", "account", "event_id", "ship_by", "deliver_by"))
        placed = format_instant(START)
        ship_by, deliver_by = format_instant(START + 2 * US_PER_DAY), format_instant(START + 5 * US_PER_DAY)
        for a in range(100_000):
            writer.writerow((placed, "order_placed", f"O-{a}", f"acct-{a:06d}", f"e{a}", ship_by, deliver_by))
    assert events.stat().st_size > 5_000_000
    config = tmp_path / "sellerpulse.toml"
    config.write_text("[general]\nmax_accounts = 50\n")
    done = subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "report", "--config", str(config), "--events", str(events),
         "--at", AT, "--format", "json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("account limit 50 reached; raise [general] max_accounts") == 1
    report = json.loads(done.stdout)
    assert sorted(report["accounts"]) == [f"acct-{a:06d}" for a in range(50)]
    assert report["rejected"] == [
        {"source": "account limit 50 reached; raise [general] max_accounts", "count": 99_950},
        {"source": "accounts.csv", "count": 0},
    ]
    assert report["accounts"]["acct-000049"]["queues"]["orders_to_ship"]["overdue"] == 1
