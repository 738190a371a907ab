"""alerting: the pure core of live alerts."""

from deconflict.alerting.conditions import Condition, Extra
from deconflict.alerting.intrusion import (
    DEFAULT_INTRUSION_LOOKAHEAD_S,
    ENTERING,
    INSIDE,
    Area,
    AreaIndex,
    AreaKind,
    intrusion_conditions,
)
from deconflict.alerting.lifecycle import (
    DEFAULT_CLEAR_AFTER_S,
    Alert,
    AlertBook,
    Cleared,
    ClearReason,
    Materiality,
    Raised,
    Transition,
    Updated,
)
from deconflict.alerting.subjects import (
    Kind,
    PartyChannel,
    Subject,
    TrackArea,
    TrackNotice,
    TrackPair,
    alert_id,
    key_order,
)
from deconflict.alerting.tactical import (
    TiersFor,
    between_parties,
    formation,
    tactical_conditions,
    tactical_conditions_near,
)

__all__ = [
    "DEFAULT_CLEAR_AFTER_S",
    "DEFAULT_INTRUSION_LOOKAHEAD_S",
    "ENTERING",
    "INSIDE",
    "Alert",
    "AlertBook",
    "Area",
    "AreaIndex",
    "AreaKind",
    "ClearReason",
    "Cleared",
    "Condition",
    "Extra",
    "Kind",
    "Materiality",
    "PartyChannel",
    "Raised",
    "Subject",
    "TiersFor",
    "TrackArea",
    "TrackNotice",
    "TrackPair",
    "Transition",
    "Updated",
    "alert_id",
    "between_parties",
    "formation",
    "intrusion_conditions",
    "key_order",
    "tactical_conditions",
    "tactical_conditions_near",
]
