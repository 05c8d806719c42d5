"""Inhibition, as Alertmanager's inhibit rules: a breach silences its own warning.

A metric past its breach level is also past its warning level, so without inhibition every breach
notifies twice (the ``-warning`` and the ``-breach`` rule of the same metric and account). While the
breach rule of a metric fires for an account, the warning rule of that metric and account is stepped as
if silenced: its state still moves (it shows as firing) but it sends nothing, and it notifies on its own
once the breach is over and the warning still holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from .conditions import StatusCondition
from .rules import Rule


def _status_level(rule: Rule) -> str | None:
    condition = rule.condition
    if rule.subject == "metric" and isinstance(condition, StatusCondition):
        return condition.level
    return None


def inhibitors(rules: Iterable[Rule]) -> dict[str, list[str]]:
    """Rule name -> the names of the rules whose firing inhibits it (same metric, status breach)."""
    rules = list(rules)
    breach_rules: dict[str, list[str]] = {}
    for rule in rules:
        if _status_level(rule) == "breach":
            breach_rules.setdefault(rule.target, []).append(rule.name)
    return {
        rule.name: breach_rules[rule.target]
        for rule in rules
        if _status_level(rule) == "warning" and rule.target in breach_rules
    }


def inhibitors_first(rules: Iterable[Rule], inhibited_by: dict[str, list[str]]) -> list[Rule]:
    """The rules in their order, except that every inhibiting rule comes before the rules it inhibits
    (so one evaluation judges the warning against this evaluation's breach, not the last one's)."""
    sources = {name for names in inhibited_by.values() for name in names}
    rules = list(rules)
    return [r for r in rules if r.name in sources] + [r for r in rules if r.name not in sources]
