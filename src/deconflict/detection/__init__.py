"""detection: pure conflict-detection cores.

Tactical (live tracks): `deconflict.detection.tactical.detect` finds pairs predicted to lose
separation; `detect_alerts` grades them into nested alert tiers.
"""

from deconflict.detection.alerts import Alert, AlertTier, AlertTiers, detect_alerts
from deconflict.detection.tactical import (
    Encounters,
    States,
    TacticalConflict,
    candidate_pairs,
    detect_reference,
    evaluate_pairs,
)

__all__ = [
    "Alert",
    "AlertTier",
    "AlertTiers",
    "Encounters",
    "States",
    "TacticalConflict",
    "candidate_pairs",
    "detect_alerts",
    "detect_reference",
    "evaluate_pairs",
]
