"""tracks: the live air picture's pure core: track states, the store, and the history record."""

from deconflict.tracks.history import (
    THIN_EVERY_S,
    Thinner,
    commitment,
    in_batch_order,
    state_json,
)
from deconflict.tracks.state import TrackKey, TrackState
from deconflict.tracks.store import DEFAULT_STALE_AFTER_S, Track, TrackStore, Updated

__all__ = [
    "DEFAULT_STALE_AFTER_S",
    "THIN_EVERY_S",
    "Thinner",
    "Track",
    "TrackKey",
    "TrackState",
    "TrackStore",
    "Updated",
    "commitment",
    "in_batch_order",
    "state_json",
]
