"""The dashboard with accounts of three marketplaces (Pilot): the picker tells them apart, each account's
panels follow its own profile under the same group keys, and the header carries the marketplace and the
seller level, which changes live when the account falls a level."""

from __future__ import annotations

from mixed_fixtures import AMAZON, AT, EBAY, WALMART, mixed_app, mixed_engine, mixed_events
from rich.style import Style
from sellerpulse.core.events import Event
from sellerpulse.core.profile import builtin_profile
from sellerpulse.core.snapshot import AccountSnapshot, LevelValue
from sellerpulse.core.timeutil import US_PER_DAY, US_PER_HOUR
from sellerpulse.tui.screens.account_picker import AccountPicker
from sellerpulse.tui.widgets.header import HeaderLine, header_text
from sellerpulse.tui.widgets.metric_panel import MetricPanel
from textual.widgets import OptionList

SIZE = (120, 40)
ODR_PARTS = {"negative_feedback_rate", "a_to_z_rate", "chargeback_rate"}


def header(app) -> str:
    return app.main.query_one(HeaderLine).plain


def panels(app) -> list[MetricPanel]:
    return list(app.main.query(MetricPanel))


def picker_lines(app) -> dict[str, str]:
    options = app.screen.query_one(OptionList)
    found = (options.get_option_at_index(n) for n in range(options.option_count))
    return {option.id: str(option.prompt) for option in found}


async def pick(pilot, name: str) -> None:
    """Open the picker and choose ``name`` with the arrow keys, as an operator does."""
    await pilot.press("a")
    assert isinstance(pilot.app.screen, AccountPicker)
    names = sorted(pilot.app.reading.snapshot.accounts)
    current = names.index(pilot.app.account)
    wanted = names.index(name)
    await pilot.press(*(["down"] * (wanted - current) or ["up"] * (current - wanted)), "enter")
    await pilot.pause()
    assert pilot.app.screen is pilot.app.main and pilot.app.account == name


async def test_the_picker_tells_the_marketplaces_apart_and_each_account_gets_its_own_panels():
    app = mixed_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        lines = picker_lines(app)
        assert set(lines) == {AMAZON, WALMART, EBAY}
        assert "Amazon ·" in lines[AMAZON] and "Walmart ·" in lines[WALMART] and "eBay ·" in lines[EBAY]
        assert "Standard" in lines[EBAY] and "Standard" not in lines[AMAZON] + lines[WALMART]
        assert lines[AMAZON].startswith("> ")  # the current one
        await pilot.press("escape")
        for name, profile in ((WALMART, "walmart"), (EBAY, "ebay"), (AMAZON, "amazon")):
            await pick(pilot, name)
            metrics = set(builtin_profile(profile).metrics)
            parts = ODR_PARTS if profile == "amazon" else set()
            assert {p.metric_id for p in panels(app)} == metrics - parts, name
            assert f"{name} " in header(app) and builtin_profile(profile).marketplace in header(app)
            assert app.main.focused in panels(app)  # the rebuilt panels keep the focus on the screen


async def test_the_group_keys_show_and_hide_another_marketplaces_metrics():
    app = mixed_app(account=WALMART)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {p.metric_id: p for p in panels(app)}
        shipping = ("cancel_rate", "otd", "vtr")
        await pilot.press("2")
        assert not any(shown[m].display for m in shipping) and shown["response_rate"].display
        await pilot.press("2", "3")
        assert all(shown[m].display for m in shipping) and not shown["response_rate"].display
        await pick(pilot, EBAY)  # a hidden group stays hidden on the next account's panels
        ebay = {p.metric_id: p for p in panels(app)}
        assert ebay["late_shipment_rate"].display  # shipping is shown, customer service hidden
        await pilot.press("1")
        assert not ebay["tdr"].display and not ebay["cases_closed"].display


async def test_the_header_shows_the_level_and_a_fall_to_below_standard_live():
    engine = mixed_engine()
    app = mixed_app(engine=engine, account=EBAY)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        level = app.current_account.level
        assert level is not None and level.level == "Above Standard" and level.next_down == "Below Standard"
        assert level.describe() in header(app) and "eBay" in header(app)
        # buyers open cases on ten delivered orders and eBay closes them for the buyer, unanswered
        delivered = [e.order_id for e in mixed_events() if e.kind == "order_delivered" and e.account == EBAY]
        cases = []
        for n, order_id in enumerate(delivered[-10:]):
            ref = f"CASE-{n}"
            opened = AT - 4 * US_PER_DAY
            cases.append(Event(ts=opened, kind="claim_opened", account=EBAY, order_id=order_id, ref=ref))
            cases.append(
                Event(ts=AT - US_PER_HOUR, kind="claim_closed", account=EBAY, ref=ref, outcome="granted")
            )
        engine.ingest(cases)
        await pilot.press("r")
        await pilot.pause()
        assert app.current_account.level.level == "Below Standard"
        assert "Below Standard" in header(app) and "Above Standard" not in header(app)
        await pick(pilot, AMAZON)
        assert "Standard" not in header(app) and "Amazon" in header(app)


def test_the_level_keeps_its_place_on_an_80_column_header():
    level = LevelValue("Above Standard", "above_standard", "Below Standard", 3, "tdr", "defect")
    account = AccountSnapshot(EBAY, "ebay", "America/Denver", 0, {}, {}, marketplace="eBay", level=level)
    styles = {"ok": Style(color="green"), "warning": Style(color="yellow"), "breach": Style(color="red")}
    text = header_text(80, account, 3, 3, None, None, {}, False, 2.0, styles)
    assert "Above Standard; 3 more defects to Below Standard" in text.plain and "eBay" in text.plain
    assert text.plain.startswith(f"{EBAY} 3/3")
    assert len(text.plain) <= 80
    floor = LevelValue("Below Standard", "below_standard")
    text = header_text(80, AccountSnapshot(EBAY, "ebay", "UTC", 0, {}, {}, marketplace="eBay", level=floor),
                       1, 1, None, None, {}, False, 2.0, styles)  # fmt: skip
    assert any(span.style == styles["breach"] for span in text.spans)


async def test_the_customer_service_view_of_a_store_whose_profile_has_no_weekly_figures():
    app = mixed_app(account=WALMART)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        shown = "\n".join(str(widget.render()) for widget in app.screen.query("Static"))
        assert "GR-" in shown  # the Walmart store's own open threads
        assert "no weekly figures in this profile" in shown and "no feedback score in this profile" in shown


class WithoutRules:
    """A data provider that cannot say what a metric measures (a remote one may not): every call but
    ``metric_rules`` goes to the engine's."""

    def __init__(self, data) -> None:
        self._data = data
        self.clock = data.clock

    def __getattr__(self, name: str):
        if name == "metric_rules":
            raise AttributeError(name)
        return getattr(self._data, name)


async def test_a_provider_without_rules_still_gets_every_panel_of_the_account():
    app = mixed_app(account=EBAY)
    app.data = WithoutRules(app.data)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {p.metric_id: p.group for p in panels(app)}
        assert set(shown) == set(builtin_profile("ebay").metrics)
        assert set(shown.values()) == {"other"}  # unknown rules: the last metric group
