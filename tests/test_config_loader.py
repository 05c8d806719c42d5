"""The config loader: search order, strict keys with file/line/suggestion, ${VAR} secrets, profiles."""

from __future__ import annotations

import contextlib
import os
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sellerpulse.core.config import ConfigError, config_to_display, load_config, loads_config
from sellerpulse.core.config_locations import find_config_path
from sellerpulse.core.secrets import mask, mask_url
from sellerpulse.core.tomllines import key_lines


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private XDG home, an empty working directory and no SELLERPULSE_CONFIG."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("SELLERPULSE_CONFIG", raising=False)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


def write(path: Path, text: str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def error_of(text: str, tmp_path: Path, env: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path / "sellerpulse.toml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, env=env or {})
    return caught.value


# -- search order ---------------------------------------------------------------------------------------


def test_search_order_user_dir_then_cwd_then_env_then_explicit(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert find_config_path(None, env=os.environ) is None
    user = write(home / "xdg-config" / "sellerpulse" / "sellerpulse.toml", "")
    assert find_config_path(None, env=os.environ) == user
    local = write(Path.cwd() / "sellerpulse.toml", "")
    assert find_config_path(None, env=os.environ).resolve() == local.resolve()
    from_env = write(home / "elsewhere" / "env.toml", "")
    monkeypatch.setenv("SELLERPULSE_CONFIG", str(from_env))
    assert find_config_path(None, env=os.environ) == from_env
    explicit = write(home / "explicit.toml", "")
    assert find_config_path(str(explicit), env=os.environ) == explicit


def test_cwd_argument_and_empty_env_variable(home: Path) -> None:
    other = home / "other"
    local = write(other / "sellerpulse.toml", "")
    assert find_config_path(None, env={"SELLERPULSE_CONFIG": ""}, cwd=other) == local


def test_named_file_that_is_missing_is_reported_not_skipped(home: Path) -> None:
    write(Path.cwd() / "sellerpulse.toml", "")
    missing = home / "nope.toml"
    assert find_config_path(None, env={"SELLERPULSE_CONFIG": str(missing)}) == missing
    with pytest.raises(ConfigError, match="does not exist") as caught:
        load_config(missing, explicit=True)
    assert str(missing) in str(caught.value)


def test_no_path_means_defaults() -> None:
    config = load_config(None)
    assert config.path is None
    assert (config.general.profile, config.general.timezone, config.general.refresh) == ("amazon", "UTC", 2.0)
    assert config.general.log_level == "info"
    assert config.sources == [] and config.secrets == set()


# -- unknown keys and types -----------------------------------------------------------------------------


def test_unknown_key_names_file_line_and_closest_key(tmp_path: Path) -> None:
    error = error_of('# settings\n[general]\nprofile = "amazon"\n\nrefesh = 1\n', tmp_path)
    text = str(error)
    assert str(tmp_path / "sellerpulse.toml") in text
    assert "line 5" in text
    assert "'refesh'" in text and "did you mean 'refresh'" in text
    assert (error.line, error.key, error.suggestion) == (5, "refesh", "refresh")


def test_unknown_top_level_table(tmp_path: Path) -> None:
    error = error_of('[general]\ntimezone = "UTC"\n\n[keymapp]\npause = "p"\n', tmp_path)
    assert error.line == 4 and error.suggestion == "keymap"


def test_unknown_key_without_close_match_lists_valid_keys(tmp_path: Path) -> None:
    error = error_of('[accounts.acme-us]\nname = "ACME"\nzzzz = 1\n', tmp_path)
    assert error.line == 3
    assert "valid keys: name, timezone, profile" in str(error)


def test_unknown_key_in_profile_override_and_unknown_metric(tmp_path: Path) -> None:
    error = error_of("[profiles.amazon.metrics.odr]\nlag_dayz = 7\n", tmp_path)
    assert (error.line, error.suggestion) == (2, "lag_days")
    error = error_of("[general]\n\n[profiles.amazon.metrics.ord]\nlag_days = 7\n", tmp_path)
    assert error.line == 3 and error.suggestion == "odr"


def test_bad_profile_value_points_at_its_line(tmp_path: Path) -> None:
    error = error_of('[profiles.amazon.metrics.odr]\nwarn = "0.001"\nlag_days = -1\n', tmp_path)
    assert error.line == 3
    assert "lag_days" in str(error)


def test_second_source_missing_type_is_located(tmp_path: Path) -> None:
    text = '[[sources]]\ntype = "csv"\npath = "a.csv"\n\n[[sources]]\ntpye = "csv"\npath = "b.csv"\n'
    error = error_of(text, tmp_path)
    assert error.line == 5
    assert "#2 needs a type" in str(error) and "'tpye'" in str(error)


def test_duplicate_source_names(tmp_path: Path) -> None:
    error = error_of('[[sources]]\ntype = "csv"\n\n[[sources]]\ntype = "csv"\n', tmp_path)
    assert "both named 'csv'" in str(error) and error.line == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[general]\nrefresh = "fast"\n', "general.refresh must be a number of seconds, not a string"),
        ("[general]\ntimezone = 5\n", "general.timezone must be a string, not an integer"),
        ('[general]\ntimezone = "Mars/Olympus"\n', "unknown time zone 'Mars/Olympus'"),
        ('[general]\nlog_level = "verbose"\n', "general.log_level must be one of"),
        ('[keymap]\npause = ["p"]\n', "keymap.pause must be a string, not an array"),
        ('[sources]\ntype = "csv"\n', "sources must be an array of tables"),
        ('general = "x"\n', "general must be a table, not a string"),
        ("[general\n", "not valid TOML"),
    ],
)
def test_wrong_types_are_clear(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in str(error_of(text, tmp_path))


def test_refresh_floor(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "a.toml", "[general]\nrefresh = 0.1\n"))
    assert config.general.refresh == 0.5
    assert any("floor" in warning for warning in config.warnings)
    assert load_config(write(tmp_path / "b.toml", "[general]\nrefresh = 1\n")).general.refresh == 1.0
    assert "positive" in str(error_of("[general]\nrefresh = 0\n", tmp_path))


# -- ${NAME} and secrets --------------------------------------------------------------------------------


def test_environment_substitution_everywhere_and_collected_as_secrets(tmp_path: Path) -> None:
    text = (
        '[general]\nstate = "${STATE_DIR}/state.sqlite"\n\n'
        '[[sources]]\ntype = "http"\nurl = "https://example.invalid/x"\n'
        'headers = { "x-amz-access-token" = "${SP_API_TOKEN}" }\n'
        'note = "costs $${PRICE}"\n'
    )
    env = {"SP_API_TOKEN": "Atza|tok-123", "STATE_DIR": "/srv/sp"}
    config = load_config(write(tmp_path / "c.toml", text), env=env)
    assert config.general.state == "/srv/sp/state.sqlite"
    assert config.sources[0]["headers"]["x-amz-access-token"] == "Atza|tok-123"
    assert config.sources[0]["note"] == "costs ${PRICE}"
    assert {"Atza|tok-123", "/srv/sp"} <= config.secrets


def test_missing_variable_names_it_and_its_line(tmp_path: Path) -> None:
    text = '[[sinks]]\ntype = "webhook"\n\nurl = "${TEAM_WEBHOOK_URL}"\n'
    error = error_of(text, tmp_path, env={"OTHER": "x"})
    assert "TEAM_WEBHOOK_URL is not set" in str(error)
    assert error.line == 4


def test_invalid_reference(tmp_path: Path) -> None:
    assert "not a valid variable reference" in str(error_of('[general]\nstate = "${1X}"\n', tmp_path))


def test_error_messages_never_show_secret_values(tmp_path: Path) -> None:
    error = error_of('[general]\ntimezone = "${TZ_SECRET}"\n', tmp_path, env={"TZ_SECRET": "hunter2-zone"})
    assert "hunter2-zone" not in str(error)
    assert "***" in str(error)


def test_mask_longest_first_and_url_credentials() -> None:
    assert mask("a tok-1 and tok-12", {"tok-1", "tok-12"}) == "a *** and ***"
    assert mask("nothing", {""}) == "nothing"
    assert mask_url("https://bob:pa55@example.invalid/p?api_key=k1&x=2") == (
        "https://bob:***@example.invalid/p?api_key=***&x=2"
    )
    assert mask_url("not a url") == "not a url"


def test_display_masks_references_literal_secret_keys_and_urls(tmp_path: Path) -> None:
    text = (
        '[[sources]]\ntype = "http"\nurl = "https://u:pw-lit@example.invalid/o?token=qs-secret"\n'
        'headers = { Authorization = "Bearer literal-secret", "x-amz-access-token" = "${TOKEN}" }\n'
        'params = { MarketplaceIds = "ATVPDKIKX0DER" }\n\n'
        '[[sinks]]\ntype = "webhook"\nurl = "https://hooks.example.invalid/${HOOK}"\n'
    )
    config = load_config(write(tmp_path / "d.toml", text), env={"TOKEN": "env-token", "HOOK": "hook-path"})
    shown = repr(config_to_display(config))
    for secret in ("pw-lit", "qs-secret", "literal-secret", "env-token", "hook-path"):
        assert secret not in shown
        assert secret in config.secrets
    assert "ATVPDKIKX0DER" in shown
    assert "https://hooks.example.invalid/***" in shown


def test_permission_warning_only_for_secret_bearing_shared_files(tmp_path: Path) -> None:
    shared = write(tmp_path / "shared.toml", '[[sinks]]\ntype = "webhook"\nurl = "${HOOK}"\n', mode=0o644)
    warnings = load_config(shared, env={"HOOK": "h"}).warnings
    assert len(warnings) == 1 and "readable by other users" in warnings[0] and "chmod 600" in warnings[0]
    private = write(tmp_path / "private.toml", '[[sinks]]\ntype = "webhook"\nurl = "${HOOK}"\n', mode=0o600)
    assert load_config(private, env={"HOOK": "h"}).warnings == []
    literal = write(tmp_path / "literal.toml", '[[sources]]\ntype = "http"\napi_key = "k"\n', mode=0o640)
    assert load_config(literal).warnings
    plain = write(tmp_path / "plain.toml", '[general]\ntimezone = "UTC"\n[keymap]\npause = "p"\n', mode=0o644)
    assert load_config(plain).warnings == []


# -- accounts and profiles ------------------------------------------------------------------------------


def test_profile_overrides_apply_to_the_accounts_profile(tmp_path: Path) -> None:
    text = (
        '[general]\ntimezone = "Europe/Berlin"\n\n'
        '[accounts.acme-us]\nname = "ACME US"\ntimezone = "America/New_York"\n\n'
        '[profiles.amazon.metrics.odr]\nlag_days = 7\ntarget = "0.02"\n'
    )
    config = load_config(write(tmp_path / "p.toml", text))
    profile = config.profile_for("acme-us")
    assert profile.metrics["odr"].lag_days == 7
    assert profile.metrics["odr"].target == Decimal("0.02")
    assert profile.metrics["odr_recent"].lag_days == 0  # untouched metrics keep the built-in values
    assert config.timezone_for("acme-us") == "America/New_York"
    assert config.timezone_for("seen-only-in-events") == "Europe/Berlin"
    assert config.account("acme-us").name == "ACME US"
    assert config.profile_for("seen-only-in-events").metrics["odr"].lag_days == 7


def test_profile_from_a_registry_and_unknown_profile(tmp_path: Path) -> None:
    from sellerpulse.core.profile import builtin_profile

    custom = builtin_profile("amazon").with_overrides({"marketplace": "Custom"})
    text = '[accounts.x]\nprofile = "custom"\n\n[profiles.custom]\nhorizon_days = 30\n'
    config = load_config(write(tmp_path / "r.toml", text))
    assert config.profile_for("x", {"custom": custom}).horizon_days == 30
    with pytest.raises(ConfigError, match="unknown profile 'custom'"):
        config.profile_for("x")


def test_plugin_error_helper_locates_option(tmp_path: Path) -> None:
    config = load_config(write(tmp_path / "o.toml", '[[sources]]\ntype = "csv"\n\npaht = "x.csv"\n'))
    error = config.error(("sources", 0), "unknown option 'paht'", key="paht", valid=["path", "follow"])
    assert (error.line, error.suggestion) == (4, "path")
    assert config.resolve_path("x.csv") == tmp_path / "x.csv"


# -- line scanner and fuzzing ---------------------------------------------------------------------------


def test_key_lines_follow_tables_arrays_inline_tables_and_multiline_values() -> None:
    text = "\n".join([
        "top = 1",                                   # 1
        "[general]",                                 # 2
        'note = """',                                # 3
        "refresh = 9",                               # 4  inside a string: not a key
        '"""',                                       # 5
        "list = [",                                  # 6
        '  "x = 1",',                                # 7
        "]",                                         # 8
        "refresh = 2",                               # 9
        "[[sources]]",                               # 10
        'type = "csv"',                              # 11
        "[[sources]]",                               # 12
        'headers = { "x-token" = "a", n = { b = 1 } }',  # 13
        "[sources.extra]",                           # 14
        "a.b = 2",                                   # 15
        "'quoted key' = 3",                          # 16
    ])  # fmt: skip
    lines = key_lines(text)
    assert lines[("top",)] == 1
    assert lines[("general", "refresh")] == 9
    assert lines[("sources", 0, "type")] == 11
    assert lines[("sources", 1)] == 12
    assert lines[("sources", 1, "headers", "x-token")] == 13
    assert lines[("sources", 1, "headers", "n", "b")] == 13
    assert lines[("sources", 1, "extra", "a", "b")] == 15
    assert lines[("sources", 1, "extra", "quoted key")] == 16
    tomllib.loads(text)  # the fixture is valid TOML


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("[]{}=\"'#.,\n abcgeneralsourcetype${}0123")), max_size=120))
def test_fuzz_any_text_is_loaded_or_a_config_error(text: str) -> None:
    with contextlib.suppress(ConfigError):
        loads_config(text, env={})
    key_lines(text)


_keys = st.sampled_from([
    "general", "refresh", "profile", "timezone", "sources", "type", "name", "x", "keymap", "accounts",
    "profiles", "amazon", "metrics", "odr", "lag_days", "queues", "sinks", "alerts", "log_level", "state",
])  # fmt: skip
_scalars = st.one_of(
    st.integers(-3, 30), st.floats(allow_nan=False), st.booleans(), st.text(max_size=8),
    st.sampled_from(["${A}", "${MISSING}", "$${A}", "${", "UTC", "amazon", "0.01"]),
)  # fmt: skip
_documents = st.recursive(
    _scalars,
    lambda inner: st.dictionaries(_keys, inner, max_size=4) | st.lists(inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_keys, _documents, max_size=4))
def test_fuzz_structured_documents_are_loaded_or_a_config_error(data: dict) -> None:
    import tomli_w

    try:
        text = tomli_w.dumps(data)
    except (TypeError, ValueError):
        return
    with contextlib.suppress(ConfigError):
        loads_config(text, env={"A": "v"})


def test_plugin_declared_secret_options_become_secrets(tmp_path: Path) -> None:
    from sellerpulse.core.options import Option

    class Hook:
        options = (
            Option("url", "str", None, "where to POST", secret=True),
            Option("headers", "dict", {}, "extra headers", secret=True),
            Option("timeout", "float", 10.0, "seconds"),
        )

    class Plugins:
        def source_class(self, name: str) -> type:
            raise KeyError(name)

        def sink_class(self, name: str) -> type:
            if name != "hook":
                raise KeyError(name)
            return Hook

    text = (
        '[[sinks]]\ntype = "hook"\nurl = "https://hooks.invalid/T1/literal"\n'
        'headers = { X-Team = "abc123" }\ntimeout = 5.0\n\n[[sinks]]\ntype = "unknown"\n'
    )
    config = load_config(write(tmp_path / "s.toml", text))
    added = config.add_plugin_secrets(Plugins())
    assert added == {"https://hooks.invalid/T1/literal", "abc123"}
    shown = config_to_display(config)["sinks"][0]
    assert shown["url"] == "***" and shown["headers"] == {"X-Team": "***"} and shown["timeout"] == 5.0


def test_every_setting_is_documented() -> None:
    """docs/configuration.md carries the contract forward: each key the loader accepts has a row there."""
    from dataclasses import fields

    from sellerpulse.core.config import DEFAULTS, AccountSettings, GeneralSettings
    from sellerpulse.core.profile import MetricSpec, QueueSpec

    doc = (Path(__file__).parent.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = [f.name for cls in (GeneralSettings, AccountSettings, MetricSpec, QueueSpec) for f in fields(cls)]
    keys += ["marketplace", "due_soon_hours", "horizon_days", "type", "name"]
    missing = [key for key in keys if key != "id" and f"| `{key}` |" not in doc]
    assert missing == []
    for setting in DEFAULTS.values():
        section = setting.key.split(".")[0]
        assert f"[{section}" in doc or f"[[{section}]]" in doc


def test_documented_defaults_are_the_loaders_defaults() -> None:
    from sellerpulse.core.config import DEFAULTS, GeneralSettings

    general = GeneralSettings()
    for key, setting in DEFAULTS.items():
        if key.startswith("general."):
            assert getattr(general, key.removeprefix("general.")) == setting.default, key
