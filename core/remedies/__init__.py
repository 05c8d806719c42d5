"""Remedies: for every metric, the short list of actions that fix it, kept as data a user can edit.

Each profile ships a TOML file here (``amazon.toml``). A user's own remedies file replaces the entries it
names, so a shop can write its own procedures without copying the whole file. It is found, in order, at
``$SELLERPULSE_REMEDIES``, then ``remedies.toml`` next to the config file (see ``docs/remedies.md``).

The file has two tables: ``[causes]`` (cause key -> what a group of bad outcomes of that kind points
to) and ``[metrics.ID]`` (``title``, ``actions``, ``causes``, and ``like`` to start from another metric's
entry). The drill-down, alert notifications and the plan of action all read them from here.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

ENV_VAR = "SELLERPULSE_REMEDIES"
FILE_NAME = "remedies.toml"
METRIC_KEYS = ("title", "actions", "causes", "like")


class RemedyError(ValueError):
    """A remedies file that cannot be used: which file, where in it, and why."""


@dataclass(frozen=True, slots=True)
class Remedy:
    metric_id: str
    title: str
    actions: tuple[str, ...]
    # cause key -> what a group of bad outcomes of that kind points to, in the order the file lists them
    root_causes: Mapping[str, str] = field(default_factory=dict)


def builtin_text(profile_name: str) -> str | None:
    """The remedies shipped for a profile, or ``None`` when the profile has none."""
    entry = resources.files(__package__).joinpath(f"{profile_name}.toml")
    return entry.read_text(encoding="utf-8") if entry.is_file() else None


def override_path(config_path: str | os.PathLike[str] | None = None) -> Path | None:
    """The user's remedies file: ``$SELLERPULSE_REMEDIES`` (must exist), else ``remedies.toml`` beside
    the config file when there is one there, else ``None``."""
    named = os.environ.get(ENV_VAR)
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise RemedyError(f"{path}: no such remedies file (named by ${ENV_VAR})")
        return path
    if config_path is not None:
        beside = Path(config_path).expanduser().parent / FILE_NAME
        if beside.is_file():
            return beside
    return None


def load_remedies(
    profile_name: str, overrides_path: str | os.PathLike[str] | None = None
) -> dict[str, Remedy]:
    """Every metric's remedy for ``profile_name``: the shipped file with the user's file over it."""
    causes: dict[str, str] = {}
    metrics: dict[str, dict[str, Any]] = {}
    text = builtin_text(profile_name)
    if text is not None:
        _merge(_parse(text, f"remedies of profile {profile_name}"), causes, metrics)
    if overrides_path is not None:
        path = Path(overrides_path)
        try:
            user_text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RemedyError(f"{path}: cannot read the remedies file: {exc.strerror or exc}") from None
        _merge(_parse(user_text, str(path)), causes, metrics)
    return {mid: _resolve(mid, metrics, causes) for mid in metrics}


def remedies_for(profile_name: str, config_path: str | os.PathLike[str] | None = None) -> dict[str, Remedy]:
    """:func:`load_remedies` with the user's file found by :func:`override_path`."""
    return load_remedies(profile_name, override_path(config_path))


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RemedyError(f"{where}: not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"causes", "metrics"})
    if unknown:
        raise RemedyError(f"{where}: unknown table {unknown[0]!r} (expected [causes] and [metrics.ID])")
    causes = data.get("causes", {})
    if not isinstance(causes, dict):
        raise RemedyError(f"{where}: causes: must be a table of cause = text")
    for key, value in causes.items():
        if not isinstance(value, str) or not value.strip():
            raise RemedyError(f"{where}: causes.{key}: must be a non-empty string")
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise RemedyError(f"{where}: metrics: must be tables [metrics.ID]")
    for mid, entry in metrics.items():
        _check_entry(f"{where}: metrics.{mid}", entry)
    return {"causes": causes, "metrics": metrics, "where": where}


def _check_entry(where: str, entry: Any) -> None:
    if not isinstance(entry, dict):
        raise RemedyError(f"{where}: must be a table")
    for key, value in entry.items():
        if key not in METRIC_KEYS:
            raise RemedyError(f"{where}: unknown key {key!r} (one of {', '.join(METRIC_KEYS)})")
        if key in ("title", "like") and (not isinstance(value, str) or not value.strip()):
            raise RemedyError(f"{where}.{key}: must be a non-empty string")
        if key in ("actions", "causes") and (
            not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            raise RemedyError(f"{where}.{key}: must be a list of non-empty strings")


def _merge(parsed: dict[str, Any], causes: dict[str, str], metrics: dict[str, dict[str, Any]]) -> None:
    causes.update(parsed["causes"])
    for mid, entry in parsed["metrics"].items():
        merged = metrics.setdefault(mid, {})
        merged.update(entry)
        merged["where"] = f"{parsed['where']}: metrics.{mid}"


def _resolve(
    mid: str, metrics: Mapping[str, Mapping[str, Any]], causes: Mapping[str, str], seen: tuple[str, ...] = ()
) -> Remedy:
    entry = metrics[mid]
    where = entry["where"]
    values: dict[str, Any] = {}
    like = entry.get("like")
    if like is not None:
        if like in seen or like == mid:
            raise RemedyError(f"{where}.like: {' -> '.join((*seen, mid, like))} goes round in a circle")
        if like not in metrics:
            raise RemedyError(f"{where}.like: no metric {like!r} in the remedies")
        base = _resolve(like, metrics, causes, (*seen, mid))
        values = {"title": base.title, "actions": list(base.actions), "causes": list(base.root_causes)}
    values.update({k: v for k, v in entry.items() if k in ("title", "actions", "causes")})
    if "title" not in values or "actions" not in values:
        raise RemedyError(f"{where}: needs a title and actions (or like = another metric)")
    missing = [c for c in values.get("causes", []) if c not in causes]
    if missing:
        raise RemedyError(f"{where}.causes: {missing[0]!r} is not in [causes]")
    root_causes = {c: causes[c] for c in values.get("causes", [])}
    return Remedy(mid, values["title"], tuple(values["actions"]), root_causes)
