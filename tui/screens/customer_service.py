"""The customer-service view (``c`` on the main screen): the weekly figures buyers' messages make.

Customer Service Rating, average response time and First Contact Resolution for the current (running)
week and the complete weeks before it, a small bar chart per figure, the feedback score buyers see over
30 days to a lifetime, and the open buyer messages that have waited longest. The weekly figures are
computed on demand from the messages held, so this screen asks for them at its own refresh (off the UI
thread when the app is threaded) instead of making every main-screen refresh pay for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from rich.text import Text
from sellerpulse.core.snapshot import AccountSnapshot, MetricValue, QueueItem
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from .. import format as fmt
from ..theme import status_styles
from ..widgets.footer import KeysFooter
from ..widgets.graph import chart_rows
from ..widgets.line import Line

if TYPE_CHECKING:
    from ..host import DashboardHost

QUEUE = "messages_awaiting_reply"
THREADS = 5  # slowest open threads shown
CHART_HEIGHT = 3
# weekly figure id -> (column heading, chart title)
FIGURES = (
    ("cs_rating", "CS rating", "Customer Service Rating"),
    ("weekly_avg_response_hours", "Avg response", "Average response time"),
    ("first_contact_resolution", "First contact res.", "First Contact Resolution"),
)
FEEDBACK = (
    ("feedback_score_30d", "30 days"),
    ("feedback_score_90d", "90 days"),
    ("feedback_score_365d", "12 months"),
    ("feedback_score_lifetime", "lifetime"),
)
WEEK_COLUMN = 17
FIGURE_COLUMN = 20
DIM = Style(dim=True)
BOLD = Style(bold=True)


class Block(Static):
    """A multi-line text that repaints only when it changes."""

    def show(self, text: Text) -> None:
        if getattr(self, "_shown", None) != text:
            self._shown = text
            self.update(text)


class CustomerServiceScreen(Screen):
    ascii_only = False  # ASCII marks and separators only; the app sets it (open_screen)
    DEFAULT_CSS = """
    CustomerServiceScreen #cs-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    CustomerServiceScreen .cs-title { padding: 0 1; }
    CustomerServiceScreen #cs-charts { height: auto; }
    CustomerServiceScreen .cs-chart {
        width: 1fr; height: auto; border: round $foreground-darken-3; padding: 0 1;
        border-title-color: $foreground;
    }
    CustomerServiceScreen Block { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    CustomerServiceScreen #cs-threads { margin: 1 0 0 0; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="back"),
    ]

    app: DashboardHost  # what these screens read of the app (tui/host.py)

    def __init__(self, account: str) -> None:
        super().__init__()
        self.account = account
        self.shown: AccountSnapshot | None = None
        self.threads: list[QueueItem] = []
        self.at = 0
        self._timer: Timer | None = None
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Line(classes="cs-title")
        with VerticalScroll(id="cs-body"):
            yield Block(id="cs-weeks")
            with Horizontal(id="cs-charts"):
                for fid, heading, _ in FIGURES:
                    with Vertical(classes="cs-chart", id=f"chart-{fid}") as box:
                        box.border_title = heading
                        yield Block(classes="chart-rows")
            yield Block(id="cs-feedback")
            yield Block(id="cs-threads")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.reload()
        if self.app.live:
            self._timer = self.set_interval(self.app.refresh_interval, self._tick, name="cs-refresh")

    def on_unmount(self) -> None:
        if self._timer is not None:
            self._timer.stop()

    def show_for(self, account: str) -> None:
        """Show another account's figures (the app keeps one of these screens)."""
        if account != self.account:
            self.account, self.shown, self.threads, self.at = account, None, [], 0
            self.draw()
        self.query_one("#cs-body", VerticalScroll).scroll_home(animate=False)
        self._loading = False  # a read for the account before must not hold this one back
        self.reload()

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()  # closed: no reads until it is shown again

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()

    def _tick(self) -> None:
        if not self.app.paused:
            self.reload()

    # -- reading ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the weekly snapshot and the slowest threads (``r`` and the screen's own timer)."""
        if self._loading:
            return
        at = self.app.data.clock.now()
        if self.app.threaded:
            self._loading = True
            self.run_worker(lambda: self.app.call_from_thread(self.apply, self.read(at)), thread=True)
        else:
            self.apply(self.read(at))

    def read(self, at: int) -> tuple[int, AccountSnapshot | None, list[QueueItem]] | str:
        try:
            snapshot = self.app.data.snapshot(at, weekly=True)
            account = snapshot.accounts.get(self.account)
            threads = self.app.data.queue_items(self.account, QUEUE, at)[:THREADS] if account else []
            return at, account, threads
        except Exception as exc:  # shown as a notification, never a crash
            return f"{type(exc).__name__}: {exc}"

    def apply(self, reading: tuple[int, AccountSnapshot | None, list[QueueItem]] | str) -> None:
        self._loading = False
        if isinstance(reading, str):
            self.notify(reading, title="reading the customer-service figures failed", severity="error",
                        markup=False)  # fmt: skip
            return
        if reading[1] is not None and reading[1].account != self.account:
            return  # read for the account shown before
        self.at, self.shown, self.threads = reading
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    # -- drawing ----------------------------------------------------------------------------------

    def draw(self) -> None:
        if not self.is_mounted:
            return
        styles = status_styles(self.app)
        account = self.shown
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append("Customer service", BOLD)
        title.append(f"  {fmt.clean(self.account)}", DIM)
        if account is None:
            title.append("  no data for this account yet", DIM)
            self.query_one(".cs-title", Line).set(title)
            return
        title.append(f"  weeks Mon-Sun, {fmt.clean(account.timezone)}", DIM)
        self.query_one(".cs-title", Line).set(title)
        self.query_one("#cs-weeks", Block).show(weeks_table(account.weekly))
        width = self.size.width or 80
        column = max(1, min(4, ((width - 2) // len(FIGURES) - 12) // max(1, _week_count(account.weekly))))
        for fid, _, _ in FIGURES:
            box = self.query_one(f"#chart-{fid}", Vertical)
            box.query_one(Block).show(
                weekly_chart(account.weekly.get(fid, ()), fid, styles, column, self.ascii_only)
            )
        self.query_one("#cs-feedback", Block).show(feedback_text(account.metrics))
        tz = self.app.zone(account.timezone)
        queue = account.queues.get(QUEUE)
        self.query_one("#cs-threads", Block).show(
            threads_text(queue, self.threads, self.at, tz, styles, with_since=width >= 100)
        )

    def action_back(self) -> None:
        self.dismiss()


# -- text builders (pure: tested through the screen) ------------------------------------------------


def _week_count(weekly: dict[str, Sequence[Any]]) -> int:
    return max((len(weeks) for weeks in weekly.values()), default=0)


def _figure(fid: str, week: Any) -> str:
    if week is None or week.value is None:
        return "no data"
    if fid == "weekly_avg_response_hours":
        return f"{week.value:>6.1f} h  n={week.denominator}"
    return f"{week.value * 100:>6.1f} %  {week.numerator}/{week.denominator}"


def weeks_table(weekly: dict[str, Sequence[Any]]) -> Text:
    """One row per week, newest first: the three figures with what they were computed from."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'Week':<{WEEK_COLUMN}}", BOLD)
    for _, heading, _ in FIGURES:
        text.append(f"{heading:<{FIGURE_COLUMN}}", BOLD)
    count = _week_count(weekly)
    for n in range(count - 1, -1, -1):
        row = {
            fid: (weekly.get(fid) or ())[n] if n < len(weekly.get(fid) or ()) else None
            for fid, _, _ in FIGURES
        }
        first = next((w for w in row.values() if w is not None), None)
        if first is None:
            continue
        start, end = date.fromordinal(first.week_from), date.fromordinal(first.week_to)
        label = f"{start:%m-%d}..{end:%m-%d}"
        text.append("\n")
        text.append(f"{label:<13}", DIM if not first.partial else Style())
        text.append(f"{'now' if first.partial else '':<{WEEK_COLUMN - 13}}", DIM)
        for fid, _, _ in FIGURES:
            shown = _figure(fid, row[fid])
            text.append(f"{shown:<{FIGURE_COLUMN}}", DIM if shown == "no data" else Style())
    if not count:
        text.append("\nno weekly figures in this profile", DIM)
    return text


def weekly_chart(
    weeks: Sequence[Any], fid: str, styles: dict[str, Style], column: int, ascii_only: bool
) -> Text:
    """Bars of one weekly figure, oldest week left, with the top of the scale as the first label."""
    values = [w.value for w in weeks]
    rows, _, hi = chart_rows(values, None, None, None, styles, CHART_HEIGHT, column, ascii_only)
    top = f"{hi:.0f} h" if fid == "weekly_avg_response_hours" else f"{hi * 100:.0f} %"
    text = Text(no_wrap=True, overflow="crop")
    for n, row in enumerate(rows):
        label = top if n == 0 else ("0" if n == len(rows) - 1 else "")
        text.append(f"{label:>5} ", DIM)
        text.append_text(row)
        if n < len(rows) - 1:
            text.append("\n")
    return text


def feedback_text(metrics: dict[str, MetricValue]) -> Text:
    """The feedback score buyers see, per window: share of 4-5 star ratings and the counts."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{'Feedback':<12}", BOLD)
    if not any(mid in metrics for mid, _ in FEEDBACK):  # another marketplace's profile (Walmart, eBay)
        text.append("no feedback score in this profile", DIM)
        return text
    shown = [(label, metrics.get(mid)) for mid, label in FEEDBACK]
    for label, _ in shown:
        text.append(f"{label:<16}", BOLD)
    text.append("\n" + " " * 12)
    for _, metric in shown:
        value = (
            "no data" if metric is None or metric.value is None else f"{metric.value * 100:.1f} % positive"
        )
        text.append(f"{value:<16}")
    text.append("\n" + " " * 12)
    for _, metric in shown:
        counts = (
            "" if metric is None or not metric.denominator else f"{metric.numerator} of {metric.denominator}"
        )
        text.append(f"{counts:<16}", DIM)
    return text


def threads_text(
    queue: Any,
    items: Sequence[QueueItem],
    at: int,
    tz: Any,
    styles: dict[str, Style],
    with_since: bool = True,
) -> Text:
    """The open buyer messages that have waited longest, with how long and the reply deadline (and
    when they arrived, where the screen is wide enough)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Slowest open threads", BOLD)
    if queue is not None:
        text.append(f"  {queue.count} open", DIM)
        if queue.overdue:
            text.append(f"  {queue.overdue} overdue", styles["breach"])
    if not items:
        text.append("\nno buyer message waiting for a reply", DIM)
        return text
    for item in items:
        thread = fmt.clean(item.order_id or item.ref)
        text.append("\n")
        text.append(f"{thread[:22]:<23}")
        if with_since:
            text.append(f"since {fmt.instant(item.since, tz)}  ", DIM)
        text.append(f"waiting {fmt.duration(at - item.since):<9} ")
        late = item.deadline < at
        text.append(fmt.time_left(QUEUE, item.deadline, at), styles["breach"] if late else Style())
    return text
