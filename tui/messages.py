"""What screens ask of the app, as messages: a screen says what the operator wants, the app decides
how it is shown (which screen, over which account). Screens never call the app's methods, so the app
and the screens do not import each other; panels' own ``Opened`` messages bubble the same way."""

from __future__ import annotations

from textual.message import Message


class MainReady(Message):
    """The main screen is composed: the sources may start and the first snapshot be read."""


class OpenPlan(Message):
    """The plan-of-action draft of one metric of one account (``o`` in a metric's drill-down)."""

    def __init__(self, account: str, metric_id: str) -> None:
        super().__init__()
        self.account = account
        self.metric_id = metric_id


class ReadNow(Message):
    """What the dashboard shows has changed by the operator's hand (an alert acknowledged or
    silenced): read again now rather than at the next refresh."""
