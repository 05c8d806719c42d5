"""Default alert rules for a config whose accounts sell on several marketplaces: every profile's metrics
get their rules, each judged only on the accounts whose profile has the metric."""

from __future__ import annotations

from pathlib import Path

from market_fixtures import AT, ev, orders
from sellerpulse.core.alerts.rules import parse_rules
from sellerpulse.core.alerts.setup import rules_from_config
from sellerpulse.core.config import load_config
from sellerpulse.core.engine import Engine
from sellerpulse.core.timeutil import parse_instant


def mixed_snapshot(config):
    engine = Engine(
        profile=config.profile_for("az"),
        account_profiles={name: config.profile_for(name) for name in ("az", "wm", "eb")},
        seed=5,
    )
    for account in ("az", "wm", "eb"):
        events = [*orders(account, 30, "2026-11-18T10:00:00Z"),
                  *(ev("order_cancelled", "2026-11-18T11:00:00Z", f"{account}{n}", by="seller") for n in range(3))]  # fmt: skip
        for event in events:
            event.account = account
        engine.ingest(events)
    return engine.snapshot(parse_instant(AT))


def test_default_rules_cover_every_profile_and_skip_accounts_without_the_metric(tmp_path: Path) -> None:
    path = tmp_path / "sellerpulse.toml"
    path.write_text('[accounts.wm]\nprofile = "walmart"\n[accounts.eb]\nprofile = "ebay"\n', encoding="utf-8")
    config = load_config(path)
    rules = {rule.name: rule for rule in rules_from_config(config)}
    assert {"odr-breach", "cancel_rate-breach", "tdr-breach", "tdr-warning"} <= set(rules)
    snapshot = mixed_snapshot(config)
    now = parse_instant(AT)

    def observed(name: str) -> list:
        return rules[name].observe(snapshot, {}, now, lambda labels: False)

    # Walmart's cancellation rate is judged on the Walmart account only: 3 of 30 = 10 % > 2 %
    (cancel,) = observed("cancel_rate-breach")
    assert cancel.labels == {"account": "wm", "metric": "cancel_rate"} and cancel.active and not cancel.error
    # Amazon's pfcr on the Amazon account only (3 of 30 = 10 % > 2.5 %); no error for the others
    (pfcr,) = observed("pfcr-breach")
    assert pfcr.labels["account"] == "az" and pfcr.active
    # eBay: 3 of 30 = 10 % > 2 % but 3 <= 4 allowed: not a breach
    (tdr,) = observed("tdr-breach")
    assert tdr.labels["account"] == "eb" and not tdr.active
    # a rule the user wrote still says when an account has no such metric
    (written,) = parse_rules([{"name": "mine", "metric": "tdr", "status": "breach"}])
    errors = [o for o in written.observe(snapshot, {}, now, lambda labels: False) if o.error]
    assert sorted(o.labels["account"] for o in errors) == ["az", "wm"]
