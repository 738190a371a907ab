"""Volumes on the WGS84 ellipsoid: footprints, altitude bands, time windows and their formats."""

from deconflict.geometry.formats import (
    volume_from_f3548,
    volume_from_geojson,
    volume_to_f3548,
    volume_to_geojson,
)
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

__all__ = [
    "AltitudeBand",
    "AltitudeReference",
    "Circle",
    "Edges",
    "Footprint",
    "Outline",
    "TimeWindow",
    "Volume",
    "volume_from_f3548",
    "volume_from_geojson",
    "volume_to_f3548",
    "volume_to_geojson",
]
