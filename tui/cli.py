"""The ``sellerpulse`` command line: a thin dispatcher over one module per sub-command.

Sub-command modules are imported lazily by name so ``sellerpulse report`` never pays for Textual.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

from sellerpulse.tui.commands.common import EXIT_INTERRUPTED, EXIT_OK, Parser

from sellerpulse import __version__

# sub-command name -> module under sellerpulse.tui.commands that defines register(subparsers)
COMMAND_MODULES: dict[str, str] = {
    "report": "report",
    "check": "report",
    "config": "config",
    "plugins": "plugins",
    "alerts": "alerts",
    "run": "dashboard",
    "demo": "dashboard",
    "poa": "poa",
    "serve": "serve",
    "attach": "attach",
}


def build_parser() -> Parser:
    parser = Parser(
        prog="sellerpulse",
        description="Live account health of marketplace sellers: metrics, queues and alerts.",
    )
    parser.add_argument("--version", action="version", version=f"sellerpulse {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in dict.fromkeys(COMMAND_MODULES.values()):
        module = importlib.import_module(f"sellerpulse.tui.commands.{module_name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        from sellerpulse.tui.commands.dashboard import run_default

        return run_default()
    from sellerpulse.core.logs import log_to_stderr

    log_to_stderr()  # commands that keep a log file replace it
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
