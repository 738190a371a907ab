"""Hypothesis strategies for 4D volumes that hit the edge cases on purpose.

Volumes are drawn on coarse grids (half-hour times, 500 m altitudes, 0.25-degree boxes) so
that touching windows, bands that meet exactly and boxes sharing edges are common; around a
few places: mid-latitude, the antimeridian (shapes split there) and 85 degrees north.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from deconflict.detection.strategic import Buffers
from deconflict.geometry import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Edges,
    Footprint,
    Outline,
    TimeWindow,
    Volume,
)

T0 = datetime(2026, 6, 1, tzinfo=UTC)
PLACES = [(30.0, 30.0), (179.75, 0.0), (10.0, 85.0)]
"""Centre of each region: mid-latitude, on the antimeridian, high latitude."""


def wrapped(shape: Polygon) -> Polygon | MultiPolygon:
    """A lon/lat polygon that may run past +-180 cut at the antimeridian (RFC 7946 3.1.9)."""
    minx, _, maxx, _ = shape.bounds
    if maxx <= 180.0 and minx >= -180.0:
        return shape
    pieces: list[Polygon] = []
    for shift in (0.0, -360.0, 360.0):
        clipped = shape.intersection(box(-180 - shift, -90, 180 - shift, 90))
        for part in getattr(clipped, "geoms", [clipped]):
            if isinstance(part, Polygon) and part.area > 0:
                pieces.append(Polygon([(x + shift, y) for x, y in part.exterior.coords]))
    return pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)


@st.composite
def footprints(draw: st.DrawFn, place: tuple[float, float]) -> Footprint:
    lon0, lat0 = place
    kind = draw(st.sampled_from(["grid box", "circle", "star"]))
    stretch = 1.0 / math.cos(math.radians(lat0))
    if kind == "grid box":
        i, j = draw(st.integers(-3, 3)), draw(st.integers(-2, 2))
        w, h = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        step = 0.25
        shape = box(
            lon0 + i * step * stretch,
            lat0 + j * step,
            lon0 + (i + w) * step * stretch,
            lat0 + (j + h) * step,
        )
        return Outline(wrapped(shape), Edges.LONLAT)
    lon = lon0 + draw(st.floats(-1.0, 1.0)) * stretch
    lat = lat0 + draw(st.floats(-0.6, 0.6))
    if kind == "circle":
        lon = (lon + 180.0) % 360.0 - 180.0
        return Circle(lon, lat, draw(st.sampled_from([5_000.0, 10_000.0, 27_500.0, 40_000.0])))
    count = draw(st.integers(3, 9))
    radii = draw(st.lists(st.floats(0.05, 0.4), min_size=count, max_size=count))
    ring = [
        (
            lon + r * stretch * math.cos(2 * math.pi * k / count),
            lat + r * math.sin(2 * math.pi * k / count),
        )
        for k, r in enumerate(radii)
    ]
    edges = draw(st.sampled_from(Edges))
    shape = Polygon(ring)
    if edges is Edges.GEODESIC:
        minx, _, maxx, _ = shape.bounds
        if maxx > 180.0 or minx < -180.0:
            edges = Edges.LONLAT
    return Outline(wrapped(shape) if edges is Edges.LONLAT else shape, edges)


@st.composite
def volumes(draw: st.DrawFn, place: tuple[float, float] | None = None) -> Volume:
    where = place if place is not None else draw(st.sampled_from(PLACES))
    start = draw(st.integers(0, 8))
    length = draw(st.integers(1, 4))
    lower = draw(st.integers(0, 6)) * 500.0
    thickness = draw(st.integers(0, 4)) * 500.0
    reference = draw(st.sampled_from([AltitudeReference.W84] * 3 + [AltitudeReference.STD]))
    return Volume(
        draw(footprints(where)),
        AltitudeBand(lower, lower + thickness, reference),
        TimeWindow(
            T0 + timedelta(minutes=30 * start), T0 + timedelta(minutes=30 * (start + length))
        ),
    )


buffers = st.builds(
    Buffers,
    horizontal_m=st.sampled_from([0.0, 1.0, 5_000.0, 20_000.0]),
    vertical_m=st.sampled_from([0.0, 300.0, 500.0]),
    time_s=st.sampled_from([0.0, 1800.0]),
    datum_margin_m=st.sampled_from([0.0, 200.0]),
)


@st.composite
def volume_sets(draw: st.DrawFn, max_size: int = 12) -> dict[str, Volume]:
    place = draw(st.sampled_from(PLACES))
    items = draw(st.lists(volumes(place), min_size=0, max_size=max_size))
    return {f"v{i:02d}": v for i, v in enumerate(items)}
