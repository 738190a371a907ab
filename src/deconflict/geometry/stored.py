"""Many volumes back from GeoJSON the service wrote itself, fast: vectorised, not re-validated.

The service stores each volume as `volume_to_geojson` wrote it from a `Volume` that passed
every check when it came in, in the same transaction that logged it. Rebuilding an index at
start-up reads a million of them; validating each position again in Python costs about
100 us a volume (minutes in all) and can find nothing. So this path trusts the shape
`volume_to_geojson` writes (2D positions, closed rings, `alt_*_m`, RFC 3339 times), builds all
polygons in a few shapely calls over one coordinate array, and makes the dataclasses without
running their `__post_init__` checks. A feature of any other shape (flight levels, a missing
key) goes through the validating `volume_from_geojson` instead, so nothing is misread.

Never use this on input from outside the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, TypeVar

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from deconflict.geometry.formats import volume_from_geojson
from deconflict.geometry.volume import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Edges,
    Footprint,
    Outline,
    TimeWindow,
    Volume,
)
from deconflict.times import read_utc

__all__ = ["volumes_from_stored_geojson"]

_T = TypeVar("_T")
_REFERENCES = {str(r): r for r in AltitudeReference}
_KINDS = ("Polygon", "MultiPolygon", "Point")


def _unchecked(cls: type[_T], **fields: Any) -> _T:
    """A frozen dataclass made field by field, skipping `__post_init__` (trusted values only)."""
    made = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(made, name, value)
    return made


def _plain(feature: Mapping[str, Any]) -> bool:
    """Whether the feature has the shape `volume_to_geojson` writes."""
    props = feature.get("properties")
    geometry = feature.get("geometry")
    return (
        isinstance(props, Mapping)
        and isinstance(geometry, Mapping)
        and geometry.get("type") in _KINDS
        and "alt_lower_m" in props
        and "alt_upper_m" in props
        and props.get("alt_reference", "W84") in _REFERENCES
        and (geometry.get("type") != "Point" or "radius_m" in props)
    )


def volumes_from_stored_geojson(features: Sequence[Mapping[str, Any]]) -> list[Volume]:
    """The volumes of features written by `volume_to_geojson` from valid volumes, in order."""
    done: dict[int, Volume] = {}
    footprints: list[Footprint | None] = [None] * len(features)
    bands: list[AltitudeBand | None] = [None] * len(features)
    windows: list[TimeWindow | None] = [None] * len(features)
    coords: list[list[float]] = []
    ring_sizes: list[int] = []
    ring_part: list[int] = []
    part_shape: list[int] = []
    shape_feature: list[int] = []
    multi: list[bool] = []
    for i, feature in enumerate(features):
        if not _plain(feature):
            done[i] = volume_from_geojson(feature)
            continue
        geometry = feature["geometry"]
        props = feature["properties"]
        if geometry["type"] == "Point":
            lon, lat = geometry["coordinates"][:2]
            footprints[i] = _unchecked(
                Circle, lon_deg=float(lon), lat_deg=float(lat), radius_m=float(props["radius_m"])
            )
        else:
            is_multi = geometry["type"] == "MultiPolygon"
            shape = len(shape_feature)
            shape_feature.append(i)
            multi.append(is_multi)
            for polygon in geometry["coordinates"] if is_multi else [geometry["coordinates"]]:
                part = len(part_shape)
                part_shape.append(shape)
                for ring in polygon:
                    coords.extend(ring)
                    ring_sizes.append(len(ring))
                    ring_part.append(part)
        bands[i] = _unchecked(
            AltitudeBand,
            lower_m=float(props["alt_lower_m"]),
            upper_m=float(props["alt_upper_m"]),
            reference=_REFERENCES[props.get("alt_reference", "W84")],
        )
        windows[i] = _unchecked(
            TimeWindow, start=read_utc(props["time_start"]), end=read_utc(props["time_end"])
        )
    if shape_feature:
        shapes = _shapes(coords, ring_sizes, ring_part, part_shape, multi)
        for shape, i in zip(shapes, shape_feature, strict=True):
            footprints[i] = _unchecked(Outline, shape=shape, edges=Edges.LONLAT)
    return [
        done[i] if i in done else Volume(f, b, w)  # type: ignore[arg-type]
        for i, (f, b, w) in enumerate(zip(footprints, bands, windows, strict=True))
    ]


def _shapes(
    coords: list[list[float]],
    ring_sizes: list[int],
    ring_part: list[int],
    part_shape: list[int],
    multi: list[bool],
) -> list[Polygon | MultiPolygon]:
    """Every outline's shape, built at once from the rings' coordinates (first ring: shell)."""
    flat = np.fromiter(chain.from_iterable(coords), dtype=np.float64)
    if flat.size == 2 * len(coords):
        xy = flat.reshape(-1, 2)
    else:
        xy = np.asarray(coords, dtype=np.float64)[:, :2]
    rings = shapely.linearrings(xy, indices=np.repeat(np.arange(len(ring_sizes)), ring_sizes))
    parts = shapely.polygons(rings, indices=np.asarray(ring_part))
    owner = np.asarray(part_shape)
    is_multi = np.asarray(multi)
    shapes = np.empty(is_multi.size, dtype=object)
    single = np.flatnonzero(~is_multi[owner])
    shapes[owner[single]] = parts[single]
    if is_multi.any():
        at = np.flatnonzero(is_multi[owner])
        which, dense = np.unique(owner[at], return_inverse=True)
        shapes[which] = shapely.multipolygons(parts[at], indices=dense)
    found: list[Polygon | MultiPolygon] = shapes.tolist()
    return found
