"""The cheap bounds never overstate (lower) or understate (upper) the distance they bound."""

from __future__ import annotations

import math

import numpy as np
import pytest
from footprint_strategies import outlines
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, box

from deconflict.geometry import Circle, Edges, Footprint, Outline
from deconflict.geometry.bounds import (
    Squeezed,
    SqueezedMany,
    caps_clear_of_outline,
    circle_bounds_m,
    circles_bounds_m,
    lonlat_apart,
    lonlat_gap_m,
    piece_caps,
    point_caps_gap_m,
)
from deconflict.geometry.extents import Extents, extents
from deconflict.geometry.geodesy import SPHERE_TO_GEODESIC_MIN_M, unit_vectors
from deconflict.geometry.planar import DenseRings
from deconflict.geometry.separation import anchor, separation

A_M = 6_378_137.0


def test_bounds_bracket_a_known_distance() -> None:
    # Meridian edge x=0 (latitudes -1..1), point on the equator 0.5 deg east: a * 0.5 deg.
    square = box(-1.0, -1.0, 0.0, 1.0)
    expected_m = A_M * math.radians(0.5)
    lower_m, upper_m = circle_bounds_m(0.5, 0.0, Squeezed.of(square), expected_m * 2)
    assert lower_m <= expected_m <= upper_m
    # Each side may be off by the ellipsoid's spread of curvature radii, about 0.5 %.
    assert upper_m - lower_m < 0.025 * expected_m
    caps = piece_caps(DenseRings.of(Outline(square)))
    assert point_caps_gap_m(caps, unit_vectors(0.5, 0.0)[None, :])[0] <= expected_m
    other = box(0.5, -1.0, 1.0, 1.0)
    assert lonlat_gap_m(Squeezed.of(square), other, expected_m * 2) <= expected_m


@st.composite
def boxes(draw: st.DrawFn) -> Polygon:
    lon, lat = draw(st.floats(-10.0, 10.0)), draw(st.floats(-80.0, 78.0))
    w, h = draw(st.floats(0.01, 1.0)), draw(st.floats(0.01, 1.0))
    return box(lon, lat, lon + w, lat + h)


@settings(max_examples=100, deadline=None)
@given(boxes(), boxes(), st.floats(1.0, 300_000.0))
def test_lower_bounds_stay_below_the_computed_distance(
    a: Polygon, b: Polygon, reach_m: float
) -> None:
    if a.intersects(b):
        return
    full = separation(anchor(Outline(a)), [Outline(b)])
    distance_m = float(full.distance_m[0])
    if distance_m < reach_m:
        assert lonlat_gap_m(Squeezed.of(a), b, reach_m) <= distance_m
    assert (
        point_caps_gap_m(
            piece_caps(DenseRings.of(Outline(a))), unit_vectors(*b.exterior.coords[0])[None, :]
        )[0]
        <= float(
            separation(anchor(Outline(a)), [Circle(*b.exterior.coords[0], 1e-3)]).distance_m[0]
        )
        + 1e-3
    )


@settings(max_examples=100, deadline=None)
@given(boxes(), st.floats(-12.0, 12.0), st.floats(-82.0, 80.0), st.floats(1.0, 200_000.0))
def test_circle_bounds_bracket_the_centre_to_boundary_distance(
    shape: Polygon, lon: float, lat: float, reach_m: float
) -> None:
    if shape.contains(Point(lon, lat)) or shape.boundary.distance(Point(lon, lat)) == 0.0:
        return
    tiny = 1e-3
    exact = separation(anchor(Circle(lon, lat, tiny)), [Outline(shape)])
    centre_to_boundary_m = float(exact.distance_m[0]) + tiny
    lower_m, upper_m = circle_bounds_m(lon, lat, Squeezed.of(shape), reach_m)
    assert centre_to_boundary_m <= upper_m
    if centre_to_boundary_m < reach_m:
        assert lower_m <= centre_to_boundary_m


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(boxes(), st.floats(-12.0, 12.0), st.floats(-82.0, 80.0)), min_size=1),
    st.floats(1.0, 200_000.0),
)
def test_vectorised_bounds_equal_the_one_pair_bounds(
    cases: list[tuple[Polygon, float, float]], reach_m: float
) -> None:
    """Many shapes (each squeezed by its own scale) against many points, and one shape
    against many others, give what the one-pair functions give, pair by pair (away from the
    limit itself, where a within-distance test and a measured distance may round apart)."""
    shapes = np.empty(len(cases), dtype=object)
    shapes[:] = [shape for shape, _, _ in cases]
    lon = np.array([c[1] for c in cases])
    lat = np.array([c[2] for c in cases])
    many = SqueezedMany.of(shapes)
    lower_m, upper_m = circles_bounds_m(
        lon, lat, many.scale, many.min_lat, many.max_lat, many.boundary, np.full(lon.size, reach_m)
    )
    first = Squeezed.of(cases[0][0])
    apart = lonlat_apart(first, shapes, reach_m)
    for i, (shape, x, y) in enumerate(cases):
        one = Squeezed.of(shape)
        assert many.scale[i] == pytest.approx(one.scale, rel=1e-12)
        assert many.boundary[i].equals_exact(one.boundary, 1e-9)
        if shape.contains(Point(x, y)) or shape.boundary.distance(Point(x, y)) == 0.0:
            continue
        low, up = circle_bounds_m(x, y, one, reach_m)
        assert lower_m[i] == pytest.approx(low, rel=1e-9, abs=1e-6)
        assert upper_m[i] == pytest.approx(up, rel=1e-9, abs=1e-6)
        gap_m = lonlat_gap_m(first, shape, reach_m)
        if abs(gap_m - reach_m) > 1e-6:
            assert bool(apart[i]) == (gap_m >= reach_m)


@st.composite
def nearby(draw: st.DrawFn, outline: Outline) -> Footprint:
    """Circles and boxes around an outline: some inside it, some across its edges, some clear."""
    x0, y0, x1, y1 = outline.shape.bounds
    lon = draw(st.floats(x0 - 1.0, x1 + 1.0))
    lat = draw(st.floats(max(y0 - 1.0, -84.0), min(y1 + 1.0, 84.0)))
    size = draw(st.floats(0.001, 0.5))
    if draw(st.booleans()):
        return Circle(max(min(lon, 180.0), -180.0), lat, size * 100_000.0)
    lon = max(min(lon, 179.0), -180.0)
    return Outline(box(lon, lat, min(lon + size, 180.0), lat + size), draw(st.sampled_from(Edges)))


@settings(max_examples=150)
@given(
    st.data(), outlines(st.just(Edges.LONLAT)), st.sampled_from([0.0, 1_000.0, 5_000.0, 30_000.0])
)
def test_caps_clear_of_an_outline_hold_footprints_that_far_outside_it(
    data: st.DataObject, outline: Outline, beyond_m: float
) -> None:
    others = data.draw(st.lists(nearby(outline), min_size=1, max_size=8))
    clear = caps_clear_of_outline(outline, extents(others), beyond_m)
    full = separation(anchor(outline), others)
    for i in np.flatnonzero(clear).tolist():
        assert not full.overlaps[i]
        assert full.distance_m[i] >= beyond_m


def test_caps_clear_of_an_outline_are_outside_and_far_only() -> None:
    square = Outline(box(10.0, 10.0, 12.0, 12.0))
    far_out = Circle(15.0, 11.0, 10_000.0)
    deep_inside = Circle(11.0, 11.0, 10_000.0)
    near_edge = Circle(12.1, 11.0, 5_000.0)
    found = caps_clear_of_outline(square, extents([far_out, deep_inside, near_edge]), 5_000.0)
    assert found.tolist() == [True, False, False]
    assert not caps_clear_of_outline(square, extents([far_out]), 400_000.0)[0]
    off_corner = Circle(12.004, 12.004, 100.0)
    assert separation(anchor(square), [off_corner]).distance_m[0] < 1_000.0
    tight = Extents(unit_vectors([12.004], [12.004]), np.array([100.0 / SPHERE_TO_GEODESIC_MIN_M]))
    assert not caps_clear_of_outline(square, tight, 1_000.0)[0]
    with pytest.raises(ValueError, match="lon/lat edges"):
        caps_clear_of_outline(Outline(square.shape, Edges.GEODESIC), extents([far_out]), 0.0)


@settings(max_examples=200)
@given(st.data(), outlines(st.just(Edges.LONLAT)), st.sampled_from([0.0, 500.0, 5_000.0]))
def test_tight_caps_clear_of_an_outline_are_that_far_from_its_boundary(
    data: st.DataObject, outline: Outline, beyond_m: float
) -> None:
    """Caps exactly as large as circles (no slack of their own), so the pieces' bound alone
    must keep the answer right."""
    circles = [
        c
        for c in data.draw(st.lists(nearby(outline), min_size=1, max_size=8))
        if isinstance(c, Circle)
    ]
    caps = Extents(
        unit_vectors([c.lon_deg for c in circles], [c.lat_deg for c in circles]).reshape(-1, 3),
        np.array([c.radius_m / SPHERE_TO_GEODESIC_MIN_M for c in circles]),
    )
    clear = caps_clear_of_outline(outline, caps, beyond_m)
    full = separation(anchor(outline), circles)
    for i in np.flatnonzero(clear).tolist():
        assert not full.overlaps[i]
        assert full.distance_m[i] >= beyond_m
