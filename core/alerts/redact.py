"""Secrets kept out of alert text, at the two places it is made.

Alert text quotes other systems: a source's error (a server's reply may echo the request URL, query
secrets included), a notification program's stderr, an SMTP server's answer. Whatever is written there
reaches every sink, the state file, the log and ``sellerpulse alerts``, so it is masked where it enters:
the manager passes each rule's observation through :meth:`Redactor.observation` before the state machine
or a notification sees it, and the dispatcher passes each delivery error through :meth:`Redactor.line`
before it is stored or logged. The rule itself is :func:`sellerpulse.core.secrets.mask_text` (the
configured secrets, every URL's password and secret-looking query parameters); the text a person reads
(summaries, errors) is also made inert with :func:`sellerpulse.core.textsafe.clean`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..secrets import mask_text
from ..textsafe import clean
from .rules import Observation

_PERCENT_ENCODED = re.compile("%[0-9A-Fa-f]{2}")


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if s)

    def text(self, text: str) -> str:
        """``text`` with every secret masked (data: kept as it is otherwise)."""
        return mask_text(text, self.secrets) if self._suspect(text) else text

    def _suspect(self, text: str) -> bool:
        """Whether ``text`` may hold a secret: a URL, a query, a secret, one percent-encoded. Most text (every
        metric summary, at every evaluation) holds none and skips the masking."""
        if "=" in text or "://" in text:
            return True
        for secret in self.secrets:  # a loop, not any(): this runs for every observation
            if secret in text:
                return True
        return "%" in text and _PERCENT_ENCODED.search(text) is not None

    def line(self, text: str) -> str:
        """``text`` masked and made one inert line: for text a person reads (a summary, an error)."""
        return clean(self.text(text))

    def data(self, value: Any) -> Any:
        """Every string inside ``value`` (tables, lists) masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value

    def observation(self, obs: Observation) -> Observation:
        """``obs`` with its labels and details masked and its value, summary and error masked and inert
        (``obs`` itself when nothing changes, as for nearly every observation)."""
        labels = {key: self.text(value) for key, value in obs.labels.items()}
        value = None if obs.value is None else self.line(obs.value)
        summary = self.line(obs.summary)
        error = None if obs.error is None else self.line(obs.error)
        details = None if obs.details is None else self.data(obs.details)
        if (labels, value, summary, error, details) == (
            obs.labels,
            obs.value,
            obs.summary,
            obs.error,
            obs.details,
        ):
            return obs
        return Observation(obs.rule, labels, obs.active, value, summary, error, details)
