"""Remedies as data: every metric of the amazon profile has its actions, and a user's file replaces
exactly the entries it names (next to the config, or named by $SELLERPULSE_REMEDIES)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.remedies import ENV_VAR, RemedyError, load_remedies, override_path, remedies_for

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_every_metric_of_the_profile_has_a_remedy():
    profile = builtin_profile("amazon")
    remedies = load_remedies("amazon")
    ids = [*profile.metrics, *profile.weekly]
    assert len(ids) == 24
    for mid in ids:
        remedy = remedies[mid]
        assert remedy.title.strip(), mid
        assert len(remedy.actions) >= 3, mid
        assert all(action.endswith(".") for action in remedy.actions), mid


def test_remedies_say_what_the_seeds_teach():
    remedies = load_remedies("amazon")
    lsr = " ".join(remedies["lsr_30d"].actions).lower()
    assert "handling time" in lsr and "the moment the parcel leaves" in lsr and "to the buyer" in lsr
    crt = " ".join(remedies["crt"].actions).lower()
    assert "24 hours" in crt and "weekends and public holidays" in crt and "automatic reply" in crt
    assert "cancellation requests" in crt
    feedback = " ".join(remedies["negative_feedback_rate"].actions).lower()
    assert "contact every buyer" in feedback and "removal only once the problem is solved" in feedback
    assert "48 hours" in " ".join(remedies["a_to_z_rate"].actions)
    assert list(remedies["lsr_30d"].root_causes) == ["shipped_late", "not_shipped"]


def test_like_takes_another_entry_and_changes_only_what_it_gives():
    remedies = load_remedies("amazon")
    assert remedies["lsr_10d"].actions == remedies["lsr_30d"].actions
    assert remedies["lsr_10d"].title != remedies["lsr_30d"].title
    assert remedies["weekly_avg_response_hours"].actions == remedies["crt"].actions
    assert remedies["feedback_score_lifetime"].title == remedies["feedback_score_30d"].title


def test_a_file_next_to_the_config_replaces_the_entries_it_names(tmp_path):
    config = tmp_path / "sellerpulse.toml"
    config.write_text("[general]\n", encoding="utf-8")
    (tmp_path / "remedies.toml").write_text(
        '[causes]\nlate_reply = "Our desk closes at 18:00."\n\n'
        '[metrics.crt]\nactions = ["Page the on-call agent.", "Answer from the phone app."]\n',
        encoding="utf-8",
    )
    assert override_path(config) == tmp_path / "remedies.toml"
    remedies = remedies_for("amazon", config)
    shipped = load_remedies("amazon")
    assert remedies["crt"].actions == ("Page the on-call agent.", "Answer from the phone app.")
    assert remedies["crt"].title == shipped["crt"].title  # not named: kept
    assert remedies["crt"].root_causes["late_reply"] == "Our desk closes at 18:00."
    # entries built with like = "crt" follow the user's version
    assert remedies["avg_response_hours"].actions == remedies["crt"].actions
    assert remedies["odr"] == shipped["odr"]


def test_the_environment_variable_wins_and_must_name_a_file(tmp_path, monkeypatch):
    config = tmp_path / "sellerpulse.toml"
    (tmp_path / "remedies.toml").write_text('[metrics.vtr]\ntitle = "beside"\n', encoding="utf-8")
    named = tmp_path / "mine.toml"
    named.write_text('[metrics.vtr]\ntitle = "named"\n', encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(named))
    assert remedies_for("amazon", config)["vtr"].title == "named"
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "missing.toml"))
    with pytest.raises(RemedyError, match=r"missing\.toml: no such remedies file"):
        override_path(config)
    monkeypatch.delenv(ENV_VAR)
    assert override_path(tmp_path / "elsewhere" / "sellerpulse.toml") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[metrics.crt]\nsteps = []\n", r"bad\.toml: metrics\.crt: unknown key 'steps'"),
        (
            '[metrics.crt]\nactions = "Answer."\n',
            r"metrics\.crt\.actions: must be a list of non-empty strings",
        ),
        ('[metrics.crt]\ncauses = ["nope"]\n', r"metrics\.crt\.causes: 'nope' is not in \[causes\]"),
        ('[metrics.crt]\nlike = "vtr"\n[metrics.vtr]\nlike = "crt"\n', r"goes round in a circle"),
        ('[metrics.new]\nlike = "absent"\n', r"metrics\.new\.like: no metric 'absent'"),
        ('[metrics.new]\ntitle = "Only a title"\n', r"metrics\.new: needs a title and actions"),
        ("[remedy]\n", r"unknown table 'remedy'"),
        ("[metrics.crt\n", r"bad\.toml: not valid TOML"),
    ],
)
def test_a_broken_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RemedyError, match=message):
        load_remedies("amazon", path)


def test_a_profile_without_shipped_remedies_uses_the_users_only(tmp_path):
    path = tmp_path / "r.toml"
    path.write_text('[metrics.x]\ntitle = "X"\nactions = ["Do it."]\n', encoding="utf-8")
    assert load_remedies("no-such-profile") == {}
    assert load_remedies("no-such-profile", path)["x"].actions == ("Do it.",)


def test_poa_reads_the_users_remedies(tmp_path):
    named = tmp_path / "ours.toml"
    named.write_text('[metrics.crt]\ntitle = "Our reply rota"\nactions = ["Zed answers on Sundays."]\n')
    env = {**os.environ, ENV_VAR: str(named)}
    done = subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "poa", "crt", "--account", "acme-us",
         "--events", str(EXAMPLES / "small-events.csv"), "--at", "2026-10-15T09:00:00Z"],
        capture_output=True, text=True, env=env, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Our reply rota:\n\n1. Zed answers on Sundays.\n" in done.stdout
