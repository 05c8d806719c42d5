"""What a sink receives: one message carrying one or more alert notifications (a group).

Every field of a notification that came from data (order ids, refs, summaries quoting a source's error
text) is untrusted. The JSON form is produced by :mod:`json` and is therefore always well formed; the text
form replaces control characters (escape sequences, bells, line breaks inside a field) so a hostile
value cannot rewrite an operator's terminal or forge extra lines in a mail or a chat message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(value: Any) -> str:
    """Untrusted text as one safe line: control characters become ``?``."""
    return _CONTROL.sub("?", str(value))


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """A group of notifications delivered together (one HTTP POST, one mail, one program run)."""

    alerts: tuple[dict[str, Any], ...]

    @property
    def key(self) -> str:
        """Idempotency key of the group: derived from the alerts' own keys, stable across retries."""
        digest = hashlib.sha256("\n".join(a["key"] for a in self.alerts).encode())
        return digest.hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        return {"group_key": self.key, "count": len(self.alerts), "alerts": list(self.alerts)}

    def title(self) -> str:
        if len(self.alerts) == 1:
            return line_title(self.alerts[0])
        kinds: dict[str, int] = {}
        for alert in self.alerts:
            kinds[alert["kind"]] = kinds.get(alert["kind"], 0) + 1
        parts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        return f"sellerpulse: {len(self.alerts)} alerts ({parts})"

    def text(self) -> str:
        """Plain text: one line per alert, control characters removed; under a firing or repeated
        metric alert, the actions that fix the metric (from the remedies file), one per line."""
        lines = []
        for alert in self.alerts:
            lines.append(line_text(alert))
            if alert.get("kind") != "resolved":
                lines += [f"  - {clean(action)}" for action in alert.get("remedies") or ()]
        return "\n".join(lines)


def _labels(alert: dict[str, Any]) -> str:
    return " ".join(f"{clean(k)}={clean(v)}" for k, v in sorted(alert["labels"].items()))


def line_title(alert: dict[str, Any]) -> str:
    return f"[{alert['kind'].upper()}] {clean(alert['rule'])} {_labels(alert)}".rstrip()


def line_text(alert: dict[str, Any]) -> str:
    return f"{line_title(alert)} ({alert['severity']}): {clean(alert['summary'])}"
