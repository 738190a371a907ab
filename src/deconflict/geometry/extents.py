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
import numpy.typing as npt
import shapely

from deconflict.geometry.geodesy import (
    MAX_PIECE_M,
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    lonlat_path_bound_rad,
    unit_vectors,
)
from deconflict.geometry.volume import Circle, Edges, Footprint, Outline

__all__ = ["Extents", "extents"]

Floats = npt.NDArray[np.float64]

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
    """Anchors and caps of many footprints at once (vectorised: used to bulk-load an index)."""
    count = len(footprints)
    anchors = np.zeros((count, 3))
    caps = np.zeros(count)
    circle_at = [i for i, f in enumerate(footprints) if isinstance(f, Circle)]
    circles = [f for f in footprints if isinstance(f, Circle)]
    if circles:
        lon = np.array([c.lon_deg for c in circles])
        lat = np.array([c.lat_deg for c in circles])
        radius = np.array([c.radius_m for c in circles])
        anchors[circle_at] = unit_vectors(lon, lat)
        caps[circle_at] = radius / SPHERE_TO_GEODESIC_MIN_M + _CAP_SLACK_RAD
    for edges in Edges:
        outline_at = [
            i for i, f in enumerate(footprints) if isinstance(f, Outline) and f.edges is edges
        ]
        shapes = np.empty(len(outline_at), dtype=object)
        shapes[:] = [f.shape for f in footprints if isinstance(f, Outline) and f.edges is edges]
        if outline_at:
            anchors[outline_at], caps[outline_at] = _outline_extents(shapes, edges)
    return Extents(anchors, caps)


_ROUNDING_RAD = 1e-7
"""Covers the rounding of an angle taken from a dot product (at worst about 3e-8 rad)."""


def _outline_extents(shapes: npt.NDArray[np.object_], edges: Edges) -> tuple[Floats, Floats]:
    """Anchor: the normalised mean of the vertices' unit vectors; cap: the farthest vertex (by
    the smallest dot product), plus half the longest edge and the slack. Unit vectors are kept
    as three arrays: at a million outlines these are tens of millions of points."""
    parts, part_shape = shapely.get_parts(shapes, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_shape = part_shape[ring_part]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    coord_shape = ring_shape[coord_ring]
    lon, lat = np.radians(coords[:, 0]), np.radians(coords[:, 1])
    cos_lat = np.cos(lat)
    xyz = (cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat))
    sums = np.stack(
        [np.bincount(coord_shape, weights=v, minlength=shapes.size) for v in xyz], axis=-1
    )
    norms = np.linalg.norm(sums, axis=-1)
    counts = np.bincount(coord_shape, minlength=shapes.size)
    degenerate = norms < 1e-6 * counts
    anchors = sums / np.where(degenerate, 1.0, norms)[:, None]
    first = np.searchsorted(coord_shape, np.flatnonzero(degenerate))
    anchors[degenerate] = np.stack([v[first] for v in xyz], axis=-1)
    starts = np.searchsorted(coord_shape, np.arange(shapes.size))
    dots = sum(v * anchors[coord_shape, k] for k, v in enumerate(xyz))
    nearest = np.minimum.reduceat(np.asarray(dots), starts)
    far = np.arccos(np.clip(nearest, -1.0, 1.0)) + _ROUNDING_RAD
    same_ring = coord_ring[1:] == coord_ring[:-1]
    if edges is Edges.LONLAT:
        edge_rad = lonlat_path_bound_rad(coords[:, 0], coords[:, 1])
    else:
        chord = np.sqrt(sum((v[1:] - v[:-1]) ** 2 for v in xyz))
        edge_rad = (
            2.0
            * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0))
            * (SPHERE_TO_GEODESIC_MAX_M / SPHERE_TO_GEODESIC_MIN_M)
        )
    edge_rad = np.where(same_ring, edge_rad, 0.0)
    longest = np.maximum.reduceat(np.append(edge_rad, 0.0), starts)
    caps = far + longest / 2.0 + _CAP_SLACK_RAD
    caps = np.where(degenerate | (caps >= math.pi / 2.0), _WHOLE_SPHERE_RAD, caps)
    return anchors, caps
