"""How a seller level reads on screen: its words come from the snapshot (``LevelValue.describe``), its
colour from how close the account is to falling."""

from __future__ import annotations

from sellerpulse.core.snapshot import LevelValue


def level_status(level: LevelValue) -> str:
    """``breach`` on the ladder's floor (Below Standard), ``warning`` when the next bad outcome drops the
    account a level, else ``ok``; a status name, so the theme's status colours apply."""
    if level.next_down is None:
        return "breach"
    if level.headroom == 0:
        return "warning"
    return "ok"
