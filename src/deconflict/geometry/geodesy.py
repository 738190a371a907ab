"""Geodesy on arrays: WGS84 distances, densification by edge rule, and a local plane.

Distances that decide anything are WGS84 geodesics (`GEOD`, GeographicLib through pyproj).
Shapes are compared in a `LocalPlane`: the azimuthal-equidistant projection of the unit sphere
centred on one footprint, computed from unit vectors, so it works across the antimeridian and
near the poles. Geodetic latitude is used as the spherical latitude; the bounds
`SPHERE_TO_GEODESIC_MIN_M` and `SPHERE_TO_GEODESIC_MAX_M` relate the sphere's angles to
geodesic metres on the ellipsoid (any path's length on the ellipsoid lies between the two
radii times its length on the unit sphere), which is what lets coarse tests prune safely.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from deconflict.arrays import Bools, Floats, Ints
from deconflict.compiled import kernel

__all__ = [
    "GEOD",
    "MAX_PIECE_M",
    "PLANE_RADIUS_M",
    "SPHERE_TO_GEODESIC_MAX_M",
    "SPHERE_TO_GEODESIC_MIN_M",
    "LocalPlane",
    "angle_between",
    "circle_ring",
    "densify_geodesic",
    "densify_lonlat",
    "densify_lonlat_edges",
    "densify_lonlat_rings",
    "geodesic_distance_m",
    "lonlat_edge_bound_rad",
    "lonlat_edge_rad",
    "lonlat_of",
    "unit_vector",
    "unit_vectors",
]


GEOD = Geod(ellps="WGS84")
"""The WGS84 ellipsoid; every distance in metres that decides a conflict comes from it."""

MAX_PIECE_M = 1000.0
"""Boundaries are densified so that no piece is longer than this."""

PLANE_RADIUS_M = 6_371_008.8
"""Scale of the local plane (mean Earth radius); only sets units, never decides a distance."""

_A_M: float = GEOD.a
_E2: float = GEOD.es
SPHERE_TO_GEODESIC_MIN_M = _A_M * (1.0 - _E2)
"""Smallest radius of curvature of WGS84 (meridian at the equator): geodesic >= this x angle."""
SPHERE_TO_GEODESIC_MAX_M = _A_M / math.sqrt(1.0 - _E2)
"""Largest radius of curvature of WGS84 (at the poles): geodesic <= this x angle."""


def unit_vectors(lon_deg: npt.ArrayLike, lat_deg: npt.ArrayLike) -> Floats:
    """Points on the unit sphere, shape (..., 3), for longitudes and latitudes in degrees."""
    lon, lat = np.asarray(lon_deg, dtype=np.float64), np.asarray(lat_deg, dtype=np.float64)
    if lon.shape != lat.shape:
        lon, lat = np.broadcast_arrays(lon, lat)
    xyz: Floats = _unit_vectors(np.ravel(lon), np.ravel(lat))
    return xyz.reshape(*lon.shape, 3)


@kernel("UniTuple(float64, 3)(float64, float64)")
def unit_vector(lon_deg: float, lat_deg: float) -> tuple[float, float, float]:
    """One point of `unit_vectors`, for compiled loops (every unit vector is made here)."""
    lon, lat = lon_deg * (math.pi / 180.0), lat_deg * (math.pi / 180.0)
    cos_lat = math.cos(lat)
    return cos_lat * math.cos(lon), cos_lat * math.sin(lon), math.sin(lat)


@kernel("float64[:, :](float64[:], float64[:])")
def _unit_vectors(lon_deg: Floats, lat_deg: Floats) -> Floats:
    """`unit_vectors` of flat arrays, compiled: half the time of numpy's dozen passes."""
    xyz = np.empty((lon_deg.size, 3))
    for i in range(lon_deg.size):
        xyz[i, 0], xyz[i, 1], xyz[i, 2] = unit_vector(lon_deg[i], lat_deg[i])
    return xyz


def lonlat_of(xyz: Floats) -> tuple[Floats, Floats]:
    """Longitudes and latitudes in degrees of unit vectors (any length > 0)."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lon = np.degrees(np.arctan2(y, x))
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    return lon, lat


def angle_between(u: Floats, v: Floats) -> Floats:
    """Central angles in radians between unit vectors (broadcasting), from the chord length.

    2 asin(chord / 2) is accurate for small angles, where it matters here.
    """
    d = np.asarray(u) - np.asarray(v)
    chord = np.sqrt(np.sum(d * d, axis=-1))
    return np.asarray(2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0)), dtype=np.float64)


def geodesic_distance_m(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> Floats:
    """WGS84 geodesic distances in metres, element-wise."""
    _, _, dist = GEOD.inv(
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
    )
    return np.atleast_1d(np.asarray(dist, dtype=np.float64))


def lonlat_edge_bound_rad(
    lon1: npt.ArrayLike, lat1: npt.ArrayLike, lon2: npt.ArrayLike, lat2: npt.ArrayLike
) -> Floats:
    """Upper bound of each edge's length on the unit sphere when it runs straight in lon/lat:
    |dlat| + cos(min |lat| on the edge) * |dlon|, in radians (`lonlat_edge_rad`, element-wise)."""
    ends = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (lon1, lat1, lon2, lat2)))
    bound: Floats = _lonlat_edges_rad(*(np.ravel(a) for a in ends))
    return bound.reshape(ends[0].shape)


@kernel("float64(float64, float64, float64, float64)")
def lonlat_edge_rad(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """`lonlat_edge_bound_rad` of one edge: the one definition, which compiled loops call."""
    p1, p2 = lat1 * (math.pi / 180.0), lat2 * (math.pi / 180.0)
    dlon = abs(lon2 * (math.pi / 180.0) - lon1 * (math.pi / 180.0))
    min_abs_lat = 0.0 if p1 * p2 <= 0 else min(abs(p1), abs(p2))
    return abs(p2 - p1) + math.cos(min_abs_lat) * dlon


@kernel("float64[:](float64[:], float64[:], float64[:], float64[:])")
def _lonlat_edges_rad(lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats) -> Floats:
    bound = np.empty(lon1.size)
    for i in range(lon1.size):
        bound[i] = lonlat_edge_rad(lon1[i], lat1[i], lon2[i], lat2[i])
    return bound


def _piece_counts(length_m: Floats, max_piece_m: float) -> Ints:
    return np.maximum(1, np.ceil(length_m / max_piece_m)).astype(np.int64)


def _canonical_edges(
    lon_deg: Floats, lat_deg: Floats
) -> tuple[Floats, Floats, Floats, Floats, Bools]:
    """The edges of a ring, each from its lexicographically smaller end (see `_canonical`)."""
    return _canonical(lon_deg[:-1], lat_deg[:-1], lon_deg[1:], lat_deg[1:])


def _canonical(
    lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats
) -> tuple[Floats, Floats, Floats, Floats, Bools]:
    """Each edge from its lexicographically smaller end, and whether that reverses it.

    Densifying every edge from the same end makes an edge shared by two shapes (walked in
    opposite directions) get bit-identical points, so shapes that touch still only touch.
    """
    flip = (lon1 > lon2) | ((lon1 == lon2) & (lat1 > lat2))
    return (
        np.where(flip, lon2, lon1),
        np.where(flip, lat2, lat1),
        np.where(flip, lon1, lon2),
        np.where(flip, lat1, lat2),
        flip,
    )


def _pieces(counts: Ints, flip: Bools) -> tuple[Ints, Floats, Bools]:
    """For edges cut into `counts` pieces: each new point's edge, its fraction from the canonical
    end, and whether it is the edge's own first vertex (kept exactly)."""
    edge = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    step = np.arange(edge.size) - np.repeat(starts, counts)
    n = np.repeat(counts, counts)
    frac = np.where(flip[edge], (n - step) / n, step / n)
    return edge, frac, step == 0


def densify_lonlat(
    lon_deg: Floats, lat_deg: Floats, max_piece_m: float = MAX_PIECE_M
) -> tuple[Floats, Floats]:
    """A closed ring with edges straight in lon/lat, cut into pieces of at most `max_piece_m`.

    The piece length is bounded with the largest curvature radius, so it never exceeds the limit.
    """
    lon, lat, _ = densify_lonlat_rings(
        lon_deg, lat_deg, np.array([lon_deg.size], dtype=np.int64), max_piece_m
    )
    return lon, lat


def densify_lonlat_rings(
    lon_deg: Floats, lat_deg: Floats, sizes: Ints, max_piece_m: float = MAX_PIECE_M
) -> tuple[Floats, Floats, Ints]:
    """`densify_lonlat` of many closed rings at once: their points concatenated, `sizes` points
    each; returns the densified rings concatenated and their sizes."""
    lon: Floats
    lat: Floats
    new_sizes: Ints
    lon, lat, new_sizes = _densify_lonlat_lines(
        np.ascontiguousarray(lon_deg, dtype=np.float64),
        np.ascontiguousarray(lat_deg, dtype=np.float64),
        np.asarray(sizes, dtype=np.int64),
        float(max_piece_m),
    )
    return lon, lat, new_sizes


def densify_lonlat_edges(
    lon1: Floats, lat1: Floats, lon2: Floats, lat2: Floats, max_piece_m: float = MAX_PIECE_M
) -> tuple[Floats, Floats, Ints]:
    """Edges straight in lon/lat, each cut exactly as `densify_lonlat_rings` cuts it in its ring:
    each edge's points from its first end to its second (both kept exactly), concatenated, and
    the number of points of each edge."""
    return densify_lonlat_rings(
        np.stack([lon1, lon2], axis=-1).ravel(),
        np.stack([lat1, lat2], axis=-1).ravel(),
        np.full(np.size(lon1), 2, dtype=np.int64),
        max_piece_m,
    )


@kernel("Tuple((float64[:], float64[:], int64[:]))(float64[:], float64[:], int64[:], float64)")
def _densify_lonlat_lines(
    lon_deg: Floats, lat_deg: Floats, sizes: Ints, max_piece_m: float
) -> tuple[Floats, Floats, Ints]:
    """Lines (`sizes` points each, concatenated) with edges straight in lon/lat, each edge cut
    into `ceil(bound / max_piece_m)` equal pieces, its length bounded as `lonlat_edge_bound_rad`
    on the largest curvature radius; vertices are kept exactly. Each edge is cut from its
    lexicographically smaller end (see `_canonical`), so an edge two shapes share gets the same
    points whichever way they walk it. Compiled: it is a loop over every new point."""
    counts = np.zeros(lon_deg.size, dtype=np.int64)
    new_sizes = np.zeros(sizes.size, dtype=np.int64)
    start = 0
    for line in range(sizes.size):
        if sizes[line] == 0:
            continue
        total = 1
        for i in range(start, start + sizes[line] - 1):
            edge_rad = lonlat_edge_rad(lon_deg[i], lat_deg[i], lon_deg[i + 1], lat_deg[i + 1])
            length_m = edge_rad * SPHERE_TO_GEODESIC_MAX_M
            counts[i] = max(1, math.ceil(length_m / max_piece_m))
            total += counts[i]
        new_sizes[line] = total
        start += sizes[line]
    lon = np.empty(new_sizes.sum())
    lat = np.empty(lon.size)
    at = 0
    start = 0
    for line in range(sizes.size):
        if sizes[line] == 0:
            continue
        for i in range(start, start + sizes[line] - 1):
            a_lon, a_lat, b_lon, b_lat = lon_deg[i], lat_deg[i], lon_deg[i + 1], lat_deg[i + 1]
            flip = a_lon > b_lon or (a_lon == b_lon and a_lat > b_lat)
            if flip:
                a_lon, a_lat, b_lon, b_lat = b_lon, b_lat, a_lon, a_lat
            n = counts[i]
            lon[at], lat[at] = lon_deg[i], lat_deg[i]
            for step in range(1, n):
                frac = (n - step) / n if flip else step / n
                lon[at + step] = a_lon + frac * (b_lon - a_lon)
                lat[at + step] = a_lat + frac * (b_lat - a_lat)
            at += n
        last = start + sizes[line] - 1
        lon[at], lat[at] = lon_deg[last], lat_deg[last]
        at += 1
        start += sizes[line]
    return lon, lat, new_sizes


def densify_geodesic(
    lon_deg: Floats, lat_deg: Floats, max_piece_m: float = MAX_PIECE_M
) -> tuple[Floats, Floats]:
    """A closed ring with geodesic edges, with points added along each geodesic every <= 1 km."""
    lon1, lat1, lon2, lat2, flip = _canonical_edges(lon_deg, lat_deg)
    az12, _, length_m = GEOD.inv(lon1, lat1, lon2, lat2)
    length_m = np.atleast_1d(np.asarray(length_m, dtype=np.float64))
    az12 = np.atleast_1d(np.asarray(az12, dtype=np.float64))
    edge, frac, own = _pieces(_piece_counts(length_m, max_piece_m), flip)
    lon, lat, _ = GEOD.fwd(lon1[edge], lat1[edge], az12[edge], frac * length_m[edge])
    lon = np.where(own, lon_deg[edge], lon)
    lat = np.where(own, lat_deg[edge], lat)
    return np.append(lon, lon_deg[-1]), np.append(lat, lat_deg[-1])


def circle_ring(
    lon_deg: float, lat_deg: float, radius_m: float, max_piece_m: float = MAX_PIECE_M
) -> tuple[Floats, Floats]:
    """The closed ring of points at geodesic distance `radius_m`, spaced <= `max_piece_m` apart."""
    count = max(32, math.ceil(2.0 * math.pi * radius_m / max_piece_m))
    azimuths = np.linspace(0.0, 360.0, count, endpoint=False)
    lon, lat, _ = GEOD.fwd(
        np.full(count, lon_deg), np.full(count, lat_deg), azimuths, np.full(count, radius_m)
    )
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    return np.append(lon, lon[0]), np.append(lat, lat[0])


@dataclass(frozen=True, slots=True)
class LocalPlane:
    """Azimuthal-equidistant plane of the unit sphere around `centre` (a unit vector).

    Plane distance from the origin is `PLANE_RADIUS_M` times the central angle, exactly; other
    distances are close for nearby shapes. Works everywhere except at the antipode.
    """

    centre: Floats
    east: Floats
    north: Floats

    @classmethod
    def at(cls, centre: Floats) -> LocalPlane:
        x, y, z = (float(v) for v in centre)
        size = math.sqrt(x * x + y * y + z * z)
        x, y, z = x / size, y / size, z / size
        across = math.hypot(x, y)
        ex, ey = (0.0, 1.0) if across < 1e-12 else (-y / across, x / across)
        north = (-z * ey, z * ex, x * ey - y * ex)
        return cls(np.array([x, y, z]), np.array([ex, ey, 0.0]), np.array(north))

    def project(self, xyz: Floats) -> Floats:
        """Plane coordinates (n, 2) in metres of unit vectors (n, 3)."""
        x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
        e = x * self.east[0] + y * self.east[1]
        n = x * self.north[0] + y * self.north[1] + z * self.north[2]
        sin_angle = np.hypot(e, n)
        angle = np.arctan2(sin_angle, x * self.centre[0] + y * self.centre[1] + z * self.centre[2])
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(sin_angle > 0.0, PLANE_RADIUS_M * angle / sin_angle, PLANE_RADIUS_M)
        return np.stack([e * scale, n * scale], axis=-1)

    def unproject(self, xy: Floats) -> Floats:
        """Unit vectors (n, 3) of plane coordinates (n, 2) in metres."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        r = np.hypot(xy[:, 0], xy[:, 1])
        angle = r / PLANE_RADIUS_M
        with np.errstate(invalid="ignore", divide="ignore"):
            factor = np.where(r > 0.0, np.sin(angle) / r, 1.0 / PLANE_RADIUS_M)
        return (
            np.cos(angle)[:, None] * self.centre
            + (factor * xy[:, 0])[:, None] * self.east
            + (factor * xy[:, 1])[:, None] * self.north
        )
