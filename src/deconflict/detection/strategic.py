"""Strategic deconfliction: which planned 4D volumes come closer than an agreement's buffers.

The pair predicate and its exact definitions live in `strategic_pair` (time windows half-open,
every gap strictly below its buffer, geodesic distances); `StrategicIndex` prunes with numpy
and asks that predicate about the rest, so every query answers exactly what checking every
pair would.
"""

from __future__ import annotations

from collections.abc import Mapping

from deconflict.detection.strategic_index import StrategicIndex
from deconflict.detection.strategic_pair import Buffers, Conflict, pair_conflict
from deconflict.geometry.volume import Volume

__all__ = ["Buffers", "Conflict", "StrategicIndex", "conflicts_among", "pair_conflict"]


def conflicts_among(volumes: Mapping[str, Volume], buffers: Buffers) -> list[Conflict]:
    """Every conflicting pair of a set (a day's plan): `first` < `second`, sorted by both keys."""
    index = StrategicIndex.build(volumes.items())
    found: list[Conflict] = []
    for key in sorted(volumes):
        index.remove(key)
        found.extend(index.conflicts_with(volumes[key], buffers, key=key))
    return found
