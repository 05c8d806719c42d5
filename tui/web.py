"""``sellerpulse serve --web``: the dashboard in a browser, each tab an attached view.

textual-serve runs a command per browser tab and relays its terminal over a websocket; the command here
is ``sellerpulse attach URL`` on the running ``serve``, so a tab reads the same engine as every other
view and starts nothing of its own. The web server runs in a child process (``python -m
sellerpulse.tui.web``): its event loop, its websockets and the tabs' output never take the interpreter
from ``serve``'s ingest, and textual-serve gets the main thread it wants for its signal handlers.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

DEFAULT_WEB_LISTEN = "127.0.0.1:8711"
PARENT_CHECK = 1.0  # seconds between two looks at whether serve is still there


def add_web_arguments(parser: argparse.ArgumentParser) -> None:
    """``--web`` and ``--web-listen`` (``serve``)."""
    parser.add_argument(
        "--web", action="store_true", help="also serve the dashboard to browsers (each tab an attached view)"
    )
    parser.add_argument(
        "--web-listen", default=DEFAULT_WEB_LISTEN, metavar="HOST:PORT", type=_listen,
        help=f"address of the web dashboard (default {DEFAULT_WEB_LISTEN})",
    )  # fmt: skip


def _listen(text: str) -> str:
    """``--web-listen`` checked when the command line is read (a bad one is a usage error, exit 64)."""
    from .server import ListenError, parse_listen

    try:
        parse_listen(text)
    except ListenError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("--listen", "--web-listen")) from None
    return text


def attach_command(url: str, extra: Sequence[str] = ()) -> str:
    """The shell command a browser tab runs: this interpreter's ``sellerpulse attach URL``."""
    return shlex.join([sys.executable, "-m", "sellerpulse.tui.cli", "attach", url, *extra])


def tab_command(url: str, host: str) -> str:
    """What a browser tab runs. Off loopback the page reaches whoever reaches the address, and
    textual-serve authenticates nobody: the tabs are then read-only (no token, no acknowledging)."""
    from .server import is_loopback

    return attach_command(url, () if is_loopback(host) else ("--read-only",))


def start_web(args: argparse.Namespace, serve_url: str) -> subprocess.Popen[bytes] | None:
    """With ``--web``, serve the dashboard on ``--web-listen`` in a child process, every tab attached to
    ``serve_url``: the one call ``serve`` makes. The child ends by itself when ``serve`` does (even
    after a ``kill -9``), so ``serve`` need not stop it."""
    if not getattr(args, "web", False):
        return None
    from .server import parse_listen

    host, port = parse_listen(args.web_listen)
    return subprocess.Popen(
        [sys.executable, "-m", "sellerpulse.tui.web", "--host", host, "--port", str(port), serve_url],
        stdin=subprocess.DEVNULL,
    )


def _end_with_parent(parent: int) -> None:
    """Ask this process to stop (SIGTERM: textual-serve's clean exit) once ``parent`` is gone."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    """The child process: textual-serve on HOST:PORT running ``sellerpulse attach URL`` per tab."""
    from textual_serve.server import Server

    parser = argparse.ArgumentParser(prog="sellerpulse-web")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8711)
    parser.add_argument("url", help="the serve to attach each tab to")
    args = parser.parse_args(argv)
    threading.Thread(target=_end_with_parent, args=(os.getppid(),), name="web-parent", daemon=True).start()
    Server(tab_command(args.url, args.host), host=args.host, port=args.port, title="sellerpulse").serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
