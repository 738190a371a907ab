"""live: the service's live air picture, its own component beside the `Service` stack.

It holds the receiver feeds, the track store, the publish/subscribe bus the track streams
read, and the history it writes for the record; it reaches the rest of the service through a
few use cases (whose tracks a caller sees, which notices it may cite, record a minute).
"""

from deconflict.live.bus import Subscription, TrackBus, TrackUpdate
from deconflict.live.picture import DEFAULT_RETENTION_S, LivePicture, PushResult
from deconflict.live.push import MAX_AGE_S, MAX_FUTURE_S, MAX_TRACKS, PushedTrack
from deconflict.live.sources import Sources

__all__ = [
    "DEFAULT_RETENTION_S",
    "MAX_AGE_S",
    "MAX_FUTURE_S",
    "MAX_TRACKS",
    "LivePicture",
    "PushResult",
    "PushedTrack",
    "Sources",
    "Subscription",
    "TrackBus",
    "TrackUpdate",
]
