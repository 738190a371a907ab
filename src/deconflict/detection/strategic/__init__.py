"""Strategic deconfliction: which planned 4D volumes come closer than an agreement's buffers.

The pair predicate and its exact definitions live in `pair` (time windows half-open, every gap
strictly below its buffer, geodesic distances); `StrategicIndex` (in `index`) prunes with the
cell grid of `grid` and numpy, and asks that predicate about the rest, so every query answers
exactly what checking every pair would.
"""

from deconflict.detection.strategic.index import StrategicIndex, conflicts_among
from deconflict.detection.strategic.pair import Buffers, Conflict, pair_conflict

__all__ = ["Buffers", "Conflict", "StrategicIndex", "conflicts_among", "pair_conflict"]
