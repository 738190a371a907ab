"""alerting: the pure core of live alerts."""

from deconflict.alerting.conditions import Condition, Extra
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
    "Alert",
    "AlertBook",
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
    "key_order",
    "tactical_conditions",
    "tactical_conditions_near",
]
