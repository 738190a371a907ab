"""alerting: the pure core of live alerts, from the track picture to raised, updated and cleared.

Four checks each find, in one cycle, the subjects that meet a tier and the figures of the
moment (a `Condition`): `tactical_conditions` grades pairs of tracks predicted to lose
separation with the tiers the caller's rule gives each pair of owners (and
`tactical_conditions_near` does the same for a few just-updated tracks, on arrival);
`intrusion_conditions` finds tracks in, or about to enter, protected areas and hazards;
`outside_notices` and `ConformanceWatch` find tracks outside the notice they cite for more
than 10 s; `ChannelWatch` finds parties not heard from. `AlertBook` turns each cycle's
conditions into the transitions the record keeps, with ids derived from the subject and the
time raised. Everything here is pure: values in, values out, times in epoch seconds on the
caller's clock; which agreement applies, who is told and what is stored are the service's.
"""

from deconflict.alerting.conditions import Condition, Extra
from deconflict.alerting.conformance import (
    DEFAULT_OUTSIDE_FOR_S,
    OUTSIDE,
    Buffers,
    ConformanceWatch,
    NoticeVolumes,
    Outside,
    outside_notices,
)
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
from deconflict.alerting.silence import (
    DEFAULT_SILENT_AFTER_S,
    SILENT,
    ChannelWatch,
    Watched,
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
    engine_states,
    formation,
    tactical_conditions,
    tactical_conditions_near,
)

__all__ = [
    "DEFAULT_CLEAR_AFTER_S",
    "DEFAULT_INTRUSION_LOOKAHEAD_S",
    "DEFAULT_OUTSIDE_FOR_S",
    "DEFAULT_SILENT_AFTER_S",
    "ENTERING",
    "INSIDE",
    "OUTSIDE",
    "SILENT",
    "Alert",
    "AlertBook",
    "Area",
    "AreaIndex",
    "AreaKind",
    "Buffers",
    "ChannelWatch",
    "ClearReason",
    "Cleared",
    "Condition",
    "ConformanceWatch",
    "Extra",
    "Kind",
    "Materiality",
    "NoticeVolumes",
    "Outside",
    "PartyChannel",
    "Raised",
    "Subject",
    "TiersFor",
    "TrackArea",
    "TrackNotice",
    "TrackPair",
    "Transition",
    "Updated",
    "Watched",
    "alert_id",
    "between_parties",
    "engine_states",
    "formation",
    "intrusion_conditions",
    "key_order",
    "outside_notices",
    "tactical_conditions",
    "tactical_conditions_near",
]
