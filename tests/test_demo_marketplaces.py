"""``sellerpulse demo --marketplace``: the simulated stores reach the engine, the alert rules and a saved
state each with its own marketplace's profile."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

from sellerpulse.core.alerts.setup import rules_from_config
from sellerpulse.core.assembly import adopt_source_accounts, engine_from_config
from sellerpulse.core.checkpoint import encode_events
from sellerpulse.core.config import load_config
from sellerpulse.core.options import validate_options
from sellerpulse.core.plugins import load_plugins
from sellerpulse.core.runtime import sources_from_config
from sellerpulse.core.state_store import StateStore
from sellerpulse.plugins.mock.generator import Marketplace
from sellerpulse.plugins.mock.source import MockSource
from sellerpulse.tui.commands.dashboard import demo_config
from sellerpulse.tui.commands.headless import engine_meta

START = "2026-11-20T12:00:00Z"
MIXED = {"acme-us": "amazon", "grove-wm": "walmart", "juniper-eb": "ebay"}


def mixed_source(backfill_days: int = 90) -> MockSource:
    options = {"marketplace": "mixed", "accounts": 3, "start": START, "backfill_days": backfill_days}
    return MockSource("mock", validate_options(MockSource.options, options, "demo"))


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / "cfg")},
    )  # fmt: skip


def test_the_demo_offers_each_marketplace(tmp_path):
    shown = cli("demo", "--help", cwd=tmp_path)
    assert "--marketplace {amazon,walmart,ebay,mixed}" in shown.stdout
    refused = cli("demo", "--marketplace", "etsy", cwd=tmp_path)
    assert refused.returncode == 64 and "invalid choice: 'etsy'" in refused.stderr


def test_a_mixed_demo_judges_each_store_by_its_own_marketplace_and_alerts_on_its_own_metrics():
    source = mixed_source()
    config = demo_config(source)
    engine = engine_from_config(config)
    assert {name: engine.account_profiles[name].name for name in MIXED} == MIXED
    assert {name: engine.account_timezones[name] for name in MIXED} == source.timezones
    rules = {rule.name: rule for rule in rules_from_config(config)}
    assert rules["odr-breach"].profiles == ("amazon",)
    assert rules["cancel_rate-breach"].profiles == ("walmart",)
    assert rules["tdr-breach"].profiles == ("ebay",)


def test_report_reads_a_mixed_demo_state_with_each_accounts_profile(tmp_path):
    source = mixed_source(backfill_days=20)
    engine = engine_from_config(demo_config(source))
    market = Marketplace(seed=7, start=source.start, accounts=source.specs, backfill_days=20)
    events = list(itertools.takewhile(lambda e: e.ts <= source.start, market.events()))
    state = tmp_path / "demo-state.sqlite3"
    store = StateStore(state)
    store.checkpoint(encode_events(events), {}, {}, engine_meta(engine, "amazon"))
    store.close()
    shown = cli("report", "--state", str(state), "--at", START, "--format", "json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    accounts = json.loads(shown.stdout)["accounts"]
    assert {name: accounts[name]["profile"] for name in MIXED} == MIXED
    assert "cancel_rate" in accounts["grove-wm"]["metrics"] and "odr" not in accounts["grove-wm"]["metrics"]
    assert "tdr" in accounts["juniper-eb"]["metrics"]


def test_a_run_configs_mock_stores_get_their_profiles_unless_the_config_names_them(tmp_path):
    path = tmp_path / "sellerpulse.toml"
    path.write_text(
        '[[sources]]\nname = "shops"\ntype = "mock"\nmarketplace = "mixed"\naccounts = 3\n'
        '[accounts.juniper-eb]\ntimezone = "Asia/Tokyo"\nprofile = "amazon"\n'
    )
    config = load_config(path)
    sources = sources_from_config(config, load_plugins(entry_points=False))
    adopt_source_accounts(config, sources)
    engine = engine_from_config(config)
    profiles = {name: engine.account_profiles[name].name for name in MIXED}
    assert profiles == {**MIXED, "juniper-eb": "amazon"}  # the config's own table wins
    assert engine.account_timezones["grove-wm"] == "America/Chicago"
    assert engine.account_timezones["juniper-eb"] == "Asia/Tokyo"
    rules = {rule.name: rule for rule in rules_from_config(config)}
    assert rules["cancel_rate-breach"].profiles == ("walmart",) and rules["odr-breach"].profiles == (
        "amazon",
    )
