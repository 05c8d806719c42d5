"""Profiles as data: the shipped Amazon profile says what METRICS.md says, and overrides are checked."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sellerpulse.core.config import ConfigError, load_config
from sellerpulse.core.profile import ProfileError, builtin_profile


def test_amazon_profile_carries_the_contract_values() -> None:
    p = builtin_profile("amazon")
    odr = p.metrics["odr"]
    assert (odr.window_days, odr.lag_days, odr.direction, odr.target, odr.warn) == (
        60, 14, "below", Decimal("0.01"), Decimal("0.0075"),
    )  # fmt: skip
    assert (p.metrics["otdr"].window_days, p.metrics["otdr"].lag_days) == (14, 7)
    assert p.metrics["crt"].threshold_hours == 24 and p.metrics["rdr"].threshold_hours == 48
    assert p.metrics["policy_violations"].direction == "at_most"
    assert p.metrics["refund_rate"].target is None
    assert p.queues["claims_awaiting_response"].deadline_hours == 48
    assert p.due_soon_hours == 4
    assert set(p.weekly) == {"cs_rating", "weekly_avg_response_hours", "first_contact_resolution"}
    assert p.weeks_back == 8
    assert p.metrics["feedback_score_lifetime"].lifetime


def test_retention_is_the_longest_order_window_plus_the_horizon() -> None:
    # perfect order: 90 days, lag 0; + 90 days in which feedback and claims still arrive. Neither the
    # 180-day violations window nor the 365-day / lifetime feedback score keeps orders longer.
    assert builtin_profile("amazon").retention_days == 180


def test_overrides_change_values_and_reject_unknown_keys() -> None:
    p = builtin_profile("amazon").with_overrides(
        {"metrics": {"odr": {"lag_days": 7, "target": "0.02"}}, "weekly": {"weeks_back": 4}}
    )
    assert (p.metrics["odr"].lag_days, p.metrics["odr"].target) == (7, Decimal("0.02"))
    assert p.metrics["odr"].window_days == 60  # untouched values stay
    assert p.weeks_back == 4
    with pytest.raises(ProfileError, match="unknown key 'lag'"):
        builtin_profile("amazon").with_overrides({"metrics": {"odr": {"lag": 7}}})
    with pytest.raises(ProfileError, match="decimal string"):
        builtin_profile("amazon").with_overrides({"metrics": {"odr": {"target": "one percent"}}})
    with pytest.raises(ProfileError, match="unknown rule"):
        builtin_profile("amazon").with_overrides({"weekly": {"metrics": {"x": {"rule": "defect"}}}})


def test_config_file_overrides_reach_the_profile(tmp_path: Path) -> None:
    path = tmp_path / "sellerpulse.toml"
    path.write_text(
        '[profiles.amazon.metrics.lsr_10d]\nwarn = "0.02"\n'
        "[profiles.amazon.weekly.metrics.first_contact_resolution]\nthreshold_hours = 48\n"
    )
    profile = load_config(path).profile_for("any-account")
    assert profile.metrics["lsr_10d"].warn == Decimal("0.02")
    assert profile.weekly["first_contact_resolution"].threshold_hours == 48
    path.write_text("[profiles.amazon.weekly]\nweeks_bak = 4\n")
    with pytest.raises(ConfigError, match="weeks_bak"):
        load_config(path)
