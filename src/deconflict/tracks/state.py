"""A track's state: one aircraft at one moment, in SI units, with who owns the track.

A track id is scoped to the party that pushed it (`TrackKey(party, id)`); ADS-B tracks are keyed
by ICAO address and carry the owner their declared address ranges or callsign prefixes give,
or none (unattributed traffic). Times are seconds since the Unix epoch, UTC, on the service's
clock: floats, so that a store of 100k tracks stays small.

Both are named tuples, immutable like frozen dataclasses: a push of 100k states a second builds
and hashes them in C (a frozen dataclass of 14 fields took 2.4 us to build, a tuple 0.5 us).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["TrackKey", "TrackState"]


class TrackKey(NamedTuple):
    """A track as pushed: the owning party (None for unattributed traffic) and its id."""

    party: str | None
    id: str

    def as_json(self) -> dict[str, str | None]:
        return {"party": self.party, "id": self.id}


class TrackState(NamedTuple):
    """One state of one track."""

    key: TrackKey
    t_s: float
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float
    source: str
    """Where it came from: `push`, or the feed's address (`beast://host:port`)."""
    callsign: str | None = None
    icao24: str | None = None
    squawk: str | None = None
    notice_id: str | None = None
    on_ground: bool = False
