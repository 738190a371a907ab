"""detection: pure conflict-detection cores.

Tactical (live tracks): `deconflict.detection.tactical.detect` finds pairs predicted to lose
separation; `detect_alerts` grades them into nested alert tiers.

Strategic (planned 4D volumes): `deconflict.detection.strategic.pair_conflict` is the one pair
predicate; `StrategicIndex` and `conflicts_among` answer with it at scale.
"""

from deconflict.detection.strategic import (
    Buffers,
    Conflict,
    StrategicIndex,
    conflicts_among,
    pair_conflict,
)
from deconflict.detection.tactical import (
    Alert,
    AlertTier,
    AlertTiers,
    Encounters,
    States,
    TacticalConflict,
    candidate_pairs,
    detect_alerts,
    detect_reference,
    evaluate_pairs,
)

__all__ = [
    "Alert",
    "AlertTier",
    "AlertTiers",
    "Buffers",
    "Conflict",
    "Encounters",
    "States",
    "StrategicIndex",
    "TacticalConflict",
    "candidate_pairs",
    "conflicts_among",
    "detect_alerts",
    "detect_reference",
    "evaluate_pairs",
    "pair_conflict",
]
