"""The live track store: the latest state of every track, a bounded recent history, and which
tracks have gone stale.

Pure and single-threaded: the caller (the service's live component) serialises access and
brings the time. A state older than its track's current one is not applied and is counted as
stale; a track not updated for `stale_after_s` (airborne) or `ground_stale_after_s` is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from deconflict.tracks.state import TrackKey, TrackState

__all__ = [
    "DEFAULT_HISTORY",
    "DEFAULT_STALE_AFTER_S",
    "Track",
    "TrackStore",
    "Updated",
]

DEFAULT_STALE_AFTER_S = 10.0
"""An airborne track not heard from for this long is lost."""
DEFAULT_GROUND_STALE_AFTER_S = 60.0
DEFAULT_HISTORY = 8
"""Recent states kept per track in memory (the database keeps the thinned history)."""


@dataclass(slots=True)
class Track:
    """One track: its latest state and the few before it, newest last."""

    latest: TrackState
    recent: list[TrackState] = field(default_factory=list)
    """Oldest first; a list, since an empty deque costs ten times its size per track."""

    @property
    def key(self) -> TrackKey:
        return self.latest.key


@dataclass(frozen=True, slots=True)
class Updated:
    """What an update did: states applied, states older than their track's current one, and
    the states applied (newest per track last), for those who follow the picture."""

    accepted: int
    stale: int
    applied: tuple[TrackState, ...]


class TrackStore:
    """Tracks by key."""

    def __init__(
        self,
        *,
        stale_after_s: float = DEFAULT_STALE_AFTER_S,
        ground_stale_after_s: float = DEFAULT_GROUND_STALE_AFTER_S,
        history: int = DEFAULT_HISTORY,
    ) -> None:
        self.stale_after_s = stale_after_s
        self.ground_stale_after_s = ground_stale_after_s
        self.history = history
        self._tracks: dict[TrackKey, Track] = {}

    def __len__(self) -> int:
        return len(self._tracks)

    def __iter__(self) -> Iterator[Track]:
        return iter(list(self._tracks.values()))

    def get(self, key: TrackKey) -> Track | None:
        return self._tracks.get(key)

    def update(self, states: Iterable[TrackState]) -> Updated:
        """Apply states in the order given; a state not newer than its track's latest is stale."""
        accepted = stale = 0
        applied: list[TrackState] = []
        for state in states:
            track = self._tracks.get(state.key)
            if track is None:
                self._tracks[state.key] = Track(state)
            elif state.t_s <= track.latest.t_s:
                stale += 1
                continue
            else:
                track.recent.append(track.latest)
                if len(track.recent) > self.history:
                    del track.recent[0]
                track.latest = state
            accepted += 1
            applied.append(state)
        return Updated(accepted, stale, tuple(applied))

    def expire(self, now_s: float) -> list[TrackState]:
        """Remove the tracks that went stale by `now_s`; the last state of each."""
        lost = [
            track.latest
            for track in self._tracks.values()
            if now_s - track.latest.t_s
            > (self.ground_stale_after_s if track.latest.on_ground else self.stale_after_s)
        ]
        for state in lost:
            del self._tracks[state.key]
        return lost

    def states(self) -> list[TrackState]:
        """The latest state of every track, in no particular order (cheaper than `latest`)."""
        return [track.latest for track in self._tracks.values()]

    def latest(self, keep: Callable[[TrackState], bool] | None = None) -> list[TrackState]:
        """The latest state of every track (that `keep` admits), in key order."""
        states = (track.latest for track in self._tracks.values())
        chosen = [s for s in states if keep is None or keep(s)]
        chosen.sort(key=lambda s: (s.key.party or "", s.key.id))
        return chosen
