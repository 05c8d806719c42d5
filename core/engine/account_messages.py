"""An account's buyer messages: received, replied, dismissed, surveyed, and the reply queue.

A part of :class:`~.account.AccountState` (a mixin: it works on the state the account holds).
"""

from __future__ import annotations

from ..events import Event
from .orders import INF_TS
from .outcomes import message_outcome
from .records import Message
from .series import Outcome


class MessageEvents:
    def _message_outcomes(self, msg: Message) -> list[Outcome | None]:
        day = self.days.day
        return [message_outcome(msg, rule, threshold, day) for _, rule, threshold in self._message_series]

    def _message_changed(self, msg: Message, before: list[Outcome | None]) -> None:
        for (series, _, _), old, new in zip(
            self._message_series, before, self._message_outcomes(msg), strict=True
        ):
            if old != new:
                if old is not None:
                    series.retract(msg.ref, old)
                if new is not None:
                    series.insert(msg.ref, new)
        queue = self.queues.get("messages_awaiting_reply")
        if queue is not None:
            if msg.replied == INF_TS and not msg.dismissed:
                deadline = msg.received + self._queue_hours["messages_awaiting_reply"]
                queue.add(msg.ref, deadline, 0, (msg.order_id, msg.received))
            else:
                queue.discard(msg.ref)

    def _on_message_received(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            if e.ts < self.cutoffs[0]:
                return  # older than the retention (see ``cutoffs``)
            msg = self.messages[e.ref] = Message(e.ref, e.order_id, e.ts)
            self._message_changed(msg, [None] * len(self._message_series))
            self._release(self.orphans_by_ref, ("message", e.ref))
            return
        if e.ts < msg.received:
            before = self._message_outcomes(msg)
            msg.received = e.ts
            msg.order_id = e.order_id or msg.order_id
            self._message_changed(msg, before)

    def _on_message_replied(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            self._hold(("message", e.ref), e)
        elif e.ts < msg.replied:
            before = self._message_outcomes(msg)
            msg.replied = e.ts
            self._message_changed(msg, before)

    def _on_message_dismissed(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            self._hold(("message", e.ref), e)
        elif not msg.dismissed:
            before = self._message_outcomes(msg)
            msg.dismissed = True
            self._message_changed(msg, before)

    def _on_cs_survey(self, e: Event) -> None:
        msg = self.messages.get(e.ref)
        if msg is None:
            self._hold(("message", e.ref), e)
        elif msg.survey is None or (e.ts, e.outcome) > msg.survey:
            msg.survey = (e.ts, e.outcome)

    # returns
