"""Shapes across the antimeridian: split a geodesic ring there, merge split parts back.

Inside, a footprint never has an edge crossing +-180 degrees: GeoJSON already says so (RFC 7946
section 3.1.9, a MultiPolygon split there), and an F3548 polygon, whose edges are geodesics that
may cross it, is split on the way in. The cut runs along the meridian +-180, itself a geodesic,
through points computed on the crossing geodesics, so the parts have geodesic edges and cover
exactly the original shape.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from deconflict.arrays import Floats
from deconflict.errors import InvalidInput
from deconflict.geometry.geodesy import GEOD

__all__ = ["merge_across_antimeridian", "split_geodesic_ring", "wrap_lon"]

_BISECTIONS = 60


def wrap_lon(lon: Floats) -> Floats:
    """Longitudes brought into [-180, 180], keeping +180 as it is."""
    return np.where(np.abs(lon) <= 180.0, lon, (lon + 180.0) % 360.0 - 180.0)


def _wrapped_steps(lon: Floats) -> Floats:
    step = np.diff(lon)
    return np.asarray((step + 180.0) % 360.0 - 180.0, dtype=np.float64)


def _crossing_lat(lon1: float, lat1: float, lon2: float, lat2: float, meridian: float) -> float:
    """Latitude where the geodesic from (lon1, lat1) to (lon2, lat2) meets `meridian`.

    Longitudes are unwrapped (lon2 may lie past +-180); longitude grows monotonically along a
    geodesic that does not pass over a pole, so bisection on the distance finds it.
    """
    az12, _, length_m = GEOD.inv(lon1, lat1, lon2, lat2)
    low, high = 0.0, float(length_m)
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2.0
        lon, _, _ = GEOD.fwd(lon1, lat1, az12, mid)
        lon = lon1 + (float(lon) - lon1 + 180.0) % 360.0 - 180.0
        if (lon - meridian) * (lon2 - lon1) < 0.0:
            low = mid
        else:
            high = mid
    _, lat, _ = GEOD.fwd(lon1, lat1, az12, (low + high) / 2.0)
    return float(lat)


def split_geodesic_ring(lon: Floats, lat: Floats, pointer: str) -> Polygon | MultiPolygon:
    """A closed ring with geodesic edges (lon/lat in degrees), split where it crosses +-180.

    Rings around a pole, and edges between points 180 degrees of longitude apart (which pass
    over a pole or are ambiguous), are refused at `pointer`.
    """
    steps = _wrapped_steps(lon)
    if np.any(np.abs(steps) == 180.0):
        raise InvalidInput.at(pointer, "an edge joins points 180 degrees of longitude apart")
    if abs(float(steps.sum())) > 1.0:
        raise InvalidInput.at(pointer, "the ring goes around a pole; footprints may not")
    if not np.any(np.abs(np.diff(lon)) > 180.0):
        return Polygon(np.stack([lon, lat], axis=-1))
    unwrapped = lon[0] + np.concatenate([[0.0], np.cumsum(steps)])
    ring: list[tuple[float, float]] = []
    for i in range(lon.size - 1):
        x1, x2 = float(unwrapped[i]), float(unwrapped[i + 1])
        ring.append((x1, float(lat[i])))
        for k in range(
            int(np.floor((min(x1, x2) - 180.0) / 360.0)) + 1,
            int(np.floor((max(x1, x2) - 180.0) / 360.0)) + 1,
        ):
            meridian = 180.0 + 360.0 * k
            if min(x1, x2) < meridian < max(x1, x2):
                ring.append(
                    (meridian, _crossing_lat(x1, float(lat[i]), x2, float(lat[i + 1]), meridian))
                )
    ring.append(ring[0])
    shape = Polygon(ring)
    pieces: list[Polygon] = []
    for turns in range(-2, 3):
        shift = -360.0 * turns
        window = box(-180.0 - shift, -90.0, 180.0 - shift, 90.0)
        for part in shapely.get_parts(shapely.intersection(shape, window)):
            if isinstance(part, Polygon) and part.area > 0.0:
                pieces.append(shapely.transform(part, lambda xy, s=shift: xy + np.array([s, 0.0])))
    return pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)


def merge_across_antimeridian(shape: Polygon | MultiPolygon) -> BaseGeometry:
    """Parts of a footprint moved by whole turns next to the first one and merged.

    The result's longitudes may run past +-180 (wrap them with `wrap_lon` when writing).
    """
    if isinstance(shape, Polygon):
        return shape
    parts = list(shape.geoms)
    ref = parts[0].centroid.x
    moved = []
    for part in parts:
        shift = float(np.round((ref - part.centroid.x) / 360.0) * 360.0)
        moved.append(
            shapely.transform(part, lambda xy, s=shift: xy + np.array([s, 0.0])) if shift else part
        )
    return shapely.union_all(moved)
