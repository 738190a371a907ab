"""Party pushes: a batch of one party's tracks, checked against the service clock and made
into states of tracks that party owns.

A track id is the pusher's own (`TrackKey(party, id)`). A state may be at most
`MAX_FUTURE_S` ahead of the service clock and at most `MAX_AGE_S` behind it; within one batch
the latest state of an id wins and the others count as stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from deconflict.errors import FieldError
from deconflict.tracks import TrackKey, TrackState

__all__ = [
    "MAX_AGE_S",
    "MAX_FUTURE_S",
    "MAX_TRACKS",
    "PUSH_SOURCE",
    "PushedTrack",
    "latest_per_id",
    "time_errors",
]

MAX_FUTURE_S = 5.0
MAX_AGE_S = 60.0
MAX_TRACKS = 10_000
"""The most tracks one batch may hold."""
PUSH_SOURCE = "push"


class PushedTrack(NamedTuple):
    """One track as a party pushes it, already within its ranges; `t_s` in epoch seconds (a
    named tuple, like `TrackState`, to build fast)."""

    id: str
    t_s: float
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float
    callsign: str | None = None
    icao24: str | None = None
    squawk: str | None = None
    notice_id: str | None = None


def time_errors(tracks: Sequence[PushedTrack], now_s: float) -> list[FieldError]:
    """A field error at `/tracks/i/time` for each state too far ahead or behind `now_s`."""
    errors = []
    for i, track in enumerate(tracks):
        if track.t_s > now_s + MAX_FUTURE_S:
            ahead = track.t_s - now_s
            errors.append(
                FieldError(
                    f"/tracks/{i}/time",
                    f"{ahead:.3f} s ahead of the service clock (at most {MAX_FUTURE_S:g} s)",
                )
            )
        elif track.t_s < now_s - MAX_AGE_S:
            behind = now_s - track.t_s
            errors.append(
                FieldError(
                    f"/tracks/{i}/time",
                    f"{behind:.3f} s behind the service clock (at most {MAX_AGE_S:g} s)",
                )
            )
    return errors


def latest_per_id(party: str, tracks: Sequence[PushedTrack]) -> tuple[list[TrackState], int]:
    """The party's states, the latest of each id (the later in the batch on a tie), and how
    many others the batch held."""
    latest: dict[str, PushedTrack] = {}
    for track in tracks:
        held = latest.get(track.id)
        if held is None or track.t_s >= held.t_s:
            latest[track.id] = track
    states = [  # positional: a third faster than by keyword, and this runs 100k times a second
        TrackState(
            TrackKey(party, t.id),
            t.t_s,
            t.lat,
            t.lon,
            t.alt_m,
            t.gs_mps,
            t.trk_deg,
            t.vs_mps,
            PUSH_SOURCE,
            t.callsign,
            t.icao24,
            t.squawk,
            t.notice_id,
        )
        for t in latest.values()
    ]
    return states, len(tracks) - len(states)
