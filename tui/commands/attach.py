"""``sellerpulse attach [URL]``: the dashboard fed by a running ``sellerpulse serve``.

The view starts no source, engine or alert of its own: it follows ``serve``'s stream and asks it for
drill-down rows, so any number of operators can watch one engine, and a view that quits or loses its
SSH connection changes nothing for the others. Without a URL, the ``serve`` running for the config is
found by its serve file.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import add_config_argument, fail, load_config_from_args


def register(subparsers: argparse._SubParsersAction) -> None:
    attach = subparsers.add_parser("attach", help="the dashboard of a running `sellerpulse serve`")
    attach.add_argument(
        "url", nargs="?", default=None, metavar="URL",
        help="the serve's address, e.g. http://127.0.0.1:8710 (default: the serve running for the config)",
    )  # fmt: skip
    attach.add_argument(
        "--token-file", default=None, metavar="PATH",
        help="the serve's action token (default: the one the serve file names); needed to acknowledge alerts",
    )  # fmt: skip
    attach.add_argument(
        "--read-only",
        action="store_true",
        help="use no token: watch, never act (the web dashboard's tabs off loopback)",
    )
    add_config_argument(attach)
    attach.add_argument("--refresh", type=float, default=None, metavar="SECONDS",
                        help="seconds between screen refreshes (default: general.refresh, 2; floor 0.5)")  # fmt: skip
    attach.add_argument("--no-color", action="store_true", help="no colours (also: the NO_COLOR variable)")
    attach.add_argument("--ascii", action="store_true", help="graphs without block characters")
    attach.set_defaults(handler=run_attach)


def run_attach(args: argparse.Namespace) -> int:
    from sellerpulse.core.config import ConfigError

    try:
        config = load_config_from_args(args)
    except ConfigError as exc:
        return fail(exc)
    url, token_file = args.url, args.token_file
    if url is None:
        found = running_serve(config.path)
        if found is None:
            return fail(
                f"no serve is running for {config.path or 'the defaults'}; start one with `sellerpulse serve`"
                " or give its URL"
            )
        url, token_file = found[0], token_file or found[1]
    problem = url_problem(url)
    if problem:
        return fail(f"{url!r}: {problem}")
    try:
        token = None if args.read_only else read_token(token_file, explicit=args.token_file is not None)
    except OSError as exc:
        return fail(f"{args.token_file}: cannot read the token: {exc.strerror or exc}")
    refresh = args.refresh if args.refresh is not None else config.general.refresh
    return attach(url, token, refresh, args.no_color, args.ascii, config.keymap)


def attach_to_running(config_path: Path | None) -> int | None:
    """A bare ``sellerpulse``: attached to the serve running for the config, if one is (its exit
    status), else None."""
    if running_serve(config_path) is None:
        return None
    args = argparse.Namespace(
        url=None, token_file=None, read_only=False, config=str(config_path) if config_path else None,
        refresh=None, no_color=False, ascii=False,
    )  # fmt: skip
    return run_attach(args)


def running_serve(config_path: Path | None) -> tuple[str, str | None] | None:
    """The URL and token file of the ``serve`` running for the config at ``config_path``, from its
    serve file (a file left by a serve that is gone is removed and gives None)."""
    from sellerpulse.core.api import discovery

    info = discovery.running(discovery.serve_file(config_path))
    if info is None or not isinstance(info.get("url"), str):
        return None
    token_file = info.get("token_file")
    return info["url"], token_file if isinstance(token_file, str) else None


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a serve's address (None when it can): ``http(s)://HOST[:PORT]``."""
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        return f"not a URL ({exc})"
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return "expected the address serve prints, such as http://127.0.0.1:8710"
    return None


def read_token(path: str | None, explicit: bool) -> str | None:
    """The token in ``path`` (default: where ``serve`` keeps it). A token file given on the command line
    must be readable; the default one may be missing (the view is then read-only)."""
    from sellerpulse.core.api import tokens

    try:
        with open(path or tokens.token_path(), encoding="utf-8") as handle:
            return handle.read().strip() or None
    except OSError:
        if explicit:
            raise
        return None


def attach(
    url: str, token: str | None, refresh: float, no_color: bool, ascii_only: bool, keymap: dict[str, str]
) -> int:
    """Run the attached dashboard on ``url`` until it quits."""
    if no_color:
        os.environ["NO_COLOR"] = "1"  # Textual reads it when the app is created
    from ..app import unknown_binding_ids
    from ..attached import AttachedApp
    from ..remote import RemoteData

    for ident in unknown_binding_ids(keymap):
        print(
            f"sellerpulse: warning: [keymap] {ident!r} is not a binding id (see `?` in the dashboard)",
            file=sys.stderr,
        )
    app = AttachedApp(RemoteData(url, token), refresh=refresh, ascii_only=ascii_only, keymap=keymap)
    app.run()
    return app.return_code or 0
