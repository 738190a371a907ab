"""Decoded ADS-B positions as track states: keyed by owner and ICAO address, in SI units.

A surface position is on the ground at altitude 0. An airborne one without a barometric
altitude takes its GNSS height, the better guess for the picture than no aircraft; one with
neither is skipped. A velocity not heard yet counts as 0 and the state is still kept, so the
aircraft is on the picture from its first position.
"""

from __future__ import annotations

from deconflict.ingest.aircraft import Position
from deconflict.tracks import TrackKey, TrackState

__all__ = ["state_of"]


def state_of(position: Position, owner: str | None, source: str) -> TrackState | None:
    """The state `position` gives the track of `owner` (None: unattributed), or None."""
    if position.surface:
        alt_m: float | None = 0.0
    else:
        alt_m = position.alt_m if position.alt_m is not None else position.gnss_alt_m
    if alt_m is None:
        return None
    return TrackState(
        key=TrackKey(owner, position.icao24),
        t_s=position.t_s,
        lat=position.lat,
        lon=position.lon,
        alt_m=alt_m,
        gs_mps=position.gs_mps or 0.0,
        trk_deg=(position.trk_deg or 0.0) % 360.0,
        vs_mps=0.0 if position.surface else position.vs_mps or 0.0,
        source=source,
        callsign=position.callsign,
        icao24=position.icao24,
        squawk=position.squawk,
        on_ground=position.surface,
    )
