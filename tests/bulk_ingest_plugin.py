"""A pytest plugin that sends every ``Engine.ingest`` (and so ``Engine.apply``) through a fresh
:class:`BulkLoader`, to run the engine's own tests through the bulk path (issue 14):

    PYTHONPATH=tests .venv/bin/python -m pytest -p bulk_ingest_plugin tests/test_engine_rules.py ...

Not loaded by default: the plain runs test the engine itself."""

from __future__ import annotations

from collections.abc import Iterable

from sellerpulse.core.bulk import BulkLoader
from sellerpulse.core.engine import Engine
from sellerpulse.core.events import Event


def _through_the_loader(self: Engine, events: Iterable[Event]) -> int:
    return BulkLoader(self).ingest(events)


Engine.ingest = _through_the_loader  # type: ignore[method-assign]
