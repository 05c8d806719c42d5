"""Options and steps shared by the sub-commands, so ``--config`` and friends read the same everywhere.

A command that reads the config adds :func:`add_config_argument` to its parser and calls
:func:`load_config_from_args`; one that writes the log adds :func:`add_log_arguments` and calls
:func:`start_logging`. Errors are printed by :func:`fail` as ``sellerpulse: error: ...``.

Every command exits by one scheme (the README's table): 0 done, 1 the operation failed, 64 the command line
or the config needs fixing (``EX_USAGE`` of sysexits.h: ``check`` uses 1-3 for warning, breach and
unknown, as monitoring plugins do, so a usage error cannot be argparse's 2), 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import typing
from pathlib import Path
from typing import Any

from sellerpulse.core.config import LOG_LEVELS, Config, load_config
from sellerpulse.core.config_locations import find_config_path, search_order
from sellerpulse.core.logs import setup_logging
from sellerpulse.core.textsafe import clean, clean_lines

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 64, 130


class Parser(argparse.ArgumentParser):
    """argparse with the project's usage status: a bad command line exits 64, as a bad config does."""

    def error(self, message: str) -> typing.NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_config_argument(parser: argparse.ArgumentParser, default: object = None) -> None:
    """``--config FILE``: the config to use instead of the search order (``default=argparse.SUPPRESS``
    where a sub-command's parser must not overwrite what was given before it)."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="config file (default: $SELLERPULSE_CONFIG, ./sellerpulse.toml, then the user config directory)",
    )


def add_log_arguments(parser: argparse.ArgumentParser) -> None:
    """``--log-level LEVEL`` and ``--log-file FILE``, overriding ``[general]`` log settings."""
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default=None, help="log level (default: general.log_level, info)"
    )
    parser.add_argument(
        "--log-file",
        metavar="FILE",
        default=None,
        help="log file (default: sellerpulse.log in the state directory)",
    )


def load_config_from_args(args: argparse.Namespace) -> Config:
    """The config named by ``--config`` or found by the search order (defaults when there is none).

    Raises :class:`~sellerpulse.core.config.ConfigError`; warnings (an unsafe file mode, a refresh
    below the floor) are printed to stderr.
    """
    explicit = getattr(args, "config", None)
    candidates = search_order(explicit)
    path = find_config_path(explicit)
    named = path is not None and path in (candidates[0].path, candidates[1].path)
    config = load_config(path, explicit=named)
    for warning in config.warnings:
        print(f"sellerpulse: warning: {clean(warning)}", file=sys.stderr)
    return config


def load_plugins_warned() -> Any:
    """The installed and built-in plugins, each broken one named on stderr (never a crash)."""
    from sellerpulse.core.plugins import load_plugins

    plugins = load_plugins()
    for warning in plugins.warnings:
        print(f"sellerpulse: warning: {clean(warning)}", file=sys.stderr)
    return plugins


def start_logging(
    args: argparse.Namespace, config: Config, *, stderr: bool = False, plugins: Any = None
) -> Path | None:
    """Open the log file with the command line's level and file over the config's; secrets masked.

    Pass the loaded ``plugins`` so option values a plugin declares secret (a webhook URL written
    literally) are masked too, not only ``${NAME}`` values.
    """
    if plugins is not None:
        config.add_plugin_secrets(plugins)
    level = getattr(args, "log_level", None) or config.general.log_level
    log_file: str | Path | None = getattr(args, "log_file", None)
    if log_file is None and config.general.log_file is not None:
        log_file = config.resolve_path(config.general.log_file)
    path = setup_logging(level, log_file, stderr=stderr, secrets=config.secrets)
    for warning in config.warnings:
        logging.getLogger("sellerpulse.config").warning("%s", warning)
    return path


def fail(message: object) -> int:
    """Print ``sellerpulse: error: MESSAGE`` to stderr and return the usage exit status. The message
    may quote a file or a server, so it is cleaned (its lines kept: one line per config problem)."""
    print(f"sellerpulse: error: {clean_lines(message)}", file=sys.stderr)
    return EXIT_USAGE


def write_private(path: Path, text: str, *, replace: bool) -> None:
    """Write ``text`` readable by the owner only (0600). Without ``replace``, an existing file is an error.

    A replacement is written beside the target and renamed over it, so a crash never leaves half a config.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    if not replace:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    path.chmod(0o600)
