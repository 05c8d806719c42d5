"""What to act on now: each queue's count, overdue and due soon, and its next items with time left."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from sellerpulse.core.snapshot import QueueValue
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget

from .. import format as fmt
from .line import Line

DIM = Style(dim=True)
BOLD = Style(bold=True)
ITEM_LINES = 3  # the narrow layout shows the first only (CSS hides the others)

# a queue the account's profile does not track, by its id (any marketplace's words)
SHORT_NAMES = {
    "messages_awaiting_reply": "Messages",
    "claims_awaiting_response": "Claims",
    "returns_awaiting_response": "Returns",
    "orders_to_ship": "Orders to ship",
}
WAITING = (" awaiting reply", " awaiting response")


def short_name(queue: QueueValue) -> str:
    """The profile's name of a queue without its "awaiting ..." tail: "A-to-z claims" (Amazon), "Cases"
    (eBay), "Customer inquiries" (Walmart)."""
    name = fmt.clean(queue.name)
    for tail in WAITING:
        if name.endswith(tail) and len(name) > len(tail):
            return name[: -len(tail)]
    return name


class QueueBlock(Widget, can_focus=True):
    """One queue; ``enter`` asks for its full list."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "details", "Details", id="details")]

    class Opened(Message):
        def __init__(self, queue_id: str) -> None:
            super().__init__()
            self.queue_id = queue_id

    def __init__(self, queue_id: str) -> None:
        super().__init__(id=f"queue-{queue_id}", classes="queue")
        self.queue_id = queue_id
        self.search_text = f"{queue_id} {SHORT_NAMES.get(queue_id, '')}".lower()
        self._last: tuple | None = None
        self.head_line = Line(classes="queue-head")
        self.item_lines = [Line(classes=f"queue-item item-{n}") for n in range(ITEM_LINES)]

    def compose(self) -> ComposeResult:
        yield self.head_line
        yield from self.item_lines

    def action_details(self) -> None:
        self.post_message(self.Opened(self.queue_id))

    def show(self, queue: QueueValue | None, at: int, styles: Mapping[str, Style]) -> None:
        head = Text(no_wrap=True, overflow="ellipsis")
        name = short_name(queue) if queue else SHORT_NAMES.get(self.queue_id, fmt.clean(self.queue_id))
        self.search_text = f"{self.queue_id} {name}".lower()
        head.append(f"{name:<15}", BOLD)
        lines: list[Text] = []
        if queue is None:
            head.append(" not tracked", DIM)
        else:
            head.append(f"{queue.count:>5}")
            if queue.overdue:
                head.append(f"  {queue.overdue} overdue", styles.get("breach"))
            if queue.due_soon:
                head.append(f"  {queue.due_soon} due soon", styles.get("warning"))
            if not queue.count:
                head.append("  all clear", styles.get("ok"))
            for item in queue.items[:ITEM_LINES]:
                line = Text(no_wrap=True, overflow="ellipsis")
                line.append(f"  {fmt.clean(item.order_id or item.ref)}  ", DIM)
                late = item.deadline < at
                line.append(
                    fmt.time_left(self.queue_id, item.deadline, at), styles.get("breach") if late else None
                )
                lines.append(line)
        self.set_class(queue is None or not queue.count, "-clear")  # a narrow screen leaves it out
        key = (head, tuple(lines))
        if key == self._last:
            return
        self._last = key
        self.head_line.set(head)
        for n, line in enumerate(self.item_lines):
            line.set(lines[n] if n < len(lines) else Text())
            line.set_class(n >= len(lines), "-empty")


class QueuesPanel(Vertical):
    """The bordered group of queue blocks."""

    def __init__(self, queue_ids: list[str]) -> None:
        super().__init__(id="queues", classes="panel side group-queues")
        self.blocks = [QueueBlock(qid) for qid in queue_ids]
        self.border_title = "Queues"

    def compose(self) -> ComposeResult:
        yield from self.blocks

    def show(self, queues: Mapping[str, QueueValue], at: int, styles: Mapping[str, Style]) -> None:
        for block in self.blocks:
            block.show(queues.get(block.queue_id), at, styles)
        clear = all(block.has_class("-clear") for block in self.blocks)
        self.border_title = "Queues: all clear" if clear else "Queues"
