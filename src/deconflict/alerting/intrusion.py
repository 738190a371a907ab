"""Intrusion: tracks inside an area (a protected area or a hazard) or predicted to enter one
within the look-ahead, flying straight on.

The model, in one frame for every area so that a single tree serves them all: footprints are
polygons in (lon, lat) degrees (a lon/lat outline as it is, a geodesic outline densified to
1 km pieces, a circle as a ring of points on it spaced for a chord within 1 m of the arc), and
a track's path over [0, T] is the straight segment in (lon, lat) from its position to where
its ground velocity takes it in the tactical engine's flat-earth metric, walked at constant
speed. Over a path of tens of kilometres that stays within metres of the great circle at mid
latitudes; near the poles the model is poor, and footprints may not reach them anyway. Shapes
and paths that cross the antimeridian get a copy shifted by 360 degrees, and each pair of a
path and a shape is solved in its own copy.

A track is in the area at time t when the path point is inside the footprint, the altitude
`alt_m + vs_mps t` is inside the band (closed) and `now_s + t` is inside the window (half
open). Its entry time is the earliest such t in [0, T]: the path's crossings with the
footprint's edges split it into pieces, a point in the middle of each tells whether the piece
is inside, and the inside pieces meet the altitude and window intervals. So a track already
over the footprint that will descend into the band, or an area whose window opens while the
track is in it, is found too.

Who is concerned: a protected area concerns every track but its owner's, unattributed traffic
included; a hazard (a danger from outside the mechanism) concerns every attributed track, its
entering party's too, and not unattributed traffic.

A condition's tier is `inside` (level 1) when the entry time is 0, else `entering` (level 0).
`tcpa_s` is the entry time; `dcpa_m` is 0, the distance to the area at entry, so that it does
not change as a track flies on as predicted; `separation_m` is the distance the track flies
to entry (0 inside), an upper bound of its distance to the area now.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from deconflict.alerting.conditions import Condition
from deconflict.alerting.subjects import TrackArea
from deconflict.arrays import Bools, Floats, Geometries, Ints
from deconflict.detection.tactical.types import EARTH_RADIUS_M
from deconflict.geometry import Circle, Edges, Outline, Volume
from deconflict.geometry.geodesy import MAX_PIECE_M, circle_ring
from deconflict.geometry.planar import DenseRings, planar_shapes
from deconflict.tracks import TrackState

__all__ = [
    "DEFAULT_INTRUSION_LOOKAHEAD_S",
    "ENTERING",
    "INSIDE",
    "Area",
    "AreaIndex",
    "AreaKind",
    "intrusion_conditions",
]

DEFAULT_INTRUSION_LOOKAHEAD_S = 120.0
"""The look-ahead of issue 16's default caution tier."""
ENTERING = "entering"
INSIDE = "inside"

_CHORD_SAG_M = 1.0
"""A circle's ring is spaced so that no chord strays further than this inside the arc."""
_MIN_COS_LAT = 1e-6


class AreaKind(StrEnum):
    PROTECTED = "protected_area"
    HAZARD = "hazard"


@dataclass(frozen=True, slots=True)
class Area:
    """Airspace tracks are warned off: its id, volume, kind and owner (for a hazard, the
    party that entered it), and for a hazard its agreement."""

    id: str
    volume: Volume
    kind: AreaKind = AreaKind.PROTECTED
    owner: str | None = None
    agreement_id: str | None = None

    def concerns(self, party: str | None) -> bool:
        """Whether a track of `party` (None: unattributed) intrudes by entering."""
        if self.kind is AreaKind.HAZARD:
            return party is not None
        return party != self.owner


class AreaIndex:
    """Areas made ready for many queries: their footprints in (lon, lat) with the copies the
    antimeridian needs, prepared, and a tree over the shapes and over their edges."""

    __slots__ = (
        "areas",
        "edge_shape",
        "edge_tree",
        "edges",
        "end_s",
        "lower_m",
        "shape_area",
        "shape_tree",
        "shapes",
        "start_s",
        "upper_m",
    )

    def __init__(self, areas: Iterable[Area]) -> None:
        self.areas = tuple(areas)
        shapes: list[BaseGeometry] = []
        shape_area: list[int] = []
        for i, area in enumerate(self.areas):
            for shape in _lonlat_shapes(area.volume):
                shapes.append(shape)
                shape_area.append(i)
        self.shapes: Geometries = np.empty(len(shapes), dtype=object)
        self.shapes[:] = shapes
        shapely.prepare(self.shapes)
        self.shape_area: Ints = np.array(shape_area, dtype=np.int64)
        self.shape_tree = shapely.STRtree(self.shapes)
        self.edges, self.edge_shape = _edges_of(self.shapes)
        self.edge_tree = shapely.STRtree(shapely.linestrings(self.edges))
        volumes = [a.volume for a in self.areas]
        self.lower_m = np.array([v.altitude.lower_m for v in volumes], dtype=np.float64)
        self.upper_m = np.array([v.altitude.upper_m for v in volumes], dtype=np.float64)
        self.start_s = np.array([v.window.start.timestamp() for v in volumes], dtype=np.float64)
        self.end_s = np.array([v.window.end.timestamp() for v in volumes], dtype=np.float64)

    def __len__(self) -> int:
        return len(self.areas)


def _lonlat_shapes(volume: Volume) -> list[BaseGeometry]:
    """The footprint in (lon, lat), and a copy shifted by 360 degrees if it crosses +-180."""
    footprint = volume.footprint
    if isinstance(footprint, Circle):
        piece_m = min(MAX_PIECE_M, math.sqrt(8.0 * footprint.radius_m * _CHORD_SAG_M))
        lon, lat = circle_ring(footprint.lon_deg, footprint.lat_deg, footprint.radius_m, piece_m)
        lon = lon + 360.0 * np.round((footprint.lon_deg - lon) / 360.0)
        ring = Polygon(np.column_stack([lon, lat]))
        copies: list[BaseGeometry] = [ring]
        if lon.max() > 180.0:
            copies.append(shapely.transform(ring, lambda xy: xy - np.array([360.0, 0.0])))
        if lon.min() < -180.0:
            copies.append(shapely.transform(ring, lambda xy: xy + np.array([360.0, 0.0])))
        return copies
    return [_outline_shape(footprint)]


def _outline_shape(outline: Outline) -> BaseGeometry:
    if outline.edges is Edges.LONLAT:
        return outline.shape
    dense = DenseRings.of(outline)
    shape: BaseGeometry = planar_shapes([dense], np.column_stack([dense.lon, dense.lat]))[0]
    return shape


def _edges_of(shapes: Geometries) -> tuple[Floats, Ints]:
    """Every edge of every ring of `shapes` as (n, 2, 2) end points, and its shape's index."""
    parts, part_shape = shapely.get_parts(shapes, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    joined = np.flatnonzero(coord_ring[1:] == coord_ring[:-1])
    edges = np.stack([coords[joined], coords[joined + 1]], axis=1)
    return edges, part_shape[ring_part[coord_ring[joined]]]


@dataclass(frozen=True, slots=True, eq=False)
class _Paths:
    """Each track's straight path over [0, T] in (lon, lat), copies included: `track` is the
    state each path belongs to."""

    track: Ints
    start: Floats
    end: Floats

    @classmethod
    def of(cls, lat: Floats, lon: Floats, gs_mps: Floats, trk_deg: Floats, t_s: float) -> _Paths:
        track_rad = np.radians(trk_deg)
        cos_lat = np.maximum(np.cos(np.radians(lat)), _MIN_COS_LAT)
        dlat = np.degrees(gs_mps * np.cos(track_rad) * t_s / EARTH_RADIUS_M)
        dlon = np.degrees(gs_mps * np.sin(track_rad) * t_s / (EARTH_RADIUS_M * cos_lat))
        start = np.column_stack([lon, lat])
        end = np.column_stack([lon + dlon, lat + dlat])
        track = np.arange(len(lat), dtype=np.int64)
        east = np.flatnonzero(np.maximum(start[:, 0], end[:, 0]) > 180.0)
        west = np.flatnonzero(np.minimum(start[:, 0], end[:, 0]) < -180.0)
        shift = np.array([360.0, 0.0])
        return cls(
            np.concatenate([track, east, west]),
            np.concatenate([start, start[east] - shift, start[west] + shift]),
            np.concatenate([end, end[east] - shift, end[west] + shift]),
        )

    def at(self, path: Ints, fraction: Floats) -> tuple[Floats, Floats]:
        xy = self.start[path] + fraction[:, None] * (self.end[path] - self.start[path])
        return xy[:, 0], xy[:, 1]


def intrusion_conditions(
    index: AreaIndex,
    states: Sequence[TrackState],
    now_s: float,
    lookahead_s: float = DEFAULT_INTRUSION_LOOKAHEAD_S,
) -> dict[TrackArea, Condition]:
    """Every (track, area) where the track is in the area now or enters it within
    `lookahead_s`, with its condition."""
    if not lookahead_s >= 0.0 or not math.isfinite(lookahead_s):
        raise ValueError(f"lookahead_s = {lookahead_s!r} must be finite and >= 0")
    states = tuple(states)
    if not states or not len(index):
        return {}
    column = {
        name: np.fromiter(map(operator.attrgetter(name), states), np.float64, len(states))
        for name in ("lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")
    }
    paths = _Paths.of(
        column["lat"], column["lon"], column["gs_mps"], column["trk_deg"], lookahead_s
    )
    lines = shapely.linestrings(np.stack([paths.start, paths.end], axis=1))
    path, shape = index.shape_tree.query(lines)
    track, area = paths.track[path], index.shape_area[shape]

    alt_m, vs_mps = column["alt_m"][track], column["vs_mps"][track]
    with np.errstate(divide="ignore", invalid="ignore"):
        to_lower = (index.lower_m[area] - alt_m) / vs_mps
        to_upper = (index.upper_m[area] - alt_m) / vs_mps
    level = vs_mps == 0.0
    in_band = (index.lower_m[area] <= alt_m) & (alt_m <= index.upper_m[area])
    band_from = np.where(level, np.where(in_band, -np.inf, np.inf), np.minimum(to_lower, to_upper))
    band_to = np.where(level, np.inf, np.maximum(to_lower, to_upper))
    open_from = np.maximum(np.maximum(band_from, index.start_s[area] - now_s), 0.0)
    open_to = np.minimum(band_to, lookahead_s)
    window_to = index.end_s[area] - now_s
    concerned = _concerned(index, states, track, area)
    keep = concerned & (open_from <= open_to) & (open_from < window_to)
    path, shape, track, area = path[keep], shape[keep], track[keep], area[keep]
    open_from, open_to, window_to = open_from[keep], open_to[keep], window_to[keep]
    if not len(path):
        return {}

    piece, lo, hi = _pieces(index, paths, lines, path, shape)
    mid_x, mid_y = paths.at(path[piece], 0.5 * (lo + hi))
    inside = shapely.contains_xy(index.shapes[shape[piece]], mid_x, mid_y)
    piece, lo, hi = piece[inside], lo[inside] * lookahead_s, hi[inside] * lookahead_s
    entry_s = np.maximum(lo, open_from[piece])
    enters = (entry_s <= np.minimum(hi, open_to[piece])) & (entry_s < window_to[piece])
    piece, entry_s = piece[enters], entry_s[enters]
    return _conditions(index, states, track[piece], area[piece], entry_s, column["gs_mps"])


def _concerned(index: AreaIndex, states: tuple[TrackState, ...], track: Ints, area: Ints) -> Bools:
    """Whether each (track, area) pair is one the area concerns, decided once per party."""
    parties = [s.key.party for s in states]
    owners: list[str | None] = [*sorted({p for p in parties if p is not None}), None]
    code = {p: i for i, p in enumerate(owners)}
    party_code = np.fromiter(map(code.__getitem__, parties), np.int64, len(parties))
    table = np.array(
        [[a.concerns(p) for p in owners] for a in index.areas], dtype=np.bool_
    ).reshape(len(index.areas), len(owners))
    concerned: Bools = table[area, party_code[track]]
    return concerned


def _pieces(
    index: AreaIndex, paths: _Paths, lines: Geometries, path: Ints, shape: Ints
) -> tuple[Ints, Floats, Floats]:
    """The pieces into which the footprint's edges cut each path of the (at least one) pairs
    (`path[k]`, `shape[k]`): pair k, and the start and end fraction of the path of each."""
    pairs = len(path)
    key = path * len(index.shapes) + shape
    order = np.argsort(key)
    sorted_key = key[order]
    wanted = np.unique(path)
    near, edge = index.edge_tree.query(lines[wanted])
    near = wanted[near]
    edge_key = near * len(index.shapes) + index.edge_shape[edge]
    slot = np.minimum(np.searchsorted(sorted_key, edge_key), pairs - 1)
    found = sorted_key[slot] == edge_key
    pair, edge, near = order[slot[found]], edge[found], near[found]
    fraction, crosses = _crossings(paths, near, index.edges[edge])
    pair, fraction = pair[crosses], fraction[crosses]

    every = np.arange(pairs, dtype=np.int64)
    owner = np.concatenate([every, every, pair])
    cut = np.concatenate([np.zeros(pairs), np.ones(pairs), fraction])
    order = np.lexsort((cut, owner))
    owner, cut = owner[order], cut[order]
    starts = np.flatnonzero((owner[1:] == owner[:-1]) & (cut[1:] > cut[:-1]))
    return owner[starts], cut[starts], cut[starts + 1]


def _crossings(paths: _Paths, path: Ints, edges: Floats) -> tuple[Floats, Bools]:
    """Where each path meets its edge, as a fraction of the path, and whether it does."""
    p, r = paths.start[path], paths.end[path] - paths.start[path]
    q, s = edges[:, 0], edges[:, 1] - edges[:, 0]
    denominator = r[:, 0] * s[:, 1] - r[:, 1] * s[:, 0]
    gap = q - p
    with np.errstate(divide="ignore", invalid="ignore"):
        along_path = (gap[:, 0] * s[:, 1] - gap[:, 1] * s[:, 0]) / denominator
        along_edge = (gap[:, 0] * r[:, 1] - gap[:, 1] * r[:, 0]) / denominator
    crosses = (
        (denominator != 0.0)
        & (along_path >= 0.0)
        & (along_path <= 1.0)
        & (along_edge >= 0.0)
        & (along_edge <= 1.0)
    )
    return along_path, crosses


def _conditions(
    index: AreaIndex,
    states: tuple[TrackState, ...],
    track: Ints,
    area: Ints,
    entry_s: Floats,
    gs_mps: Floats,
) -> dict[TrackArea, Condition]:
    """The earliest entry of each (track, area), as conditions."""
    order = np.lexsort((entry_s, area, track))
    track, area, entry_s = track[order], area[order], entry_s[order]
    first = np.ones(len(track), dtype=np.bool_)
    first[1:] = (track[1:] != track[:-1]) | (area[1:] != area[:-1])
    track, area, entry_s = track[first], area[first], entry_s[first]
    flown_m = gs_mps[track] * entry_s
    out: dict[TrackArea, Condition] = {}
    for i, a, t, flown in zip(
        track.tolist(), area.tolist(), entry_s.tolist(), flown_m.tolist(), strict=True
    ):
        found = index.areas[a]
        inside = t == 0.0
        out[TrackArea(states[i].key, found.id)] = Condition(
            INSIDE if inside else ENTERING,
            1 if inside else 0,
            t,
            0.0,
            flown,
            (states[i],),
            {"area_kind": found.kind.value},
        )
    return out
