"""Tactical conflict detection: which pairs of live tracks will lose separation, and when.

The definition is the state-based one BlueSky's `StateBased` detector uses. Each pair is put in
a local east-north plane the way BlueSky's `kwikqdrdist` does (a sphere of radius 6,371 km, the
longitude difference wrapped to +-180 degrees and scaled by the cosine of the mean latitude) and
both aircraft fly straight on. With relative position d and relative velocity v (|v|^2 floored at
1e-6, as BlueSky does), the pair is horizontally closer than R during

    t_cpa -+ sqrt(R^2 - d_cpa^2) / |v|,   t_cpa = -d.v / |v|^2,   d_cpa^2 = |d|^2 - t_cpa^2 |v|^2,

and vertically closer than H while |dh + dvs t| < H, which with a zero vertical-rate difference
is always or never. A conflict is a pair whose two intervals overlap, with the overlap ending
after 0 and starting before the look-ahead time; a pair already inside both R and H (loss of
separation) is a conflict whatever its velocities.

The boundaries follow BlueSky's strictness: closer than R and H means strictly closer, so two
aircraft exactly H apart in altitude with equal vertical rates are not in conflict, and an
overlap of the two intervals that is a single instant still counts. Where BlueSky raises a zero
vertical-rate difference to 1e-6 m/s, here it is handled exactly; so level aircraft H apart
give no conflict, even when rounding (1000 ft converted to metres) leaves them a hair outside
H, which BlueSky reports in one of its two orders. BlueSky also does not wrap the longitude
difference; here pairs across the antimeridian are measured the short way.

`detect` (in `engine`) prunes pairs with `candidate_pairs` (in `prune`) and evaluates the
survivors vectorised; `detect_reference` (in `reference`) evaluates every pair one at a time,
straight from the formula. `detect_alerts` (in `alerts`) grades the conflicts into nested alert
tiers, each a separation of its own.
"""

from deconflict.detection.tactical.alerts import Alert, AlertTier, AlertTiers, detect_alerts
from deconflict.detection.tactical.engine import Encounters, conflicts_of, detect, evaluate_pairs
from deconflict.detection.tactical.prune import candidate_pairs
from deconflict.detection.tactical.reference import detect_reference
from deconflict.detection.tactical.types import States, TacticalConflict

__all__ = [
    "Alert",
    "AlertTier",
    "AlertTiers",
    "Encounters",
    "States",
    "TacticalConflict",
    "candidate_pairs",
    "conflicts_of",
    "detect",
    "detect_alerts",
    "detect_reference",
    "evaluate_pairs",
]
