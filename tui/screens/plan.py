"""The plan-of-action draft inside the dashboard (``o`` in a metric's drill-down), and the remedies the
drill-down shows.

The draft is :func:`sellerpulse.core.poa.plan_of_action` over the app's latest snapshot and the metric's
bad outcomes (read off the UI thread when the app is threaded), rendered with Textual's Markdown widget
(ids in it come from outside: the draft puts them in code spans, and every line is cleaned of control
characters first) and written to a Markdown file in the working directory with ``w``.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from sellerpulse.core.config_locations import find_config_path
from sellerpulse.core.poa import plan_of_action
from sellerpulse.core.profile import ProfileError, builtin_profile
from sellerpulse.core.remedies import Remedy, RemedyError, load_remedies, override_path
from sellerpulse.core.textsafe import clean_lines
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Markdown

from .. import format as fmt
from ..widgets.footer import KeysFooter
from ..widgets.line import Line

if TYPE_CHECKING:
    from ..host import DashboardHost


@functools.cache
def _remedies(profile: str, path: Path | None, stamp: int) -> dict[str, Remedy]:
    return load_remedies(profile, path)


def remedy_for(profile: str, metric_id: str) -> Remedy | None:
    """The metric's remedy: the shipped file with the user's (``$SELLERPULSE_REMEDIES``, or
    ``remedies.toml`` beside the config the search order finds) over it, read again when that file
    changes; ``None`` when there is none or the user's file is broken (``sellerpulse poa`` says why)."""
    try:
        path = override_path(find_config_path(None))
        return _remedies(profile, path, path.stat().st_mtime_ns if path else 0).get(metric_id)
    except (RemedyError, OSError):
        return None


def metric_rule(profile: str, metric_id: str) -> str | None:
    """The metric's rule in a shipped profile (for the plan's wording); ``None`` for other profiles."""
    try:
        spec = builtin_profile(profile).metrics.get(metric_id)
    except ProfileError:
        return None
    return spec.rule if spec is not None else None


class PlanScreen(Screen):
    ascii_only = False  # ASCII marks and separators only; the app sets it (open_screen)
    DEFAULT_CSS = """
    PlanScreen #plan-body { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    PlanScreen .plan-title { padding: 0 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "save", "Write .md", id="plan-save"),
        Binding("escape", "back", "Back", id="back"),
    ]

    app: DashboardHost  # what these screens read of the app (tui/host.py)

    def __init__(self, account: str, metric_id: str) -> None:
        super().__init__()
        self.account = account
        self.metric_id = metric_id
        self.text = ""

    def compose(self) -> ComposeResult:
        yield Line(classes="plan-title")
        with VerticalScroll(id="plan-body"):
            yield Markdown(id="plan-text", open_links=False)  # a link in a remedies file opens nothing
        yield KeysFooter()

    def on_mount(self) -> None:
        self._start()

    def show_for(self, account: str, metric_id: str) -> None:
        """Draft the plan of another metric (the app keeps one of these screens)."""
        self.account, self.metric_id = account, metric_id
        if self.is_mounted:
            self._start()

    def _start(self) -> None:
        dot = fmt.dot(self.ascii_only)
        title = Text(f"Plan of action  {fmt.clean(self.metric_id)} {dot} {fmt.clean(self.account)}", "bold")
        title.append("  w writes it to a Markdown file", "dim")
        self.query_one(".plan-title", Line).set(title)
        body = self.query_one("#plan-body", VerticalScroll)
        body.scroll_home(animate=False)
        body.focus()
        target = (self.account, self.metric_id)
        if self.app.threaded:
            self.run_worker(
                lambda: self.app.call_from_thread(self._drafted, target, self.draft()), thread=True
            )
        else:
            self._drafted(target, self.draft())

    def _drafted(self, target: tuple[str, str], text: str) -> None:
        if target == (self.account, self.metric_id):  # not a draft of what the screen showed before
            self.show(text)

    def draft(self) -> str:
        reading = self.app.reading
        snapshot = reading.snapshot if reading else None
        account = snapshot.accounts.get(self.account) if snapshot else None
        if account is None or snapshot is None or self.metric_id not in account.metrics:
            return f"No data for {self.metric_id} of {self.account} yet."
        try:
            items = self.app.data.bad_outcomes(self.account, self.metric_id, snapshot.at)
            return plan_of_action(
                account,
                self.metric_id,
                items,
                remedy_for(account.profile, self.metric_id),
                snapshot.at,
                rule=metric_rule(account.profile, self.metric_id),
            )
        except Exception as exc:  # a message on screen, never a crash
            return f"Drafting the plan failed: {type(exc).__name__}: {exc}"

    def show(self, text: str) -> None:
        if text == self.text:
            return  # the same plan again: Markdown would rebuild every block for nothing
        self.text = text
        # line by line: the draft's own line breaks stay, anything else unprintable becomes visible
        self.query_one("#plan-text", Markdown).update(clean_lines(text))

    def file_name(self) -> str:
        day = self.app.reading.snapshot.at if self.app.reading and self.app.reading.snapshot else 0
        stamp = fmt.instant(day, self.app.zone("UTC"))[:10] if day else date.today().isoformat()
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{self.account}-{self.metric_id}")
        return f"poa-{safe}-{stamp}.md"

    def action_save(self) -> None:
        if not self.text:
            return
        path = Path.cwd() / self.file_name()
        try:
            path.write_text(self.text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"{path}: {exc.strerror or exc}", title="writing the plan failed", severity="error",
                        markup=False)  # fmt: skip
            return
        self.notify(f"written to {path}", title="plan of action", timeout=4, markup=False)

    def action_back(self) -> None:
        self.dismiss()
