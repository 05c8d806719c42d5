"""The windowed-aggregation engine: keyed state, day buckets, open-item indexes, snapshots."""

from .drilldown import BadOutcome
from .engine import Engine

__all__ = ["BadOutcome", "Engine"]
