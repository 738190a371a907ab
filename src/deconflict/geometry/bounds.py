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
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from deconflict.geometry.geodesy import (
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    angle_between,
    lonlat_path_bound_rad,
    unit_vectors,
)
from deconflict.geometry.volume import Outline

__all__ = [
    "BOUND_SLACK_M",
    "PieceCaps",
    "Squeezed",
    "circle_bounds_m",
    "lonlat_gap_m",
    "piece_caps",
    "point_caps_gap_m",
]

Floats = npt.NDArray[np.float64]

_BOUND_PIECE_M = 2_000.0
BOUND_SLACK_M = 1.0
"""Covers the chords between densified points (sagitta of 1 km pieces: millimetres) and
rounding: far below any buffer, and on the safe side of every bound."""


@dataclass(frozen=True, slots=True)
class PieceCaps:
    """A lon/lat outline's boundary covered by small caps (centre, angular radius).

    Every point of the boundary lies in some cap, so the geodesic distance between two
    boundaries is at least `SPHERE_TO_GEODESIC_MIN_M` x (angle between cap centres - radii)
    for the closest pair of caps: a lower bound that needs no projection and no GEOS. `hub`
    and `hub_rad` are one cap holding them all.
    """

    centres: Floats
    radii_rad: Floats
    hub: Floats
    hub_rad: float


def piece_caps(outline: Outline) -> PieceCaps:
    centres, radii = [], []
    parts = outline.shape.geoms if isinstance(outline.shape, MultiPolygon) else [outline.shape]
    for part in parts:
        for ring in [part.exterior, *part.interiors]:
            xy = shapely.get_coordinates(ring)
            lon, lat = xy[:, 0], xy[:, 1]
            length_rad = lonlat_path_bound_rad(lon, lat)
            count = np.maximum(
                1, np.ceil(length_rad * SPHERE_TO_GEODESIC_MAX_M / _BOUND_PIECE_M)
            ).astype(np.int64)
            edge = np.repeat(np.arange(count.size), count)
            step = np.arange(edge.size) - np.repeat(np.cumsum(count) - count, count)
            t = (step + 0.5) / count[edge]
            centres.append(
                unit_vectors(
                    lon[edge] + t * (lon[edge + 1] - lon[edge]),
                    lat[edge] + t * (lat[edge + 1] - lat[edge]),
                )
            )
            radii.append(length_rad[edge] / count[edge] / 2.0)
    all_centres, all_radii = np.concatenate(centres), np.concatenate(radii)
    total = all_centres.sum(axis=0)
    hub = total / np.linalg.norm(total)
    hub_rad = float(np.max(angle_between(all_centres, hub) + all_radii))
    return PieceCaps(all_centres, all_radii, hub, hub_rad)


def point_caps_gap_m(caps: PieceCaps, points: Floats) -> Floats:
    """For each point (unit vector), a lower bound of its distance to the boundary."""
    gap = angle_between(points[:, None, :], caps.centres[None, :, :]) - caps.radii_rad[None, :]
    return np.asarray(gap.min(axis=1) * SPHERE_TO_GEODESIC_MIN_M - BOUND_SLACK_M)


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
        shapely.prepare(shape)
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
