"""Hypothesis strategies for footprints shared by the geometry tests."""

from __future__ import annotations

import math

import shapely.affinity
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from deconflict.geometry import Edges, Outline

ANY_EDGES = st.sampled_from(Edges)


@st.composite
def outlines(draw: st.DrawFn, edges: st.SearchStrategy[Edges] = ANY_EDGES) -> Outline:
    """Stars of 3-12 vertices anywhere short of the poles, some with a hole, some in two parts."""
    lon, lat = draw(st.floats(-170.0, 170.0)), draw(st.floats(-84.0, 84.0))
    size = draw(st.floats(0.01, 3.0))
    count = draw(st.integers(3, 12))
    radii = draw(st.lists(st.floats(0.5, 1.0), min_size=count, max_size=count))
    shell = [
        (
            lon + size * r * math.cos(2 * math.pi * k / count),
            lat + size * r * math.sin(2 * math.pi * k / count),
        )
        for k, r in enumerate(radii)
    ]
    hole = [
        (lon + dx * size / 8, lat + dy * size / 8)
        for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    ]
    shape: Polygon | MultiPolygon = Polygon(shell, [hole] if draw(st.booleans()) else [])
    if draw(st.booleans()):
        shifted = shapely.affinity.translate(shape, yoff=-3.0 * size if lat > 0 else 3.0 * size)
        shape = MultiPolygon([shape, shifted])
    return Outline(shape, draw(edges))
