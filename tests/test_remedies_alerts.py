"""Alert notifications carry the remedies of their metric: in the JSON payload and under the alert's line
in the text a mail or chat message shows; never for a resolved alert, and a broken remedies file only
leaves them out."""

from __future__ import annotations

import time

from alert_fixtures import T0, RecordingSink, lsr, queue, snapshot
from sellerpulse.core.alerts import AlertManager, Store, parse_rules
from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.clock import FixedClock
from sellerpulse.core.remedies import Remedy, RemedyError, load_remedies

RULES = [
    {"name": "lsr-breach", "metric": "lsr_10d", "status": "breach", "for": "0s", "keep_firing_for": "0s"},
    {"name": "messages", "queue": "messages_awaiting_reply", "overdue": True, "for": "0s"},
]


def _manager(tmp_path, sink, **kwargs) -> AlertManager:
    return AlertManager(parse_rules(RULES), Store(tmp_path / "state.sqlite3"), {"rec": sink}, FixedClock(T0),
                        group_wait=0, **kwargs)  # fmt: skip


def _delivered(manager: AlertManager, sink: RecordingSink, count: int) -> None:
    manager.start()
    deadline = time.monotonic() + 10
    while len(sink.alerts) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    manager.close()


def test_a_metric_alert_carries_its_remedies_and_a_queue_alert_none(tmp_path):
    sink = RecordingSink()
    manager = _manager(tmp_path, sink)
    overdue = queue("messages_awaiting_reply", [("M1", T0 - 30 * 3600_000_000, T0 - 6 * 3600_000_000)], T0)
    queued = manager.evaluate(snapshot(T0, {"lsr_10d": lsr(9, 100)}, {"messages_awaiting_reply": overdue}))
    assert sorted(q["rule"] for q in queued) == ["lsr-breach", "messages"]
    _delivered(manager, sink, 2)
    by_rule = {alert["rule"]: alert for alert in sink.alerts}
    actions = list(load_remedies("amazon")["lsr_10d"].actions)
    assert by_rule["lsr-breach"]["remedies"] == actions
    assert by_rule["messages"]["remedies"] == []
    text = "\n".join(message.text() for message in sink.messages)
    assert "\n  - Add at least one day of handling time" in text
    assert text.count("\n  - ") == len(actions)


def test_a_resolved_alert_lists_no_actions():
    alert = {"key": "k", "rule": "r", "kind": "resolved", "severity": "warning", "labels": {}, "summary": "s",
             "remedies": ["Ship on time."]}  # fmt: skip
    assert AlertMessage((alert,)).text() == "[RESOLVED] r (warning): s"
    firing = {**alert, "kind": "firing", "remedies": ["Ship\x1b[2J on time.\nFORGED LINE"]}
    assert (
        AlertMessage((firing,)).text() == "[FIRING] r (warning): s\n  - Ship\\x1b[2J on time.\\x0aFORGED LINE"
    )


def test_the_users_remedies_are_used_and_a_broken_file_leaves_them_out(tmp_path):
    ours = {"lsr_10d": Remedy("lsr_10d", "Ours", ("Call the warehouse.",))}
    sink = RecordingSink()
    manager = _manager(tmp_path / "a", sink, remedies=lambda profile: ours if profile == "amazon" else {})
    manager.evaluate(snapshot(T0, {"lsr_10d": lsr(9, 100)}))
    _delivered(manager, sink, 1)
    assert sink.alerts[0]["remedies"] == ["Call the warehouse."]

    def broken(profile: str):
        raise RemedyError("remedies.toml: not valid TOML")

    sink = RecordingSink()
    manager = _manager(tmp_path / "b", sink, remedies=broken)
    manager.evaluate(snapshot(T0, {"lsr_10d": lsr(9, 100)}))
    _delivered(manager, sink, 1)
    assert sink.alerts[0]["rule"] == "lsr-breach" and sink.alerts[0]["remedies"] == []
