"""The sink contract: what every alert plugin (built-in or third-party) implements.

A sink is a class registered by name through the ``register_sinks`` hook. The alert manager creates one
instance per ``[[sinks]]`` table: ``SinkClass(name, options)`` where ``options`` is the table validated
against the class's declared :attr:`Sink.options`, which end with :data:`RETRY_OPTIONS`. The dispatcher
calls :meth:`Sink.send` from the sink's own worker thread, so a sink may block (HTTP, SMTP, a program)
without holding up the engine, the UI or another sink; it must bound that time itself (a timeout).

``send`` returns when the message was delivered and raises :class:`DeliveryError` when it was not:
``permanent=True`` gives up at once (a 400, a rejected address), otherwise the dispatcher retries with
exponential back-off up to ``retries`` attempts. Any other exception counts as a transient failure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from ..options import Option, validate_options
from ..suggest import closest
from .message import AlertMessage

RETRY_OPTIONS = (
    Option("retries", "int", 5, "attempts before a notification is given up (1 = no retry)"),
    Option(
        "backoff", "float", 2.0, "seconds before the first retry; doubles after each failure (at most 300)"
    ),
)


class DeliveryError(Exception):
    """A failed delivery. ``retry_after`` (seconds) is the receiver's own hint, e.g. HTTP 429."""

    def __init__(self, message: str, permanent: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class SinkConfigError(ValueError):
    """A ``[[sinks]]`` table that cannot be used."""


class Sink(ABC):
    """Base class of every sink: subclasses set :attr:`type_name` and :attr:`options` (ending with
    ``*RETRY_OPTIONS``, so ``retries`` and ``backoff`` are validated and described like the rest) and
    implement :meth:`send`."""

    type_name: ClassVar[str] = ""
    options: ClassVar[tuple[Option, ...]] = ()

    def __init__(self, name: str, options: Mapping[str, Any]) -> None:
        self.name = name
        self.settings: dict[str, Any] = dict(options)
        self.retries = max(1, int(self.settings.get("retries", 5)))
        self.backoff = max(0.0, float(self.settings.get("backoff", 2.0)))

    @abstractmethod
    def send(self, message: AlertMessage) -> None:
        """Deliver ``message`` or raise :class:`DeliveryError`."""

    def close(self) -> None:
        """Release resources (connections). Called once when the alert manager stops."""
        return None


def build_sinks(tables: list[Mapping[str, Any]], classes: Mapping[str, type]) -> dict[str, Sink]:
    """Instances for the ``[[sinks]]`` tables (``type``, optional ``name``, then the sink's options).

    The ``terminal`` sink (the dashboard's feed) always exists: when no table configures it, one with
    its defaults is added. All problems are reported together.
    """
    sinks: dict[str, Sink] = {}
    problems: list[str] = []
    for index, table in enumerate(tables, start=1):
        kind = table.get("type")
        name = table.get("name", kind)
        where = f"[[sinks]] #{index} ({name})" if isinstance(name, str) else f"[[sinks]] #{index}"
        if not isinstance(kind, str) or kind not in classes:
            hint = closest(str(kind), classes) if isinstance(kind, str) else None
            extra = f"; did you mean {hint!r}?" if hint else f" (known: {', '.join(sorted(classes))})"
            problems.append(f"{where}: unknown sink type {kind!r}{extra}")
            continue
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: 'name' must be a non-empty text")
            continue
        if name in sinks:
            problems.append(f"{where}: the sink name {name!r} is used twice")
            continue
        cls = classes[kind]
        options = {k: v for k, v in table.items() if k not in ("type", "name")}
        try:
            values = validate_options(getattr(cls, "options", ()), options, where)
            sinks[name] = cls(name, values)
        except ValueError as exc:
            problems.append(str(exc) if str(exc).startswith(where) else f"{where}: {exc}")
    if "terminal" not in sinks and "terminal" in classes and not problems:
        cls = classes["terminal"]
        sinks["terminal"] = cls(
            "terminal", validate_options(getattr(cls, "options", ()), {}, "[[sinks]] terminal")
        )
    if problems:
        raise SinkConfigError("\n".join(problems))
    return sinks
