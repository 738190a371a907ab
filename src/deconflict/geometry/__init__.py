"""Volumes on the WGS84 ellipsoid: footprints, altitude bands, time windows and their formats."""

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
]
