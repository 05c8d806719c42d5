"""Which panels the main screen has, grouped under the digit keys that show or hide them.

Metric panels follow the account's profile: a metric's group comes from its *rule* (what it measures:
a defect, a late shipment, a late reply), not from its id, so a Walmart or eBay metric lands in the group
of what it measures, under the same key as Amazon's. Within a group, panels keep the profile's order.
The parts of a defect rate (negative feedback, claims, chargebacks) are drawn inside the profile's first
defect panel rather than as panels of their own. A metric of a rule no group names lands in the last
metric group.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Group:
    key: str  # digit
    id: str
    title: str
    rules: tuple[str, ...] = ()  # the rules whose metrics it holds


DEFECT_RULE = "defect"
COMPONENT_RULES = ("negative_feedback", "claim", "chargeback")  # the parts of a defect rate
GROUPS: tuple[Group, ...] = (
    Group("1", "defects", "Order defects", ("defect", "transaction_defect", "case_lost", *COMPONENT_RULES)),
    Group("2", "shipping", "Shipping", ("seller_cancel", "late_shipment", "valid_tracking", "on_time_delivery", "late_delivery")),
    Group("3", "service", "Customer service", ("contact_response", "response_hours", "return_dissatisfaction")),
    Group("4", "feedback", "Feedback score", ("feedback_score",)),
    Group("5", "other", "Refunds, perfect orders, policy", ("refund", "perfect_order", "policy_violations")),
    Group("6", "queues", "Queues"),
    Group("7", "alerts", "Alerts"),
    Group("8", "sources", "Sources"),
)  # fmt: skip
GROUP_BY_ID = {g.id: g for g in GROUPS}
LAST_METRIC_GROUP = "other"
_GROUP_OF_RULE = {rule: g.id for g in GROUPS for rule in g.rules}
_GROUP_ORDER = {g.id: n for n, g in enumerate(GROUPS)}


@dataclass(frozen=True, slots=True)
class PanelSpec:
    """One metric panel: its metric, its group, and the component metrics drawn inside it."""

    metric_id: str
    group: str
    components: tuple[str, ...] = ()


def metric_group(rule: str) -> str:
    """The group of a metric of ``rule``."""
    return _GROUP_OF_RULE.get(rule, LAST_METRIC_GROUP)


def panel_layout(rules: Mapping[str, str]) -> list[PanelSpec]:
    """The panels of a profile's metrics (``rules``: metric id -> rule, in profile order), in group
    order then profile order; the components fold into the first defect metric when there is one."""
    ids = list(rules)
    host = next((mid for mid in ids if rules[mid] == DEFECT_RULE), None)
    components = tuple(mid for mid in ids if rules[mid] in COMPONENT_RULES) if host else ()
    shown = [mid for mid in ids if mid not in components]
    ordered = sorted(shown, key=lambda mid: (_GROUP_ORDER[metric_group(rules[mid])], ids.index(mid)))
    return [PanelSpec(mid, metric_group(rules[mid]), components if mid == host else ()) for mid in ordered]
