"""The ``command`` sink: runs a program with the alerts as JSON on stdin and in environment variables."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from typing import Any, ClassVar

from sellerpulse.core.alerts.message import AlertMessage
from sellerpulse.core.alerts.sink import RETRY_OPTIONS, DeliveryError, Sink
from sellerpulse.core.options import Option
from sellerpulse.core.textsafe import clean

STDERR_TAIL = 200  # characters of a failed program's stderr kept in its error


class CommandSink(Sink):
    """Runs a program (never through a shell) for each group of alerts: the JSON on stdin, a summary in
    ``SELLERPULSE_*`` environment variables. Exit status 0 is sent; anything else, or running past the
    timeout (the program is killed), is retried.

    Variables: ``SELLERPULSE_COUNT``, ``SELLERPULSE_KIND`` and ``SELLERPULSE_RULE`` (comma-separated
    when several), ``SELLERPULSE_SEVERITY`` (the highest), ``SELLERPULSE_ACCOUNT`` (comma-separated),
    ``SELLERPULSE_TITLE``, ``SELLERPULSE_IDEMPOTENCY_KEY``: text, cleaned like every text form; stdin has
    the data exact (ASCII JSON). The end of a failed program's stderr becomes the delivery error, which the
    dispatcher masks before it is stored.
    """

    type_name: ClassVar[str] = "command"
    options: ClassVar[tuple[Option, ...]] = (
        Option(
            "command", "list", None, 'the program and its arguments, e.g. ["notify.sh", "-q"]', required=True
        ),
        Option("timeout", "float", 30.0, "seconds before the program is killed (and retried)"),
        *RETRY_OPTIONS,
    )

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        super().__init__(name, options)
        argv = self.settings["command"]
        if len(argv) == 1 and isinstance(argv[0], str) and " " in argv[0].strip():
            argv = shlex.split(argv[0])  # a single string is split like a shell would, but never run by one
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise ValueError("option 'command': expected a program and its arguments")
        self.argv = [str(a) for a in argv]

    def environment(self, message: AlertMessage) -> dict[str, str]:
        alerts = message.alerts
        order = {"info": 0, "warning": 1, "critical": 2}
        accounts = dict.fromkeys(a["labels"]["account"] for a in alerts if "account" in a["labels"])
        return {
            "SELLERPULSE_COUNT": str(len(alerts)),
            "SELLERPULSE_KIND": clean(",".join(dict.fromkeys(a["kind"] for a in alerts))),
            "SELLERPULSE_RULE": clean(",".join(dict.fromkeys(a["rule"] for a in alerts))),
            "SELLERPULSE_SEVERITY": clean(
                max((a["severity"] for a in alerts), key=lambda s: order.get(s, 0))
            ),
            "SELLERPULSE_ACCOUNT": clean(",".join(accounts)),
            "SELLERPULSE_TITLE": message.title(),
            "SELLERPULSE_IDEMPOTENCY_KEY": message.key,
        }

    def send(self, message: AlertMessage) -> None:
        payload = json.dumps(message.to_json()).encode("ascii")
        env = {**os.environ, **self.environment(message)}
        try:
            result = subprocess.run(
                self.argv, input=payload, env=env, capture_output=True,
                timeout=float(self.settings.get("timeout", 30.0)), check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise DeliveryError(f"{self.argv[0]} ran past its timeout and was killed") from None
        except OSError as exc:
            raise DeliveryError(f"cannot run {self.argv[0]}: {exc.strerror or exc}") from None
        if result.returncode != 0:
            tail = clean(stderr_tail(result.stderr.decode("utf-8", "replace").strip()))
            raise DeliveryError(
                f"{self.argv[0]} exited with status {result.returncode}" + (f": {tail}" if tail else "")
            )


def stderr_tail(text: str) -> str:
    """The last :data:`STDERR_TAIL` characters of ``text``, cut after a space: a secret is kept whole (and
    then masked) or left out, never kept in part where no mask can recognise it."""
    if len(text) <= STDERR_TAIL:
        return text
    tail = text[-STDERR_TAIL:]
    space = re.search(r"\s", tail)
    return "..." + (tail[space.end() :] if space else "")
