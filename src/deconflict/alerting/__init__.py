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
    "TrackArea",
    "TrackNotice",
    "TrackPair",
    "Transition",
    "Updated",
    "alert_id",
    "key_order",
]
