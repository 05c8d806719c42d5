"""The ``sp-api`` source against a real local HTTP server playing Login with Amazon, SP-API and S3
(examples/spapi_server.py, answers shaped after Amazon's Orders v0 and Reports 2021-06-30 models)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sellerpulse.core.timeutil import US_PER_DAY
from sellerpulse.plugins.spapi.client import SpApiError
from spapi_fixtures import (
    ACCOUNT_HEALTH,
    ALL_ORDERS,
    FEEDBACK,
    RETURNS,
    iso,
    read_all,
    secrets_of,
    seller,
    source,
    spapi_server,
)

A1, A2, A3 = "111-0000001-0000001", "111-0000002-0000002", "111-0000003-0000003"


@pytest.fixture
def market():
    return seller()


@pytest.fixture
def server(market):
    running = spapi_server.serve_in_thread(market)
    yield running
    running.shutdown()
    running.server_close()


def events_of(batches):
    return [event for batch in batches for event in batch.events]


async def test_orders_pages_and_three_reports_become_events(market, server):
    market.gzip = True
    spapi = source(server)
    batches = await read_all(spapi)
    events = events_of(batches)
    ids = Counter(event.event_id for event in events)
    # getOrders: each order placed once; the shipped one shipped, the cancelled one cancelled; the
    # unshipped AFN order only placed
    for expected in (f"{A1}:placed", f"{A1}:shipped", f"{A2}:placed", f"{A2}:cancelled", f"{A3}:placed"):
        assert ids[expected] == 1, expected
    assert not any(event.event_id == f"{A3}:shipped" for event in events)
    # the all-orders report: placements (merged by the engine with the API's), the cancellation; an MFN
    # shipment without a tracking column is left out by the report reader
    assert {f"amazon-orders:{a}:placed" for a in (A1, A2, A3)} <= set(ids)
    assert ids[f"amazon-orders:{A2}:cancelled"] == 1
    kinds = Counter(event.kind for event in events)
    assert kinds["feedback"] == 1 and kinds["return_requested"] == 1 and kinds["claim_opened"] == 1
    feedback = next(event for event in events if event.kind == "feedback")
    assert (feedback.order_id, feedback.rating, feedback.account) == (A1, 1, "acme-us")
    assert not any(batch.rejections for batch in batches)
    # two pages: the second asked with NextToken and the same filters as the first
    pages = [given for name, given in market.calls if name == "getOrders"]
    assert len(pages) == 2
    assert "NextToken" not in pages[0] and pages[1]["NextToken"]
    assert {k: v for k, v in pages[1].items() if k != "NextToken"} == pages[0]
    assert "CreatedAfter" in pages[0] and "LastUpdatedAfter" not in pages[0]
    asked = [
        given for name, given in market.calls if name == "createReport" and given["reportType"] == FEEDBACK
    ]
    for instant in (pages[0]["CreatedAfter"], asked[0]["dataStartTime"], asked[0]["dataEndTime"]):
        assert len(instant) == len("2026-12-05T08:00:00Z")  # whole seconds, as Amazon writes its dates
    # one report of each type, read from a gzip document fetched without the access token
    assert Counter(given["reportType"] for name, given in market.calls if name == "createReport") == {
        FEEDBACK: 1, RETURNS: 1, ALL_ORDERS: 1, ACCOUNT_HEALTH: 1,
    }  # fmt: skip
    assert market.count("getReportDocument") == 4
    position = spapi.position()
    assert position["cursor"] == iso(2.9)  # the newest LastUpdateDate
    assert all("pending" not in state and state["done_until"] for state in position["reports"].values())


async def test_the_account_health_report_gives_amazons_numbers_beside_the_events(market, server):
    spapi = source(server, reports=[ACCOUNT_HEALTH])
    batches = await read_all(spapi)
    records = [record for batch in batches for record in batch.account_health]
    assert [(r.account, r.marketplace_id, r.account_status) for r in records] == [
        ("acme-us", "ATVPDKIKX0DER", "NORMAL")
    ]
    # the stand-in's PFCR: MFN orders of the last 7 days, the one placed 7 days ago cancelled
    pfcr = records[0].metric("pfcr")
    assert pfcr is not None and (pfcr.numerator, pfcr.denominator) == (1, 1)
    asked = [given for name, given in market.calls if name == "createReport"]
    assert asked == [{"reportType": ACCOUNT_HEALTH, "marketplaceIds": ["ATVPDKIKX0DER"]}]  # no data range


async def test_the_next_poll_asks_from_the_cursor_and_emits_only_changes(market, server):
    spapi = source(server, reports=[])
    first = events_of(await read_all(spapi))
    market.orders[2] = dict(market.orders[2], OrderStatus="Shipped", LastUpdateDate=iso(0.5))
    second = events_of(await read_all(spapi))
    assert len(first) == 5
    assert [event.event_id for event in second] == [f"{A3}:shipped"]
    last = [given for name, given in market.calls if name == "getOrders"][-1]
    assert last["LastUpdatedAfter"] == iso(2.9) and "CreatedAfter" not in last


async def test_an_access_token_is_renewed_before_it_expires(market, server):
    now = [1000.0]
    spapi = source(server, reports=[])
    spapi.lwa.clock = lambda: now[0]
    await read_all(spapi)
    await read_all(spapi)
    assert market.count("token") == 1  # kept while valid
    now[0] += 3600 - 30  # within a minute of its end (expires_in 3600)
    await read_all(spapi)
    assert market.count("token") == 2
    assert not any(name == "refused" for name, _ in market.calls)


async def test_a_403_for_an_expired_token_gets_one_new_token_and_the_call_again(market, server):
    spapi = source(server, reports=[])
    await read_all(spapi)
    market.expire_tokens()
    market.orders[0] = dict(market.orders[0], LastUpdateDate=iso(0.5))
    await read_all(spapi)
    refused = [given for name, given in market.calls if name == "refused"]
    assert refused == [{"operation": "getOrders"}]
    assert market.count("token") == 2
    assert spapi.health().state == "ok"


async def test_a_revoked_refresh_token_fails_with_what_to_do_and_no_secret(market, server):
    market.revoked = True
    spapi = source(server)
    with pytest.raises(SpApiError) as failure:
        await read_all(spapi)
    text = str(failure.value)
    assert "invalid_grant" in text and "authorise the application again" in text
    for secret in secrets_of(market):
        assert secret not in text


async def test_429_on_every_operation_is_waited_out(market, server):
    market.retry_after = "0.02"
    for operation in ("token", "getOrders", "createReport", "getReport", "getReportDocument"):
        market.throttle[operation] = 2
    spapi = source(server)
    events = events_of(await read_all(spapi))
    throttled = Counter(given["operation"] for name, given in market.calls if name == "throttled")
    assert throttled == {"getOrders": 2, "createReport": 2, "getReport": 2, "getReportDocument": 2}
    assert market.throttle["token"] == 0  # LWA's two 429 were answered too
    assert Counter(event.kind for event in events)["feedback"] == 1


async def test_429_beyond_the_retries_fails_the_turn_and_the_cursor_stays(market, server):
    market.throttle["getOrders"] = 10
    spapi = source(server, reports=[], max_retries=2)
    with pytest.raises(SpApiError, match=r"getOrders: HTTP 429: QuotaExceeded.*gave up after 3 tries"):
        await read_all(spapi)
    assert spapi.position().get("cursor") is None


async def test_a_fatal_report_is_named_and_its_range_asked_again_later(market, server):
    market.fatal = {FEEDBACK}
    spapi = source(server)
    with pytest.raises(SpApiError, match=rf"{FEEDBACK} report \d+ ended FATAL"):
        await read_all(spapi)
    reports = spapi.position()["reports"]
    assert reports[FEEDBACK] == {}  # nothing done, nothing pending
    assert reports[RETURNS]["done_until"] and reports[ALL_ORDERS]["done_until"]
    market.fatal = set()
    restarted = source(server)
    restarted.restore(spapi.position())
    events = events_of(await read_all(restarted))
    assert [event.kind for event in events if event.kind == "feedback"] == ["feedback"]
    asked = [given for name, given in market.calls if name == "createReport"]
    assert Counter(given["reportType"] for given in asked) == {
        FEEDBACK: 2,
        RETURNS: 1,
        ALL_ORDERS: 1,
        ACCOUNT_HEALTH: 1,
    }


async def test_a_fatal_report_shows_in_health_while_following(market, server):
    market.fatal = {FEEDBACK}
    spapi = source(server, interval=3600, report_interval=3600)

    async def follow() -> None:
        async for _batch in spapi.batches(True):
            pass

    task = asyncio.create_task(follow())
    try:
        for _ in range(500):
            if "FATAL" in (spapi.health().last_error or ""):
                break
            await asyncio.sleep(0.01)
        health = spapi.health()
    finally:
        task.cancel()
    assert health.state == "lagging"
    assert health.last_error is not None and f"{FEEDBACK} report" in health.last_error
    assert "ended FATAL" in health.last_error


async def test_a_restart_between_create_report_and_done_polls_the_same_report(market, server):
    market.hold = True
    first = source(server, interval=3600)
    positions = []  # as the runtime takes them: at each batch

    async def follow() -> None:
        async for _batch in first.batches(True):
            positions.append(first.position())

    task = asyncio.create_task(follow())
    try:
        while market.count("getReport") < 6:
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
    saved = positions[-1]
    assert all(state["pending"]["id"] for state in saved["reports"].values())
    market.hold = False
    second = source(server)
    second.restore(saved)
    events = events_of(await read_all(second))
    assert market.count("createReport") == 4  # none asked again
    kinds = Counter(event.kind for event in events)
    assert kinds["claim_opened"] == 1 and kinds["feedback"] == 1


async def test_waiting_for_quota_is_shown_in_health(market, server):
    market.rate_limit["getOrders"] = "0.5"  # Amazon states the rate: one call per 2 s
    market.page_size = 10  # one page a poll
    spapi = source(server, reports=[], rate_limits={"getOrders": [100, 1]})
    seen: list[tuple[float, str | None]] = []
    now = [0.0]

    async def sleep(seconds: float) -> None:
        seen.append((seconds, spapi.health().last_error))
        now[0] += seconds

    spapi.quotas.clock, spapi.quotas.sleep = (lambda: now[0]), sleep
    await read_all(spapi)
    await read_all(spapi)
    assert len(seen) == 1
    seconds, shown = seen[0]
    assert seconds == pytest.approx(2.0)
    assert shown == "waiting for quota: getOrders (next call allowed in 2 s)"
    assert spapi.health().state == "ok"


async def test_every_error_text_masks_the_tokens_a_server_echoes(market, server):
    spapi = source(server, reports=[], max_retries=0)
    await read_all(spapi)
    # a token the server does not know: its 403 quotes it; after one renewal the new one is refused too
    market.tokens.clear()
    market.orders[0] = dict(market.orders[0], LastUpdateDate=iso(0.5))
    original, issued = market.sign_in, []

    def forgetful(form):  # issues tokens it then does not know
        status, answer = original(form)
        issued.append(answer["access_token"])
        market.tokens.pop(answer["access_token"])
        return status, answer

    market.sign_in = forgetful
    with pytest.raises(SpApiError) as failure:
        await read_all(spapi)
    text = str(failure.value)
    assert "revoked, malformed or invalid: ***" in text
    assert issued
    for secret in [*secrets_of(market), *issued]:
        assert secret not in text


def test_options_are_checked_before_anything_runs(server):
    with pytest.raises(ValueError, match="marketplace_ids is empty"):
        source(server, marketplace_ids=[])
    with pytest.raises(ValueError, match="unknown operation 'getOrder'"):
        source(server, rate_limits={"getOrder": [1, 1]})
    with pytest.raises(ValueError, match="report type"):
        source(server, reports=["GET_MERCHANT_LISTINGS_ALL_DATA"])
    with pytest.raises(ValueError, match="lwa_endpoint must be an https:// URL"):
        source(server, lwa_endpoint="http://api.example.com/auth/o2/token")  # credentials in clear
    with pytest.raises(ValueError, match="endpoint must be an https:// URL"):
        source(server, endpoint="ftp://127.0.0.1/")
    with pytest.raises(ValueError, match="unknown time zone: 'Mars/Olympus'"):
        source(server, timezone="Mars/Olympus")


def test_the_first_start_reads_the_profiles_longest_window_and_lag(server):
    spapi = source(server, lookback_days=0)
    # the Amazon profile's longest order-metric window plus its lag: the perfect order rate's 90 days
    # (ODR's 60 days ending 14 days ago reach back 74; the feedback scores keep their own history)
    assert spapi.lookback_us == 90 * US_PER_DAY


async def test_one_shot_reading_ends(market, server):
    spapi = source(server)
    await asyncio.wait_for(read_all(spapi), 20)


async def test_rows_a_report_cannot_read_are_rejections_at_their_line_and_the_rest_is_kept(market, server):
    market.extra_rows[FEEDBACK] = [
        "31/31/26\t1\tno such day\t\t111-0000002-0000002\tb@example.com",
        "12/01/26\t2\tlate\t\t111-0000003-0000003\tc@example.com",
    ]
    spapi = source(server, reports=[FEEDBACK])
    batches = await read_all(spapi)
    rejected = [rejection for batch in batches for rejection in batch.rejections]
    assert len(rejected) == 1
    assert rejected[0].source.startswith(f"{FEEDBACK} report ") and rejected[0].position == "line 3"
    feedback = sorted(event.order_id for event in events_of(batches) if event.kind == "feedback")
    assert feedback == [A1, A3]


async def test_a_gzip_document_larger_than_max_body_bytes_is_refused_unread(market, server):
    market.gzip = True
    market.extra_rows[RETURNS] = ["x" * 200_000]  # compresses to a few hundred bytes
    spapi = source(server, reports=[RETURNS], max_body_bytes=8192)
    with pytest.raises(
        SpApiError, match=rf"{RETURNS} report \d+: the document is larger than max_body_bytes"
    ):
        await read_all(spapi)
    assert spapi.position()["reports"][RETURNS] == {}  # asked again at the next turn


async def test_a_report_call_that_fails_keeps_the_report_it_waits_for(market, server):
    market.throttle["getReport"] = 2  # more 429 than the retries
    spapi = source(server, reports=[FEEDBACK], max_retries=1)
    with pytest.raises(SpApiError, match=r"getReport: HTTP 429.*gave up after 2 tries"):
        await read_all(spapi)
    pending = spapi.position()["reports"][FEEDBACK]["pending"]
    restarted = source(server, reports=[FEEDBACK])
    restarted.restore(spapi.position())
    events = events_of(await read_all(restarted))
    assert [event.kind for event in events if event.kind == "feedback"] == ["feedback"]
    assert market.count("createReport") == 1
    assert {given["reportId"] for name, given in market.calls if name == "getReport"} == {pending["id"]}


async def test_a_failed_poll_stays_failing_while_the_turns_only_wait_for_a_report(market, server):
    market.hold = True
    market.throttle["getOrders"] = 100
    spapi = source(server, reports=[FEEDBACK], interval=3600, max_retries=0)

    async def follow() -> None:
        async for _batch in spapi.batches(True):
            pass

    task = asyncio.create_task(follow())
    try:
        while market.count("getReport") < 5:  # five turns after the failed poll, each polling the report
            await asyncio.sleep(0.01)
        health = spapi.health()
    finally:
        task.cancel()
    assert health.state == "failing"
    assert "getOrders: HTTP 429" in (health.last_error or "")
