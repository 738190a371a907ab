"""Conformance: a track that cites a notice, flying outside every volume of it plus the
agreement's buffers, for more than 10 s on end.

`outside_notices` is the raw check of one cycle. A state is inside a volume when its horizontal
distance to the footprint is at most `buffer_h_m` (for a circle, the geodesic distance to the
centre less the radius; for an outline, the distance in the outline's own local plane, which
is exact from its anchor and close nearby), its altitude is within the band widened by
`buffer_v_m` on both sides, and its time within the window widened by `buffer_t_s` at both
ends. A state is judged at its own time `t_s`. A track citing a notice that is not among those
given is not judged: the caller passes the notices it holds, and a track may cite one it
cannot see.

`ConformanceWatch` turns the raw check into alerts: a (track, notice) becomes a condition once
the cycles have found it outside continuously for more than `outside_for_s`, counted from the
first cycle that found it so; a cycle that does not find it outside starts the count again.
The condition's tier is `outside`; `dcpa_m` and `separation_m` are the horizontal gap, how far
beyond the nearest buffered footprint the track is (0 when it is outside only in altitude or
time), so a track drifting further away makes a material update.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from deconflict.alerting.conditions import Condition
from deconflict.alerting.subjects import TrackNotice
from deconflict.arrays import Bools, Floats
from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry import Circle, Volume
from deconflict.geometry.geodesy import geodesic_distance_m, unit_vectors
from deconflict.geometry.separation import Anchored, anchor
from deconflict.tracks import TrackState

__all__ = [
    "DEFAULT_OUTSIDE_FOR_S",
    "OUTSIDE",
    "Buffers",
    "ConformanceWatch",
    "NoticeVolumes",
    "Outside",
    "outside_notices",
]

DEFAULT_OUTSIDE_FOR_S = 10.0
OUTSIDE = "outside"


@dataclass(frozen=True, slots=True)
class Buffers:
    """The agreement's margins around a notice's volumes: metres across, metres up and down,
    seconds before and after."""

    buffer_h_m: float = 0.0
    buffer_v_m: float = 0.0
    buffer_t_s: float = 0.0

    def __post_init__(self) -> None:
        errors = [
            FieldError(f"/{name}", f"{name} = {value!r} must be finite and >= 0")
            for name in ("buffer_h_m", "buffer_v_m", "buffer_t_s")
            if not (math.isfinite(value := getattr(self, name)) and value >= 0.0)
        ]
        if errors:
            raise InvalidInput(f"invalid buffers: {errors[0].detail}", errors)


class NoticeVolumes:
    """A notice's volumes and buffers, each footprint made ready for distances once."""

    __slots__ = ("_footprints", "buffers", "id", "volumes")

    def __init__(self, notice_id: str, volumes: Iterable[Volume], buffers: Buffers) -> None:
        self.id = notice_id
        self.volumes = tuple(volumes)
        self.buffers = buffers
        self._footprints: list[Anchored | Circle] = []
        for volume in self.volumes:
            footprint = volume.footprint
            if isinstance(footprint, Circle):
                self._footprints.append(footprint)
            else:
                ready = anchor(footprint)
                _ = ready.planar
                self._footprints.append(ready)

    def gaps_m(self, lon: Floats, lat: Floats) -> list[Floats]:
        """Per volume, each point's horizontal distance beyond the footprint (<= 0 inside a
        circle, 0 inside an outline)."""
        gaps = []
        for footprint in self._footprints:
            if isinstance(footprint, Circle):
                centre_lon = np.full(lon.shape, footprint.lon_deg)
                centre_lat = np.full(lat.shape, footprint.lat_deg)
                distance = geodesic_distance_m(centre_lon, centre_lat, lon, lat)
                gaps.append(distance - footprint.radius_m)
            else:
                xy = footprint.plane.project(unit_vectors(lon, lat))
                points = shapely.points(xy)
                gaps.append(np.asarray(shapely.distance(footprint.planar, points), np.float64))
        return gaps


@dataclass(frozen=True, slots=True)
class Outside:
    """A state outside every volume of the notice it cites, and its horizontal gap."""

    state: TrackState
    gap_m: float


def outside_notices(
    notices: Mapping[str, NoticeVolumes], states: Sequence[TrackState]
) -> dict[TrackNotice, Outside]:
    """The states that cite one of `notices` and are outside every volume of it."""
    citing: dict[str, list[TrackState]] = defaultdict(list)
    for state in states:
        if state.notice_id is not None and state.notice_id in notices:
            citing[state.notice_id].append(state)
    out: dict[TrackNotice, Outside] = {}
    for notice_id, group in citing.items():
        notice = notices[notice_id]
        lon = np.array([s.lon for s in group], dtype=np.float64)
        lat = np.array([s.lat for s in group], dtype=np.float64)
        alt_m = np.array([s.alt_m for s in group], dtype=np.float64)
        t_s = np.array([s.t_s for s in group], dtype=np.float64)
        inside: Bools = np.zeros(len(group), dtype=np.bool_)
        gap_m = np.full(len(group), np.inf)
        b = notice.buffers
        for volume, gaps in zip(notice.volumes, notice.gaps_m(lon, lat), strict=True):
            across = gaps <= b.buffer_h_m
            band = (alt_m >= volume.altitude.lower_m - b.buffer_v_m) & (
                alt_m <= volume.altitude.upper_m + b.buffer_v_m
            )
            window = (t_s >= volume.window.start.timestamp() - b.buffer_t_s) & (
                t_s < volume.window.end.timestamp() + b.buffer_t_s
            )
            inside |= across & band & window
            gap_m = np.minimum(gap_m, np.maximum(gaps - b.buffer_h_m, 0.0))
        for k in np.flatnonzero(~inside).tolist():
            state = group[k]
            gap = float(gap_m[k])
            out[TrackNotice(state.key, notice_id)] = Outside(
                state, gap if math.isfinite(gap) else 0.0
            )
    return out


class ConformanceWatch:
    """Since when each (track, notice) has been outside, cycle after cycle."""

    def __init__(self, outside_for_s: float = DEFAULT_OUTSIDE_FOR_S) -> None:
        if not outside_for_s >= 0.0:
            raise ValueError(f"outside_for_s = {outside_for_s!r} must be >= 0")
        self.outside_for_s = outside_for_s
        self._since: dict[TrackNotice, float] = {}

    def since(self, subject: TrackNotice) -> float | None:
        """When the cycles began finding `subject` outside, or None if the last did not."""
        return self._since.get(subject)

    def step(
        self, now_s: float, outside: Mapping[TrackNotice, Outside]
    ) -> dict[TrackNotice, Condition]:
        """The conditions of the cycle at `now_s` whose raw check found `outside`."""
        self._since = {s: self._since.get(s, now_s) for s in outside}
        return {
            subject: Condition(
                OUTSIDE,
                0,
                None,
                found.gap_m,
                found.gap_m,
                (found.state,),
                {"outside_since_s": self._since[subject]},
            )
            for subject, found in outside.items()
            if now_s - self._since[subject] > self.outside_for_s
        }
