"""Which panels the main screen has, grouped under the digit keys that show or hide them.

Metric panels follow the profile's metrics; the ODR components are drawn inside the ODR panel rather
than as panels of their own. A metric a profile adds that no group names lands in the last metric group.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

ODR_COMPONENTS = ("negative_feedback_rate", "a_to_z_rate", "chargeback_rate")


@dataclass(frozen=True, slots=True)
class Group:
    key: str  # digit
    id: str
    title: str
    metrics: tuple[str, ...] = ()


FEEDBACK_SCORES = (
    "feedback_score_30d",
    "feedback_score_90d",
    "feedback_score_365d",
    "feedback_score_lifetime",
)
OTHER = ("refund_rate", "perfect_order_rate", "policy_violations")

GROUPS: tuple[Group, ...] = (
    Group("1", "defects", "Order defects", ("odr", "odr_recent", "odr_afn")),
    Group("2", "shipping", "Shipping", ("pfcr", "lsr_10d", "lsr_30d", "vtr", "otdr")),
    Group("3", "service", "Customer service", ("crt", "avg_response_hours", "rdr")),
    Group("4", "feedback", "Feedback score", FEEDBACK_SCORES),
    Group("5", "other", "Refunds, perfect orders, policy", OTHER),
    Group("6", "queues", "Queues"),
    Group("7", "alerts", "Alerts"),
    Group("8", "sources", "Sources"),
)
GROUP_BY_ID = {g.id: g for g in GROUPS}
LAST_METRIC_GROUP = "other"


def metric_group(metric_id: str) -> str:
    for group in GROUPS:
        if metric_id in group.metrics:
            return group.id
    return LAST_METRIC_GROUP


def panel_metrics(metric_ids: Iterable[str]) -> list[str]:
    """Metric ids that get a panel, in group order then profile order (ODR components fold into ODR)."""
    ids = list(metric_ids)
    folded = set(ODR_COMPONENTS) if "odr" in ids else set()
    order = {mid: n for n, mid in enumerate(m for g in GROUPS for m in g.metrics)}
    shown = [mid for mid in ids if mid not in folded]
    return sorted(shown, key=lambda mid: (order.get(mid, len(order)), ids.index(mid)))
