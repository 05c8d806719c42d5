"""``sellerpulse serve --web`` in a real headless browser (Debian's chromium through playwright): the page
renders the dashboard's panels, and a key press in the page opens a drill-down whose rows come from
serve's API. The terminal is drawn on a canvas, so what the page shows is read from the websocket
frames the tab's attached view sends (escape codes stripped)."""

from __future__ import annotations

import re
import shutil
import socket
import time
from pathlib import Path

import pytest
from attach_fixtures import Serve, seller, wait_for

pytestmark = pytest.mark.slow

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepting(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def until(page, condition, timeout: float) -> bool:
    """Poll ``condition`` while letting playwright deliver events (its sync API delivers them only
    inside its own calls, never during a ``time.sleep``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        page.wait_for_timeout(50)
    return condition()


def test_the_web_dashboard_renders_the_panels_and_enter_opens_a_drill_down(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip(
            "no chromium here (the README's test command installs it with apt-get as root or sudo -n)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency")
    seller(tmp_path)
    port = free_port()
    serve = Serve(tmp_path, extra=("--web", "--web-listen", f"127.0.0.1:{port}"))
    frames: list[str] = []

    def shown(since: int = 0) -> str:
        return ESCAPES.sub("", "".join(frames[since:]))

    try:
        assert wait_for(lambda: accepting(port), timeout=30), "the web server never listened"
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox"], headless=True
            )
            try:
                page = browser.new_page(viewport={"width": 1200, "height": 800})
                page.on(
                    "websocket",
                    lambda ws: ws.on(
                        "framereceived",
                        lambda data: frames.append(
                            data.decode("utf-8", "replace") if isinstance(data, bytes) else data
                        ),
                    ),
                )
                page.goto(f"http://127.0.0.1:{port}/")
                assert until(
                    page, lambda: "Order Defect Rate" in shown() and "Late Shipment Rate" in shown(), 90
                ), shown()[-2000:]
                assert until(page, lambda: "orders ok" in shown(), 30)  # the serve's source, via the stream
                page.wait_for_timeout(500)  # the first frames are drawn: the app now reads keys
                before = len(frames)
                # the keyboard goes to the terminal once it has the page's focus: a click on the first
                # panel (Order Defect Rate, top left) gives it; then enter opens that panel's drill-down
                page.locator(".textual-terminal").click(position={"x": 120, "y": 60})
                page.keyboard.press("Enter")
                assert until(page, lambda: "What went wrong" in shown(before), 30), shown(before)[-2000:]
                assert until(page, lambda: "esc back" in shown(before), 10)
            finally:
                browser.close()
    finally:
        serve.stop()
    assert wait_for(lambda: not accepting(port), timeout=10), "the web server outlived serve"
