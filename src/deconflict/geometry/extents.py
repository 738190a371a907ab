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
    angle_between,
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


def _outline_extents(shapes: npt.NDArray[np.object_], edges: Edges) -> tuple[Floats, Floats]:
    parts, part_shape = shapely.get_parts(shapes, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_shape = part_shape[ring_part]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    coord_shape = ring_shape[coord_ring]
    xyz = unit_vectors(coords[:, 0], coords[:, 1])
    sums = np.stack(
        [np.bincount(coord_shape, weights=xyz[:, k], minlength=shapes.size) for k in range(3)],
        axis=-1,
    )
    norms = np.linalg.norm(sums, axis=-1)
    counts = np.bincount(coord_shape, minlength=shapes.size)
    degenerate = norms < 1e-6 * counts
    anchors = sums / np.where(degenerate, 1.0, norms)[:, None]
    anchors[degenerate] = xyz[np.searchsorted(coord_shape, np.flatnonzero(degenerate))]
    starts = np.searchsorted(coord_shape, np.arange(shapes.size))
    far = np.maximum.reduceat(angle_between(xyz, anchors[coord_shape]), starts)
    same_ring = coord_ring[1:] == coord_ring[:-1]
    if edges is Edges.LONLAT:
        edge_rad = lonlat_path_bound_rad(coords[:, 0], coords[:, 1])
    else:
        edge_rad = angle_between(xyz[:-1], xyz[1:]) * (
            SPHERE_TO_GEODESIC_MAX_M / SPHERE_TO_GEODESIC_MIN_M
        )
    edge_rad = np.where(same_ring, edge_rad, 0.0)
    longest = np.maximum.reduceat(np.append(edge_rad, 0.0), starts)
    caps = far + longest / 2.0 + _CAP_SLACK_RAD
    caps = np.where(degenerate | (caps >= math.pi / 2.0), _WHOLE_SPHERE_RAD, caps)
    return anchors, caps
