"""Where footprints lie on the unit sphere: an anchor each and a cap around it that holds it.

The index prunes with these caps and the pair predicate rejects far pairs with them, so a cap
must hold every point the predicate could measure: the densified boundary (vertices, the
farthest point along each edge, and the chords between densified points).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from deconflict.arrays import Floats, Geometries, Ints
from deconflict.compiled import kernel
from deconflict.geometry.geodesy import (
    MAX_PIECE_M,
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    lonlat_edge_rad,
    unit_vector,
)
from deconflict.geometry.volume import Circle, Edges, Footprint, Outline

__all__ = ["Extents", "box_cap", "extents", "ring_coordinates"]


_CAP_SLACK_RAD = 2.0 * MAX_PIECE_M / SPHERE_TO_GEODESIC_MIN_M
_WHOLE_SPHERE_RAD = math.pi


@dataclass(frozen=True, slots=True)
class Extents:
    """Where footprints lie on the unit sphere: an anchor each, and a cap around it holding it all.

    `cap_rad` bounds the central angle from the anchor to every point of the (densified)
    footprint, so two footprints whose caps are `g` radians apart are at least
    `g * SPHERE_TO_GEODESIC_MIN_M` metres apart. A cap of pi means "could be anywhere".
    """

    anchors: Floats
    cap_rad: Floats

    def __len__(self) -> int:
        return int(self.cap_rad.size)


def extents(footprints: Sequence[Footprint]) -> Extents:
    """Anchors and caps of many footprints at once (vectorised: used to bulk-load an index, and
    kept lean for one footprint, which every query needs)."""
    circle_at: list[int] = []
    circles: list[tuple[float, float, float]] = []
    outlines: dict[Edges, tuple[list[int], list[object]]] = {}
    for i, f in enumerate(footprints):
        if isinstance(f, Circle):
            circle_at.append(i)
            circles.append((f.lon_deg, f.lat_deg, f.radius_m))
        else:
            at, shapes = outlines.setdefault(f.edges, ([], []))
            at.append(i)
            shapes.append(f.shape)
    parts: list[tuple[list[int], Floats, Floats]] = []
    if circles:
        parts.append((circle_at, *_circle_caps(np.array(circles, dtype=np.float64))))
    for edges, (at, shapes) in outlines.items():
        array = np.empty(len(shapes), dtype=object)
        array[:] = shapes
        parts.append((at, *_outline_extents(array, edges)))
    if len(parts) == 1:
        return Extents(parts[0][1], parts[0][2])
    anchors, caps = np.zeros((len(footprints), 3)), np.zeros(len(footprints))
    for at, part_anchors, part_caps in parts:
        anchors[at], caps[at] = part_anchors, part_caps
    return Extents(anchors, caps)


@kernel("Tuple((float64[:, :], float64[:]))(float64[:, :])")
def _circle_caps(circles: Floats) -> tuple[Floats, Floats]:
    """Anchor: the centre; cap: the radius on the smallest radius of curvature, plus the slack.
    `circles` holds (lon, lat, radius) rows in degrees and metres."""
    count = circles.shape[0]
    anchors = np.empty((count, 3))
    caps = np.empty(count)
    for k in range(count):
        anchors[k, 0], anchors[k, 1], anchors[k, 2] = unit_vector(circles[k, 0], circles[k, 1])
        caps[k] = circles[k, 2] / SPHERE_TO_GEODESIC_MIN_M + _CAP_SLACK_RAD
    return anchors, caps


_ROUNDING_RAD = 1e-7
"""Covers the rounding of an angle taken from a dot product (at worst about 3e-8 rad)."""


def box_cap(outline: Outline) -> tuple[Floats, float] | None:
    """A cap holding a lon/lat outline, from its lon/lat bounding box: (anchor, radius), or None
    for geodesic edges or a box spanning half the globe.

    Edges straight in lon/lat keep the outline, and every point `extents` bounds, in the box
    (up to the same rounding and densification slack), and the box's farthest point from its
    centre is a corner. One GEOS call instead of every vertex, and about as tight: a query's
    first screening uses it before its exact summary is worth computing.
    """
    if outline.edges is not Edges.LONLAT:
        return None
    west, south, east, north = shapely.bounds(outline.shape).tolist()
    if east - west >= 180.0:
        return None
    x, y, z, cap = _box_cap(west, south, east, north)
    return np.array([x, y, z]), cap


@kernel("UniTuple(float64, 4)(float64, float64, float64, float64)")
def _box_cap(west: float, south: float, east: float, north: float) -> tuple[float, ...]:
    """Anchor: the box's centre; cap: the farthest corner, plus rounding and slack."""
    ax, ay, az = unit_vector((west + east) / 2.0, (south + north) / 2.0)
    nearest = 1.0
    for lon, lat in ((west, south), (west, north), (east, south), (east, north)):
        x, y, z = unit_vector(lon, lat)
        nearest = min(nearest, ax * x + ay * y + az * z)
    cap = math.acos(min(max(nearest, -1.0), 1.0)) + _ROUNDING_RAD + _CAP_SLACK_RAD
    return ax, ay, az, cap if cap < math.pi / 2.0 else _WHOLE_SPHERE_RAD


def _plain_polygon(shape: object) -> bool:
    return isinstance(shape, shapely.Polygon) and len(shape.interiors) == 0


def ring_coordinates(
    shapes: Geometries,
) -> tuple[Floats, Ints, Ints, Ints]:
    """Every vertex of the (multi)polygons' rings, in order: (lon/lat, ring) of each vertex,
    the part of each ring and the shape of each part.

    Rings are numbered shell first, then holes, part by part. Plain polygons (the usual case)
    are read directly: splitting into parts and rings costs more than reading the vertices,
    and one alone (a query) in a single call.
    """
    if shapes.size == 1 and _plain_polygon(shapes[0]):
        coords = shapely.get_coordinates(shapes[0])
        first = np.zeros(1, dtype=np.int64)
        return coords, np.zeros(coords.shape[0], dtype=np.int64), first, first
    if all(isinstance(shape, shapely.Polygon) for shape in shapes):
        parts, part_shape = shapes, np.arange(shapes.size)
    else:
        parts, part_shape = shapely.get_parts(shapes, return_index=True)
    if shapely.get_num_interior_rings(parts).any():
        rings, ring_part = shapely.get_rings(parts, return_index=True)
    else:
        rings, ring_part = parts, np.arange(parts.size)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    return coords, coord_ring, ring_part.astype(np.int64), part_shape.astype(np.int64)


def _outline_extents(shapes: Geometries, edges: Edges) -> tuple[Floats, Floats]:
    """Anchors and caps of outlines with the same edge rule (see `_outline_caps`)."""
    coords, coord_ring, ring_part, part_shape = ring_coordinates(shapes)
    anchors: Floats
    caps: Floats
    anchors, caps = _outline_caps(
        coords, coord_ring, ring_part, part_shape, shapes.size, edges is Edges.LONLAT
    )
    return anchors, caps


@kernel(
    "Tuple((float64[:, :], float64[:]))"
    "(float64[:, ::1], int64[:], int64[:], int64[:], int64, boolean)"
)
def _outline_caps(
    coords: Floats,
    coord_ring: Ints,
    ring_part: Ints,
    part_shape: Ints,
    count: int,
    lonlat_edges: bool,
) -> tuple[Floats, Floats]:
    """Anchor: the normalised mean of the vertices' unit vectors (the first vertex when that
    mean is degenerate); cap: the farthest vertex (by the smallest dot product), plus half the
    longest edge (bounded by its edge rule) and the slack. Compiled: at a million outlines these
    are tens of millions of points, and a single query's outline is a few dozen."""
    lon_deg, lat_deg = coords[:, 0], coords[:, 1]
    size = lon_deg.size
    x = np.empty(size)
    y = np.empty(size)
    z = np.empty(size)
    sums = np.zeros((count, 3))
    vertices = np.zeros(count, dtype=np.int64)
    for i in range(size):
        x[i], y[i], z[i] = unit_vector(lon_deg[i], lat_deg[i])
        k = part_shape[ring_part[coord_ring[i]]]
        sums[k, 0] += x[i]
        sums[k, 1] += y[i]
        sums[k, 2] += z[i]
        vertices[k] += 1
    anchors = np.zeros((count, 3))
    degenerate = np.zeros(count, dtype=np.bool_)
    for k in range(count):
        norm = math.sqrt(sums[k, 0] ** 2 + sums[k, 1] ** 2 + sums[k, 2] ** 2)
        degenerate[k] = norm < 1e-6 * vertices[k]
        if not degenerate[k]:
            anchors[k] = sums[k] / norm
    nearest = np.full(count, np.inf)
    longest = np.zeros(count)
    for i in range(size):
        k = part_shape[ring_part[coord_ring[i]]]
        if degenerate[k] and nearest[k] == np.inf:
            anchors[k, 0], anchors[k, 1], anchors[k, 2] = x[i], y[i], z[i]
        a = anchors[k]
        nearest[k] = min(nearest[k], x[i] * a[0] + y[i] * a[1] + z[i] * a[2])
        if i + 1 == size or coord_ring[i + 1] != coord_ring[i]:
            continue
        if lonlat_edges:
            edge = lonlat_edge_rad(lon_deg[i], lat_deg[i], lon_deg[i + 1], lat_deg[i + 1])
        else:
            chord = math.sqrt(
                (x[i + 1] - x[i]) ** 2 + (y[i + 1] - y[i]) ** 2 + (z[i + 1] - z[i]) ** 2
            )
            edge = (
                2.0
                * math.asin(min(chord / 2.0, 1.0))
                * (SPHERE_TO_GEODESIC_MAX_M / SPHERE_TO_GEODESIC_MIN_M)
            )
        longest[k] = max(longest[k], edge)
    caps = np.empty(count)
    for k in range(count):
        cap = math.acos(min(max(nearest[k], -1.0), 1.0)) + _ROUNDING_RAD + longest[k] / 2.0
        cap += _CAP_SLACK_RAD
        caps[k] = _WHOLE_SPHERE_RAD if degenerate[k] or cap >= math.pi / 2.0 else cap
    return anchors, caps
