"""The bulk path: events already on disk (a file, a journal, a source's backlog) into the engine at once,
to the state the incremental engine would reach (issue 14)."""

from .loader import BulkLoader

__all__ = ["BulkLoader"]
