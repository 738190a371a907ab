"""Cheap, provable bounds on geodesic distances, to settle pairs without the full computation.

Each bound is a lower (or upper) bound on the distance `separation` would compute, with
`BOUND_SLACK_M` to spare, so settling a pair by a bound never changes its answer:

- `PieceCaps`: a lon/lat outline's boundary covered by caps of about 2 km; a point (or a cap)
  farther than the radii from every cap is that far from the boundary (on the unit sphere,
  times the smallest WGS84 curvature radius for metres).
- `lonlat_gap_m`: shapes with edges straight in lon/lat keep them straight in the plane
  (lon x cos(lat0), lat), where GEOS finds their distance among the original vertices only;
  scaled by the plane's worst stretch over the latitude band that matters, a lower bound.
- `circle_bounds_m`: the same plane gives, besides the lower bound, a point on the outline's
  true boundary, whose distance from a circle's centre bounds the nearest one from above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from deconflict.arrays import Bools, Floats, Geometries, Ints
from deconflict.compiled import kernel
from deconflict.geometry.extents import Extents, ring_coordinates
from deconflict.geometry.geodesy import (
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    angle_between,
    lonlat_edge_rad,
    unit_vector,
    unit_vectors,
)
from deconflict.geometry.planar import DenseRings
from deconflict.geometry.volume import Edges, Outline

__all__ = [
    "BOUND_SLACK_M",
    "CLEAR_PIECE_M",
    "PieceCaps",
    "Squeezed",
    "SqueezedMany",
    "caps_clear_of_outline",
    "circle_bounds_m",
    "circles_bounds_m",
    "lonlat_apart",
    "lonlat_gap_m",
    "nearest_cap_rad",
    "piece_caps",
    "point_caps_gap_m",
]


BOUND_SLACK_M = 1.0
"""Covers the chords between densified points (sagitta of 1 km pieces: millimetres) and
rounding: far below any buffer, and on the safe side of every bound."""


@dataclass(frozen=True, slots=True)
class PieceCaps:
    """A lon/lat outline's boundary covered by small caps, all of `radius_rad`, centred on it.

    Every point of the boundary lies in some cap, so the geodesic distance between two
    boundaries is at least `SPHERE_TO_GEODESIC_MIN_M` x (angle between cap centres - radii)
    for the closest pair of caps: a lower bound that needs no projection and no GEOS. The
    centres lie on the boundary, so the angle to the nearest one also bounds from above.
    """

    centres: Floats
    radius_rad: float


_CAP_STRIDE = 4
"""A cap on every this many densified points: a few times fewer caps to compare with, each a
couple of kilometres across."""


def piece_caps(dense: DenseRings) -> PieceCaps:
    """Caps on every `_CAP_STRIDE`-th densified point of a lon/lat outline and on each ring's
    last: each piece between two densified points is straight in lon/lat, so every boundary
    point lies within half a stride of pieces, each at most the longest, of a centre."""
    centre, longest_rad = _piece_caps(dense.lon, dense.lat, dense.sizes)
    return PieceCaps(dense.xyz[centre], longest_rad * _CAP_STRIDE / 2.0)


@kernel("Tuple((int64[:], float64))(float64[:], float64[:], int64[:])")
def _piece_caps(lon_deg: Floats, lat_deg: Floats, sizes: Ints) -> tuple[Ints, float]:
    """`piece_caps`, compiled: the points that centre a cap, and the longest piece as
    `lonlat_edge_bound_rad` bounds it (a ring's last point starts no piece)."""
    centre = np.empty(lon_deg.size, dtype=np.int64)
    count = 0
    longest = 0.0
    start = 0
    for ring in range(sizes.size):
        end = start + sizes[ring]
        for i in range(start, end):
            if (i - start) % _CAP_STRIDE == 0 or i == end - 1:
                centre[count] = i
                count += 1
            if i == end - 1:
                continue
            edge_rad = lonlat_edge_rad(lon_deg[i], lat_deg[i], lon_deg[i + 1], lat_deg[i + 1])
            longest = max(longest, edge_rad)
        start = end
    return centre[:count], longest


def point_caps_gap_m(caps: PieceCaps, points: Floats) -> Floats:
    """For each point (unit vector), a lower bound of its distance to the boundary.

    The angle to the nearest cap centre less the caps' radius. Chords from dot products round
    by less than 3e-8 rad (0.2 m), well inside `BOUND_SLACK_M`.
    """
    gap = nearest_cap_rad(caps, points) - caps.radius_rad
    return np.asarray(gap * SPHERE_TO_GEODESIC_MIN_M - BOUND_SLACK_M)


def nearest_cap_rad(caps: PieceCaps, points: Floats) -> Floats:
    """For each point (unit vector), the angle to the nearest cap centre, a point of the
    boundary: one matrix product and one arcsin a point."""
    nearest_dot = (points @ caps.centres.T).max(axis=1)
    chord = np.sqrt(np.maximum(2.0 - 2.0 * nearest_dot, 0.0))
    return np.asarray(2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)), dtype=np.float64)


def caps_clear_of_outline(outline: Outline, caps: Extents, beyond_m: float) -> Bools:
    """Which caps are proven outside a lon/lat outline and at least `beyond_m` from it, so no
    footprint they hold can overlap it or come within `beyond_m` of it.

    The outline's boundary is cut into pieces of at most `CLEAR_PIECE_M`, each within half its
    length (`lonlat_edge_rad`) of its lon/lat midpoint; a cap farther than that, its own
    radius, `beyond_m` and `BOUND_SLACK_M` from every piece lies wholly inside or wholly
    outside the outline, and its anchor (tested in lon/lat, where the edges are straight) says
    which.
    """
    if outline.edges is not Edges.LONLAT:
        raise ValueError("caps_clear_of_outline needs an outline with lon/lat edges")
    coords, coord_ring, _, _ = ring_coordinates(np.array([outline.shape], dtype=object))
    clear: Bools = _caps_clear_of_outline(
        np.ascontiguousarray(coords, dtype=np.float64),
        coord_ring,
        caps.anchors,
        caps.cap_rad,
        float(beyond_m),
    )
    return clear


CLEAR_PIECE_M = 4_000.0
"""Longest boundary piece `caps_clear_of_outline` compares with: fine enough for buffers of a
few kilometres, coarse enough that a large outline has about a hundred."""


@kernel("boolean[:](float64[:, ::1], int64[:], float64[:, :], float64[:], float64)")
def _caps_clear_of_outline(
    coords: Floats,
    coord_ring: Ints,
    anchors: Floats,
    cap_rad: Floats,
    beyond_m: float,
) -> Bools:
    """`caps_clear_of_outline`, compiled: a few hundred pieces against a few caps."""
    lon, lat = coords[:, 0], coords[:, 1]
    counts = np.zeros(lon.size, dtype=np.int64)
    for i in range(lon.size - 1):
        if coord_ring[i + 1] == coord_ring[i]:
            length_rad = lonlat_edge_rad(lon[i], lat[i], lon[i + 1], lat[i + 1])
            counts[i] = max(1, math.ceil(length_rad * SPHERE_TO_GEODESIC_MAX_M / CLEAR_PIECE_M))
    pieces = counts.sum()
    centres = np.empty((pieces, 3))
    half_rad = 0.0
    at = 0
    for i in range(lon.size - 1):
        count = counts[i]
        if count == 0:
            continue
        dlon, dlat = (lon[i + 1] - lon[i]) / count, (lat[i + 1] - lat[i]) / count
        for k in range(count):
            lon1, lat1 = lon[i] + k * dlon, lat[i] + k * dlat
            lon2, lat2 = lon1 + dlon, lat1 + dlat
            centres[at, 0], centres[at, 1], centres[at, 2] = unit_vector(
                (lon1 + lon2) / 2.0, (lat1 + lat2) / 2.0
            )
            half_rad = max(half_rad, lonlat_edge_rad(lon1, lat1, lon2, lat2) / 2.0)
            at += 1
    clear = np.zeros(cap_rad.size, dtype=np.bool_)
    for c in range(cap_rad.size if pieces else 0):
        nearest_dot = -1.0
        for p in range(pieces):
            dot = (
                anchors[c, 0] * centres[p, 0]
                + anchors[c, 1] * centres[p, 1]
                + anchors[c, 2] * centres[p, 2]
            )
            nearest_dot = max(nearest_dot, dot)
        chord = math.sqrt(max(2.0 - 2.0 * nearest_dot, 0.0))
        angle = 2.0 * math.asin(min(chord / 2.0, 1.0))
        gap_m = (angle - half_rad - cap_rad[c]) * SPHERE_TO_GEODESIC_MIN_M - BOUND_SLACK_M
        if not gap_m >= beyond_m:
            continue
        a_lon = math.degrees(math.atan2(anchors[c, 1], anchors[c, 0]))
        a_lat = math.degrees(math.atan2(anchors[c, 2], math.hypot(anchors[c, 0], anchors[c, 1])))
        inside = False
        for i in range(lon.size - 1):
            if coord_ring[i + 1] != coord_ring[i] or (lat[i] > a_lat) == (lat[i + 1] > a_lat):
                continue
            crossing = lon[i] + (a_lat - lat[i]) * (lon[i + 1] - lon[i]) / (lat[i + 1] - lat[i])
            if a_lon < crossing:
                inside = not inside
        clear[c] = not inside
    return clear


@dataclass(frozen=True, slots=True)
class Squeezed:
    """A lon/lat shape in the plane (lon x scale, lat), scale = cos(its middle latitude).

    Edges straight in lon/lat stay straight there. Any path in a latitude band [low, high] is
    at least `ratio(low, high)` times as long on the unit sphere (in radians) as in this plane
    (in degrees, converted): cos(lat) >= cos(poleward edge) in the band.
    """

    scale: float
    min_lat: float
    max_lat: float
    shape: BaseGeometry
    boundary: BaseGeometry

    @classmethod
    def of(cls, shape_ll: BaseGeometry) -> Squeezed:
        _, min_lat, _, max_lat = shape_ll.bounds
        scale = math.cos(math.radians((min_lat + max_lat) / 2.0))
        squeeze = np.array([scale, 1.0])
        shape = shapely.transform(shape_ll, lambda xy: xy * squeeze)
        boundary = shape.boundary
        shapely.prepare([shape, boundary])
        return cls(scale, min_lat, max_lat, shape, boundary)

    def ratio(self, low_deg: float, high_deg: float) -> float:
        """The worst length ratio over the band (0 when it reaches a pole)."""
        if low_deg <= -90.0 or high_deg >= 90.0:
            return 0.0
        poleward = math.cos(math.radians(max(abs(low_deg), abs(high_deg))))
        return min(1.0, poleward / self.scale)

    def squeeze(self, shape_ll: BaseGeometry) -> BaseGeometry:
        factor = np.array([self.scale, 1.0])
        return shapely.transform(shape_ll, lambda xy: xy * factor)


def _widen_deg(reach_m: float) -> float:
    """Latitude a path shorter than `reach_m` can move, with room to spare."""
    return math.degrees(reach_m / SPHERE_TO_GEODESIC_MIN_M) + 1e-6


def lonlat_gap_m(a: Squeezed, b_ll: BaseGeometry, reach_m: float) -> float:
    """A lower bound of the geodesic distance between two lon/lat shapes (edges straight in
    lon/lat, longitudes unwrapped alike), good enough to prove distances below `reach_m`.

    A path shorter than `reach_m` cannot leave the shapes' latitude band widened by `reach_m`,
    where it is at least `a.ratio` times as long as in `a`'s plane: so the bound holds for
    every distance that matters.
    """
    widen = _widen_deg(reach_m)
    _, b_min_lat, _, b_max_lat = b_ll.bounds
    ratio = a.ratio(min(a.min_lat, b_min_lat) - widen, max(a.max_lat, b_max_lat) + widen)
    if ratio == 0.0:
        return -BOUND_SLACK_M
    plane_deg = shapely.distance(a.shape, a.squeeze(b_ll))
    return SPHERE_TO_GEODESIC_MIN_M * ratio * math.radians(plane_deg) - BOUND_SLACK_M


def circle_bounds_m(
    lon_deg: float, lat_deg: float, outline: Squeezed, reach_m: float
) -> tuple[float, float]:
    """Lower and upper bounds of the geodesic distance from a point outside a lon/lat outline
    (longitudes unwrapped alike) to the outline's boundary; the lower bound is good below
    `reach_m`. The upper bound is that of a point on the true boundary."""
    widen = _widen_deg(reach_m)
    ratio = outline.ratio(
        min(outline.min_lat, lat_deg) - widen, max(outline.max_lat, lat_deg) + widen
    )
    point = shapely.Point(lon_deg * outline.scale, lat_deg)
    line = shapely.get_coordinates(shapely.shortest_line(outline.boundary, point))
    plane_deg = math.hypot(float(line[1, 0] - line[0, 0]), float(line[1, 1] - line[0, 1]))
    lower_m = SPHERE_TO_GEODESIC_MIN_M * ratio * math.radians(plane_deg) - BOUND_SLACK_M
    angle = _central_angle(float(line[0, 0]) / outline.scale, float(line[0, 1]), lon_deg, lat_deg)
    return lower_m, SPHERE_TO_GEODESIC_MAX_M * angle + BOUND_SLACK_M


def _central_angle(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Central angle in radians between two points on the unit sphere (chord formula)."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    dx = math.cos(p1) * math.cos(l1) - math.cos(p2) * math.cos(l2)
    dy = math.cos(p1) * math.sin(l1) - math.cos(p2) * math.sin(l2)
    dz = math.sin(p1) - math.sin(p2)
    return 2.0 * math.asin(min(1.0, math.sqrt(dx * dx + dy * dy + dz * dz) / 2.0))


@dataclass(frozen=True, slots=True)
class SqueezedMany:
    """`Squeezed` for many lon/lat shapes at once (each with its own scale), as arrays."""

    scale: Floats
    min_lat: Floats
    max_lat: Floats
    boundary: Geometries

    @classmethod
    def of(cls, shapes_ll: Geometries) -> SqueezedMany:
        bounds = shapely.bounds(shapes_ll)
        min_lat, max_lat = bounds[:, 1], bounds[:, 3]
        scale = np.cos(np.radians((min_lat + max_lat) / 2.0))
        xy, owner = shapely.get_coordinates(shapes_ll, return_index=True)
        xy[:, 0] *= scale[owner]
        squeezed = shapely.set_coordinates(np.array(shapes_ll, dtype=object, copy=True), xy)
        return cls(scale, min_lat, max_lat, shapely.boundary(squeezed))


def _ratios(scale: Floats, low_deg: Floats, high_deg: Floats) -> Floats:
    """`Squeezed.ratio`, element-wise."""
    poleward = np.cos(np.radians(np.minimum(np.maximum(np.abs(low_deg), np.abs(high_deg)), 90.0)))
    ratio = np.minimum(1.0, poleward / scale)
    return np.asarray(np.where((low_deg <= -90.0) | (high_deg >= 90.0), 0.0, ratio))


def lonlat_apart(a: Squeezed, b_ll: Geometries, beyond_m: float) -> Bools:
    """Where `lonlat_gap_m` of `a` and each of many shapes proves them at least `beyond_m`
    apart, decided by GEOS's indexed within-distance test on `a`'s prepared shape rather than
    by measuring each distance."""
    if not math.isfinite(beyond_m):
        return np.zeros(len(b_ll), dtype=np.bool_)
    widen = _widen_deg(beyond_m)
    bounds = shapely.bounds(b_ll)
    ratio = _ratios(
        np.full(len(b_ll), a.scale),
        np.minimum(a.min_lat, bounds[:, 1]) - widen,
        np.maximum(a.max_lat, bounds[:, 3]) + widen,
    )
    with np.errstate(divide="ignore"):
        limit_deg = np.degrees((beyond_m + BOUND_SLACK_M) / (SPHERE_TO_GEODESIC_MIN_M * ratio))
    factor = np.array([a.scale, 1.0])
    near = shapely.dwithin(a.shape, shapely.transform(b_ll, lambda xy: xy * factor), limit_deg)
    return np.asarray((ratio > 0.0) & ~near, dtype=np.bool_)


def circles_bounds_m(
    lon_deg: Floats,
    lat_deg: Floats,
    scale: Floats,
    min_lat: Floats,
    max_lat: Floats,
    boundary: Geometries,
    reach_m: Floats,
) -> tuple[Floats, Floats]:
    """`circle_bounds_m` element-wise: points against squeezed boundaries (one or many,
    broadcast), each outline given by its scale, latitude band and squeezed boundary."""
    widen = np.degrees(reach_m / SPHERE_TO_GEODESIC_MIN_M) + 1e-6
    ratio = _ratios(
        scale, np.minimum(min_lat, lat_deg) - widen, np.maximum(max_lat, lat_deg) + widen
    )
    points = shapely.points(lon_deg * scale, lat_deg)
    line = shapely.get_coordinates(shapely.shortest_line(boundary, points)).reshape(-1, 2, 2)
    plane_deg = np.hypot(line[:, 1, 0] - line[:, 0, 0], line[:, 1, 1] - line[:, 0, 1])
    lower_m = SPHERE_TO_GEODESIC_MIN_M * ratio * np.radians(plane_deg) - BOUND_SLACK_M
    near = unit_vectors(line[:, 0, 0] / scale, line[:, 0, 1])
    angle = angle_between(near, unit_vectors(lon_deg, lat_deg))
    return lower_m, SPHERE_TO_GEODESIC_MAX_M * angle + BOUND_SLACK_M
