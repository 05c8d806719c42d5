"""An account's policy violations: noticed and resolved.

A part of :class:`~.account.AccountState` (a mixin: it works on the state the account holds).
"""

from __future__ import annotations

from ..events import Event
from .outcomes import violation_outcome
from .records import Violation
from .series import Outcome


class ViolationEvents:
    def _violation_changed(self, violation: Violation, before: Outcome | None) -> None:
        after = violation_outcome(violation, self.days.day)
        if after != before:
            for series in self._violation_series:
                if before is not None:
                    series.retract(violation.ref, before)
                if after is not None:
                    series.insert(violation.ref, after)

    def _on_violation(self, e: Event) -> None:
        violation = self.violations.get(e.ref)
        if violation is None:
            if e.ts < self.cutoffs[0]:
                return  # older than the retention (see ``cutoffs``)
            violation = self.violations[e.ref] = Violation(e.ref, e.ts, e.severity)
            self._violation_changed(violation, None)
            self._release(self.orphans_by_ref, ("violation", e.ref))
        elif e.ts < violation.ts:
            before = violation_outcome(violation, self.days.day)
            violation.ts = e.ts
            self._violation_changed(violation, before)

    def _on_violation_resolved(self, e: Event) -> None:
        violation = self.violations.get(e.ref)
        if violation is None:
            self._hold(("violation", e.ref), e)
        elif not violation.resolved:
            before = violation_outcome(violation, self.days.day)
            violation.resolved = True
            self._violation_changed(violation, before)
