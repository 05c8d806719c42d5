"""Alerts: rules on metrics, queues and sources; a durable state machine; notifications to sinks.

``rules`` (what to watch) -> ``state`` (Prometheus/Alertmanager semantics) -> ``store`` (SQLite: state,
log, outbox) -> ``dispatcher`` (sinks, retries) -> ``manager`` (the one object the runtime and the UI use).
"""

from .manager import AlertManager
from .message import AlertMessage
from .rules import Observation, Rule, RuleError, default_rules, parse_rules
from .sink import DeliveryError, Sink, build_sinks
from .store import Store

__all__ = [
    "AlertManager", "AlertMessage", "DeliveryError", "Observation", "Rule", "RuleError", "Sink", "Store",
    "build_sinks", "default_rules", "parse_rules",
]  # fmt: skip
