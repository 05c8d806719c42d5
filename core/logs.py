"""The log file: one JSON object per line, rotated, with every secret masked.

An operator who comes back after a weekend reads what happened in the log file: each rejected row,
source failure, plugin error and alert delivery, each logged by the area that saw it
(``logging.getLogger("sellerpulse.<area>")``). One line per record, JSON, so ``grep`` and ``jq`` both
work. Every handler installed here carries a :class:`SecretFilter`, so a token that slipped into a
message, an argument or a traceback is written as ``***``, and every formatter here passes the text
through :func:`~sellerpulse.core.textsafe.clean`: messages quote servers, CSV headers and rows, and a log
read with ``cat`` or ``tail -f`` is read on a terminal.
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.handlers
import os
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from platformdirs import user_state_dir
from sellerpulse.core.secrets import mask_text
from sellerpulse.core.textsafe import clean, clean_lines

LOGGER = "sellerpulse"
LOG_NAME = "sellerpulse.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
# attributes every LogRecord has; anything else came from ``extra=`` and is written as a field
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def default_log_path() -> Path:
    """``sellerpulse.log`` in the user state directory (platformdirs)."""
    return Path(user_state_dir("sellerpulse")) / LOG_NAME


class SecretFilter(logging.Filter):
    """Rewrites each record so no secret survives in its message, its ``extra`` fields or its traceback:
    the configured secrets, and every URL password or secret-looking query parameter a message quotes (a
    server's error reply may echo the request URL with a secret nobody configured as one).

    It is attached to handlers (not loggers) because a logger's filters do not see records propagated
    from its children. The secret set can grow after start-up (:meth:`add`), since logging starts
    before the config that names the secrets is read.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets.update(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what it says instead of a raw error dump
            message = f"{record.msg} (unformattable arguments: {record.args!r})"
        record.msg = mask_text(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info, self.secrets)
        for key, value in vars(record).items():
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, mask_text(value, self.secrets))
        return True


class JsonLineFormatter(logging.Formatter):
    """``{"time": ..., "level": ..., "logger": ..., "message": ..., <extra fields>}`` on one line.

    JSON escapes C0 controls but not C1 controls, line separators or bidirectional overrides, so the
    message and every text field are cleaned first; a traceback keeps its line breaks."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": clean(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry:
                entry[key] = value if isinstance(value, int | float | bool | None) else clean(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = clean_lines(record.exc_text)
        if record.stack_info:
            entry["stack"] = clean_lines(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


class TerminalFormatter(logging.Formatter):
    """A text formatter for stderr: each record's line cleaned (one record, one line), its traceback
    cleaned line by line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return clean(super().formatMessage(record))

    def formatStack(self, stack_info: str) -> str:
        return clean_lines(stack_info)

    def format(self, record: logging.LogRecord) -> str:
        # the traceback may already be cached on the record (by the secret filter or another handler)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean_lines(record.exc_text)
        return super().format(record)


class CommandFormatter(TerminalFormatter):
    """``sellerpulse: warning: MESSAGE``: the records of a one-shot command, worded like its own lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return clean(f"sellerpulse: {record.levelname.lower()}: {record.getMessage()}")


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Creates the log file, and each file after a rotation, readable by its owner only (0600).

    A record that cannot be written (a full disk) is dropped with one warning on stderr while the
    problem lasts, not a traceback per record: logging's default would bury the operator's terminal.
    """

    _failing = False  # the last write failed: said once on stderr
    _failed_now = False

    def _open(self):  # type: ignore[override]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)  # calls handleError when the write fails
        if self._failing and not self._failed_now:
            self._failing = False
            print(f"sellerpulse: the log file {self.baseFilename} is written again", file=sys.stderr)

    def close(self) -> None:
        with contextlib.suppress(OSError):  # what was still buffered could not be written either: said
            super().close()

    def handleError(self, record: logging.LogRecord) -> None:
        self._failed_now = True
        if self._failing:
            return
        self._failing = True
        error = sys.exc_info()[1]
        reason = error.strerror if isinstance(error, OSError) and error.strerror else repr(error)
        print(
            f"sellerpulse: warning: cannot write the log file {self.baseFilename}: {reason}; "
            "log records are dropped until it can be written",
            file=sys.stderr,
        )


_installed: list[logging.Handler] = []
_filter = SecretFilter()


def setup_logging(
    level: str = "info",
    log_file: str | os.PathLike[str] | None = None,
    stderr: bool = False,
    secrets: Iterable[str] = (),
) -> Path | None:
    """Send the ``sellerpulse`` loggers to a rotating JSON-lines file (5 MB x 5) and optionally stderr.

    ``log_file`` defaults to :func:`default_log_path`; the file is created readable by its owner only.
    Calling again replaces the handlers installed before (the secrets are kept and extended). Returns
    the log file's path, or ``None`` when it cannot be opened (then a warning goes to stderr and the
    program carries on: a read-only home must not stop the dashboard).
    """
    name = level.lower()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r} (one of {', '.join(LEVELS)})")
    stop_logging()
    logger = logging.getLogger(LOGGER)
    _filter.add(secrets)
    logger.setLevel(LEVELS[name])

    path: Path | None = Path(log_file).expanduser() if log_file else default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_handler: logging.Handler = _PrivateRotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as error:
        print(f"sellerpulse: warning: cannot write the log file {path}: {error.strerror}", file=sys.stderr)
        path = None
    else:
        file_handler.setFormatter(JsonLineFormatter())
        _install(logger, file_handler)
    if stderr:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(TerminalFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        _install(logger, stream)
    return path


def log_to_stderr(level: str = "warning") -> None:
    """Show ``sellerpulse`` records of ``level`` and above on stderr, cleaned, as one-shot commands
    (``report``, ``check``, ``poa``, ...) do: without a handler Python's last resort would print them
    raw. :func:`setup_logging` replaces it, as it replaces every handler installed here."""
    stop_logging()
    logger = logging.getLogger(LOGGER)
    logger.setLevel(LEVELS[level])
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(CommandFormatter())
    _install(logger, stream)


def stop_logging() -> None:
    """Flush, close and remove the handlers :func:`setup_logging` installed (at exit, and in tests)."""
    logger = logging.getLogger(LOGGER)
    for handler in _installed:
        logger.removeHandler(handler)
        handler.close()
    _installed.clear()


def add_secrets(secrets: Iterable[str]) -> None:
    """Mask these values too in every record written from now on (e.g. after a config reload)."""
    _filter.add(secrets)


def _install(logger: logging.Logger, handler: logging.Handler) -> None:
    handler.addFilter(_filter)
    logger.addHandler(handler)
    _installed.append(handler)
