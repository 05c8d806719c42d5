"""What a sink receives: one message carrying one or more alert notifications (a group).

Every field of a notification that came from data (order ids, refs, summaries quoting a source's error
text) is untrusted. Secrets were masked, and summaries made inert, where the notification was made
(:mod:`.redact`). Two forms leave here:

- the text form (:meth:`AlertMessage.title`, :meth:`AlertMessage.text`: a mail's subject and body, a chat
  message, a program's environment) passes every field through :func:`sellerpulse.core.textsafe.clean`,
  so escape sequences, line breaks and separators, bidirectional overrides and C1 controls show as visible
  ``\\xNN``/``\\uNNNN`` escapes: a hostile value cannot rewrite a terminal, forge a line or reorder text;
- the JSON form (:meth:`AlertMessage.to_json`: a webhook body, a mail's attachment, a program's stdin, the
  alert log) keeps the data exact, for programs, and is serialised ASCII-only (``json.dumps``' default,
  never ``ensure_ascii=False``): every control and non-ASCII character is a JSON ``\\u`` escape, so the
  bytes are inert even when a body or a log line is shown raw, and any JSON reader gets the value back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..textsafe import clean


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
        parts = ", ".join(f"{count} {clean(kind)}" for kind, count in sorted(kinds.items()))
        return f"sellerpulse: {len(self.alerts)} alerts ({parts})"

    def text(self) -> str:
        """Plain text: one line per alert, every field cleaned; under a firing or repeated
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
    return f"[{clean(alert['kind'].upper())}] {clean(alert['rule'])} {_labels(alert)}".rstrip()


def line_text(alert: dict[str, Any]) -> str:
    return f"{line_title(alert)} ({clean(alert['severity'])}): {clean(alert['summary'])}"
