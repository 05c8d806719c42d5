"""``sellerpulse config defaults`` lists the walmart and ebay profiles too, and what it prints is a config:
uncommented, a profile's section alone makes exactly the shipped profile (periods and ladder included),
and is a valid config."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from sellerpulse.core.config import load_config
from sellerpulse.core.profile import builtin_profile, profile_from_mapping


@pytest.mark.parametrize("name", ["walmart", "ebay"])
def test_defaults_print_each_profile_as_a_config_that_gives_it_back(tmp_path: Path, name: str) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "sellerpulse.tui.cli", "config", "defaults"],
        capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index(f"# [profiles.{name}]")
    section = []
    for line in lines[start:]:
        if section and line.startswith("# [profiles.") and not line.startswith(f"# [profiles.{name}"):
            break
        if line.startswith("# [") and not line.startswith("# [profiles."):
            break
        section.append(line.removeprefix("#").removeprefix(" "))
    text = "\n".join(section) + "\n"
    # the printed values alone (not over the shipped ones) make the shipped profile
    table = tomllib.loads(text)["profiles"][name]
    assert profile_from_mapping({"name": name, **table}) == builtin_profile(name)
    # and they are a valid config
    path = tmp_path / "sellerpulse.toml"
    path.write_text(f'[accounts.shop]\nprofile = "{name}"\n' + text, encoding="utf-8")
    assert load_config(path).profile_for("shop") == builtin_profile(name)
