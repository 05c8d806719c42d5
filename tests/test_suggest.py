"""One "did you mean" rule for config keys, plugin options, plugin types and alert rule keys."""

from __future__ import annotations

import pytest
from sellerpulse.core.config import ConfigError, loads_config
from sellerpulse.core.options import Option, OptionError, validate_options
from sellerpulse.core.suggest import closest, edit_distance


def test_a_swap_of_neighbours_is_one_edit() -> None:
    assert edit_distance("ord", "odr") == 1
    assert edit_distance("ord", "rdr") == 1 + 1
    assert edit_distance("", "abc") == 3 and edit_distance("same", "same") == 0


def test_the_closest_is_ranked_by_edit_distance_not_by_difflib_alone() -> None:
    # difflib's own first choice for "ord" is "rdr"; a swapped pair is the likelier typo
    assert closest("ord", ["rdr", "odr"]) == "odr"
    assert closest("zzz", ["odr", "lsr"]) is None
    assert closest(None, ["odr"]) is None


def test_plugin_options_and_config_keys_suggest_by_the_same_rule() -> None:
    declared = [Option("odr", "int", 1, "a"), Option("rdr", "int", 1, "b")]
    with pytest.raises(OptionError, match="did you mean 'odr'"):
        validate_options(declared, {"ord": 1}, "test")
    with pytest.raises(ConfigError, match="did you mean 'refresh'"):
        loads_config("[general]\nrefersh = 2\n")
