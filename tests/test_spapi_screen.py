"""The dashboard on a running sp-api source (Textual Pilot): its health shows the refused call, and the
tokens the server echoes are masked on screen as everywhere else."""

from __future__ import annotations

import time

import pytest
from sellerpulse.core.engine import Engine
from sellerpulse.core.runtime import Runtime
from sellerpulse.tui.app import make_app
from sellerpulse.tui.data import RuntimeData
from spapi_fixtures import secrets_of, seller, source, spapi_server


@pytest.mark.slow
async def test_the_sources_panel_shows_the_403_and_no_secret() -> None:
    market = seller()
    issued: list[str] = []
    original = market.sign_in

    def forgetful(form):  # tokens the server then does not know: each call's 403 quotes the token sent
        status, answer = original(form)
        issued.append(answer["access_token"])
        market.tokens.pop(answer["access_token"])
        return status, answer

    market.sign_in = forgetful
    server = spapi_server.serve_in_thread(market)
    # (a 403 carries no rate header: the configured rate holds, fast enough never to wait here)
    spapi = source(server, reports=[], interval=0.5, max_retries=0, rate_limits={"getOrders": [100, 20]})
    runtime = Runtime(Engine(), [spapi])
    data = RuntimeData(runtime)
    app = make_app(data, refresh=0.2, show_clock=False)
    runtime.start_in_thread()
    try:
        async with app.run_test(size=(200, 60)) as pilot:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not (data.health()["amazon-us"].last_error or ""):
                await pilot.pause(0.1)
            await pilot.press("r")
            await pilot.pause(0.5)
            screen = app.export_screenshot().replace("&#160;", " ")
            shown = data.health()["amazon-us"]
    finally:
        runtime.stop()
        server.shutdown()
        server.server_close()
    assert shown.state == "failing"
    assert "getOrders: HTTP 403: Unauthorized" in (shown.last_error or "")
    assert "revoked, malformed or invalid: ***" in (shown.last_error or "")
    assert "amazon-us" in screen and "failing" in screen and "HTTP 403" in screen
    assert issued
    for secret in [*secrets_of(market), *issued]:
        assert secret not in screen
