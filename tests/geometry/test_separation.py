"""Horizontal separation pinned against expectations derived without the code under test."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
import shapely.affinity
from footprint_strategies import outlines
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from deconflict.geometry import Circle, Edges, Footprint, Outline
from deconflict.geometry.extents import box_cap, ring_coordinates
from deconflict.geometry.geodesy import (
    GEOD,
    MAX_PIECE_M,
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    angle_between,
    circle_ring,
    lonlat_edge_bound_rad,
    lonlat_of,
    unit_vectors,
)
from deconflict.geometry.planar import DenseRings, dense_rings
from deconflict.geometry.separation import (
    _circles_in_own_planes,
    anchor,
    extents,
    overlap_polygon,
    separation,
)

A_M = 6_378_137.0


def sep(first: Footprint, second: Footprint) -> tuple[float, bool]:
    s = separation(anchor(first), [second])
    return float(s.distance_m[0]), bool(s.overlaps[0])


def test_two_circles_on_a_meridian() -> None:
    _, _, centres_m = GEOD.inv(10.0, 40.0, 10.0, 41.0)
    d, over = sep(Circle(10.0, 40.0, 20_000.0), Circle(10.0, 41.0, 30_000.0))
    assert not over
    assert d == pytest.approx(centres_m - 50_000.0, abs=1e-6)


def test_polygon_edge_along_a_meridian_and_a_circle_on_the_equator() -> None:
    # The equator is a geodesic and, by symmetry, the nearest point of the meridian x=0 to a
    # point on the equator is on the equator: distance = a * dlon.
    square = Outline(box(-1.0, -1.0, 0.0, 1.0))
    circle = Circle(0.5, 0.0, 10_000.0)
    expected = A_M * math.radians(0.5) - 10_000.0
    for first, second in ((square, circle), (circle, square)):
        d, over = sep(first, second)
        assert not over
        assert d == pytest.approx(expected, abs=0.01)


def test_two_polygons_facing_across_meridians() -> None:
    # Meridians converge away from the equator, so the facing edges (meridians 0 and 0.25,
    # latitudes -1..1) are closest at their ends, where they are a parallel's arc apart.
    west, east = Outline(box(-1.0, -1.0, 0.0, 1.0)), Outline(box(0.25, -1.0, 1.0, 1.0))
    _, _, corners_m = GEOD.inv(0.0, 1.0, 0.25, 1.0)
    d, over = sep(west, east)
    assert not over
    assert d == pytest.approx(corners_m, abs=0.05)
    assert d < A_M * math.radians(0.25)


def test_touching_squares_do_not_overlap_and_are_0_apart() -> None:
    assert sep(Outline(box(0, 0, 1, 1)), Outline(box(1, 0, 2, 1))) == (0.0, False)
    assert sep(Outline(box(0, 0, 1, 1)), Outline(box(1, 1, 2, 2))) == (0.0, False)


def test_nested_and_crossing_shapes_overlap() -> None:
    outer, inner = Outline(box(0, 0, 1, 1)), Outline(box(0.4, 0.4, 0.6, 0.6))
    assert sep(outer, inner) == (0.0, True)
    assert sep(inner, outer) == (0.0, True)
    cross_a, cross_b = Outline(box(0, 0.4, 1, 0.6)), Outline(box(0.4, 0, 0.6, 1))
    assert sep(cross_a, cross_b) == (0.0, True)
    assert sep(Circle(0.5, 0.5, 1.0), outer) == (0.0, True)
    assert sep(outer, Circle(0.5, 0.5, 1.0)) == (0.0, True)


def test_circles_overlapping_by_a_metre() -> None:
    _, _, centres_m = GEOD.inv(0.0, 0.0, 0.0, 0.1)
    assert sep(Circle(0, 0, centres_m / 2), Circle(0, 0.1, centres_m / 2 + 1.0)) == (0.0, True)


def antimeridian_square(lat: float) -> Outline:
    return Outline(
        MultiPolygon([box(179.5, lat, 180.0, lat + 1.0), box(-180.0, lat, -179.5, lat + 1.0)])
    )


def test_footprints_either_side_of_the_antimeridian() -> None:
    west, east = Circle(179.9, 0.0, 5_000.0), Circle(-179.9, 0.0, 5_000.0)
    expected = A_M * math.radians(0.2) - 10_000.0
    assert sep(west, east)[0] == pytest.approx(expected, abs=0.01)
    split = Outline(MultiPolygon([box(179.9, -1, 180.0, 1), box(-180.0, -1, -179.9, 1)]))
    assert sep(split, Circle(179.95, 0.0, 100.0)) == (0.0, True)
    assert sep(split, Circle(-179.95, 0.0, 100.0)) == (0.0, True)
    d, over = sep(split, Circle(-179.8, 0.0, 100.0))
    assert not over
    assert d == pytest.approx(A_M * math.radians(0.1) - 100.0, abs=0.01)


def test_antimeridian_overlap_polygon_is_split() -> None:
    circle = Circle(180.0, 10.5, 20_000.0)
    shape = overlap_polygon(antimeridian_square(10.0), circle)
    assert isinstance(shape, MultiPolygon)
    lons = np.concatenate([np.asarray(p.exterior.coords)[:, 0] for p in shape.geoms])
    assert lons.min() >= -180.0
    assert lons.max() <= 180.0
    # The circle lies inside the square: the overlap is the whole circle, ~pi r^2.
    area_m2 = sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in shape.geoms)
    assert area_m2 == pytest.approx(math.pi * 20_000.0**2, rel=1e-3)


def test_high_latitude_circles() -> None:
    _, _, centres_m = GEOD.inv(0.0, 85.0, 90.0, 85.0)
    d, over = sep(Circle(0.0, 85.0, 10_000.0), Circle(90.0, 85.0, 10_000.0))
    assert not over
    assert d == pytest.approx(centres_m - 20_000.0, abs=1e-6)
    square = Outline(box(-5.0, 84.0, 5.0, 86.0))
    assert sep(square, Circle(0.0, 85.0, 100.0)) == (0.0, True)
    # Nearest point of the parallel 86 N to a point due north on the same meridian: on it.
    _, _, north_m = GEOD.inv(0.0, 86.0, 0.0, 87.0)
    d, over = sep(square, Circle(0.0, 87.0, 100.0))
    assert not over
    assert d == pytest.approx(north_m - 100.0, abs=1.0)


def test_overlap_polygon_of_two_squares() -> None:
    a, b = Outline(box(0, 0, 1, 1)), Outline(box(0.5, 0.5, 1.5, 1.5))
    shape = overlap_polygon(a, b)
    assert shape is not None
    assert (
        shape.equals_exact(box(0.5, 0.5, 1, 1), tolerance=1e-6)
        or shape.symmetric_difference(box(0.5, 0.5, 1, 1)).area < 1e-9
    )
    assert overlap_polygon(Outline(box(0, 0, 1, 1)), Outline(box(1, 0, 2, 1))) is None


small = st.floats(0.01, 2.0)


@st.composite
def footprints(draw: st.DrawFn) -> Footprint:
    lon, lat = draw(st.floats(-180.0, 180.0)), draw(st.floats(-85.0, 85.0))
    if draw(st.booleans()):
        return Circle(lon, lat, draw(st.floats(1.0, 300_000.0)))
    w, h = draw(small), draw(small)
    lat = min(lat, 87.0 - h)
    lon = min(lon, 180.0 - w)
    edges = draw(st.sampled_from(Edges))
    return Outline(box(lon, lat, lon + w, lat + h), edges)


@settings(max_examples=100)
@given(footprints(), footprints())
def test_caps_bound_the_distance_from_below(first: Footprint, second: Footprint) -> None:
    """The pruning bound: cap gap x smallest radius never exceeds the separation."""
    ext = extents([first, second])
    gap_rad = float(angle_between(ext.anchors[0], ext.anchors[1])) - ext.cap_rad.sum()
    if gap_rad > 1.0:
        return
    d, over = sep(first, second)
    if gap_rad > 0:
        assert not over
        assert d >= gap_rad * SPHERE_TO_GEODESIC_MIN_M


@settings(max_examples=100)
@given(footprints(), footprints())
def test_separation_agrees_in_both_directions(first: Footprint, second: Footprint) -> None:
    ext = extents([first, second])
    if float(angle_between(ext.anchors[0], ext.anchors[1])) > 0.2:
        return
    d1, o1 = sep(first, second)
    d2, o2 = sep(second, first)
    assert o1 == o2 or min(d1, d2) == 0.0
    assert d1 == pytest.approx(d2, rel=1e-3, abs=1.0)


def test_bulk_extents_equal_single_extents() -> None:
    shapes: list[Footprint] = [
        Circle(1, 2, 3000.0),
        Outline(box(0, 0, 1, 1)),
        Outline(box(0, 0, 1, 1), Edges.GEODESIC),
        antimeridian_square(5.0),
        Outline(Polygon([(0, 0), (3, 0), (3, 3), (0, 0)])),
    ]
    bulk = extents(shapes)
    for i, shape in enumerate(shapes):
        one = extents([shape])
        assert np.array_equal(one.anchors[0], bulk.anchors[i])
        assert one.cap_rad[0] == bulk.cap_rad[i]
    # About 0.7 deg to the far corner plus half the longest (1 deg) edge: far below the
    # 180 degrees the square would span if the antimeridian split were not understood.
    assert bulk.cap_rad[3] < math.radians(1.5)


def cap_by_hand(outline: Outline, anchor_xyz: np.ndarray) -> float:
    """The cap's definition written out ring by ring: farthest vertex, half the longest edge
    (bounded by its edge rule), the rounding allowance and the densification slack."""
    far = longest = 0.0
    for ring in shapely.get_rings(shapely.get_parts(outline.shape)):
        lon, lat = shapely.get_coordinates(ring).T
        xyz = unit_vectors(lon, lat)
        far = max(far, float(np.max(angle_between(xyz, anchor_xyz))))
        if outline.edges is Edges.LONLAT:
            edges = lonlat_edge_bound_rad(lon[:-1], lat[:-1], lon[1:], lat[1:])
        else:
            edges = angle_between(xyz[1:], xyz[:-1]) * (
                SPHERE_TO_GEODESIC_MAX_M / SPHERE_TO_GEODESIC_MIN_M
            )
        longest = max(longest, float(np.max(edges)))
    cap = far + 1e-7 + longest / 2.0 + 2.0 * MAX_PIECE_M / SPHERE_TO_GEODESIC_MIN_M
    return cap if cap < math.pi / 2.0 else math.pi


@settings(max_examples=150)
@given(st.lists(outlines(), min_size=1, max_size=5))
def test_caps_hold_every_densified_point_and_anchor_is_the_mean_vertex(
    shapes: list[Outline],
) -> None:
    bulk = extents(shapes)
    for i, outline in enumerate(shapes):
        one = extents([outline])
        assert np.array_equal(one.anchors[0], bulk.anchors[i])
        assert one.cap_rad[0] == bulk.cap_rad[i]
        corners = shapely.get_coordinates(shapely.get_rings(shapely.get_parts(outline.shape)))
        xyz = unit_vectors(corners[:, 0], corners[:, 1])
        mean = xyz.sum(axis=0) / np.linalg.norm(xyz.sum(axis=0))
        assert np.allclose(bulk.anchors[i], mean, rtol=0, atol=1e-12)
        assert bulk.cap_rad[i] == pytest.approx(cap_by_hand(outline, mean), rel=0, abs=2e-7)
        dense = DenseRings.of(outline).xyz
        middles = (dense[1:] + dense[:-1]) / 2.0
        middles /= np.linalg.norm(middles, axis=-1)[:, None]
        for points in (dense, middles):
            assert np.all(angle_between(points, bulk.anchors[i]) <= bulk.cap_rad[i])


@settings(max_examples=100)
@given(st.floats(-180.0, 180.0), st.floats(-85.0, 85.0), st.floats(1.0, 300_000.0))
def test_circle_caps_hold_the_circle_around_its_centre(
    lon: float, lat: float, radius_m: float
) -> None:
    ext = extents([Circle(lon, lat, radius_m), Outline(box(0, 0, 1, 1))])
    assert np.allclose(ext.anchors[0], unit_vectors(lon, lat), rtol=0, atol=1e-15)
    ring_lon, ring_lat = circle_ring(lon, lat, radius_m)
    assert np.all(angle_between(unit_vectors(ring_lon, ring_lat), ext.anchors[0]) <= ext.cap_rad[0])


@settings(max_examples=150)
@given(outlines(st.just(Edges.LONLAT)))
def test_box_caps_hold_every_densified_point(outline: Outline) -> None:
    found = box_cap(outline)
    west, _, east, _ = outline.shape.bounds
    if found is None:
        assert east - west >= 180.0
        return
    centre, cap_rad = found
    dense = DenseRings.of(outline).xyz
    middles = (dense[1:] + dense[:-1]) / 2.0
    middles /= np.linalg.norm(middles, axis=-1)[:, None]
    for points in (dense, middles):
        assert np.all(angle_between(points, centre) <= cap_rad)


def test_box_caps_are_only_for_narrow_lonlat_outlines() -> None:
    square = box(10.0, 40.0, 12.0, 41.0)
    assert box_cap(Outline(square, Edges.GEODESIC)) is None
    wide = Polygon([(-100.0, 0.0), (0.0, 0.0), (90.0, 0.0), (90.0, 1.0), (0.0, 1.0), (-100.0, 1.0)])
    assert box_cap(Outline(wide)) is None
    found = box_cap(Outline(square))
    assert found is not None
    assert np.allclose(found[0], unit_vectors(11.0, 40.5), rtol=0, atol=1e-15)
    corners = unit_vectors([10.0, 10.0, 12.0, 12.0], [40.0, 41.0, 40.0, 41.0])
    farthest = float(np.max(angle_between(corners, found[0])))
    assert farthest < found[1] < farthest + 3 * MAX_PIECE_M / SPHERE_TO_GEODESIC_MIN_M


def test_ring_coordinates_number_holes_after_their_shell() -> None:
    with_hole = Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 2)]])
    plain = box(10, 10, 11, 11)
    shapes = np.array([MultiPolygon([with_hole, plain]), plain], dtype=object)
    coords, coord_ring, ring_part, part_shape = ring_coordinates(shapes)
    assert coord_ring.tolist() == [0] * 5 + [1] * 5 + [2] * 5 + [3] * 5
    assert ring_part.tolist() == [0, 0, 1, 2]
    assert part_shape.tolist() == [0, 0, 1]
    assert coords[5:10].tolist() == shapely.get_coordinates(with_hole.interiors[0]).tolist()
    polygons = np.array([plain, with_hole], dtype=object)
    coords, coord_ring, ring_part, part_shape = ring_coordinates(polygons)
    assert coord_ring.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert ring_part.tolist() == [0, 1, 1]
    assert part_shape.tolist() == [0, 1]
    assert coords[10:].tolist() == shapely.get_coordinates(with_hole.interiors[0]).tolist()
    only_shells = np.array([plain, box(0, 0, 1, 1)], dtype=object)
    coords, coord_ring, ring_part, part_shape = ring_coordinates(only_shells)
    assert coord_ring.tolist() == [0] * 5 + [1] * 5
    assert ring_part.tolist() == [0, 1]
    assert part_shape.tolist() == [0, 1]


@settings(max_examples=150)
@given(footprints(), footprints(), st.sampled_from([0.0, 1.0, 5_000.0, 50_000.0]))
def test_far_is_only_said_of_pairs_at_least_that_far(
    first: Footprint, second: Footprint, beyond_m: float
) -> None:
    """The piece-cap bounds never mark as far a pair the full computation finds closer."""
    ext = extents([first, second])
    if float(angle_between(ext.anchors[0], ext.anchors[1])) > 0.2:
        return
    full = separation(anchor(first), [second])
    assert not full.far[0]
    for quick in (
        separation(anchor(first), [second], beyond_m),
        separation(anchor(first), [second], beyond_m, extents([second])),
    ):
        if quick.far[0]:
            assert not full.overlaps[0]
            assert full.distance_m[0] >= beyond_m
        else:
            assert quick.overlaps[0] == full.overlaps[0]
            if not quick.overlaps[0]:
                assert quick.distance_m[0] == full.distance_m[0]


def test_caps_settle_shapes_well_inside_or_well_away() -> None:
    big = anchor(Outline(box(0, 0, 2, 2)))
    others: list[Footprint] = [
        Circle(1.0, 1.0, 1000.0),
        Outline(box(0.9, 0.9, 1.1, 1.1)),
        Outline(box(3.0, 0.0, 4.0, 1.0)),
        Circle(1.0, 3.0, 1000.0),
        Outline(box(1.5, 1.5, 2.5, 2.5)),
    ]
    sep = separation(big, others, 5_000.0, extents(others))
    assert sep.overlaps.tolist() == [True, True, False, False, True]
    assert sep.far.tolist() == [False, False, True, True, False]


def test_far_prunes_pairs_well_beyond_the_limit() -> None:
    square, other = Outline(box(0, 0, 1, 1)), Outline(box(1.2, 0, 2, 1))
    assert separation(anchor(square), [other], 5_000.0).far[0]
    assert separation(anchor(square), [Circle(1.3, 0.5, 1000.0)], 5_000.0).far[0]
    assert separation(anchor(Circle(1.3, 0.5, 1000.0)), [square], 5_000.0).far[0]
    assert not separation(anchor(square), [other], 30_000.0).far[0]


@settings(max_examples=60, deadline=None)
@given(
    footprints(),
    st.lists(footprints(), min_size=2, max_size=8),
    st.sampled_from([1.0, 5_000.0, 50_000.0, math.inf]),
)
def test_many_at_once_answer_as_each_alone(
    first: Footprint, others: list[Footprint], beyond_m: float
) -> None:
    """Batched (vectorised) settling gives each pair what it gets compared on its own."""
    shifted = [_near(first, o) for o in others]
    batch = separation(anchor(first), shifted, beyond_m, extents(shifted))
    for i, other in enumerate(shifted):
        alone = separation(anchor(first), [other], beyond_m, extents([other]))
        assert batch.far[i] == alone.far[0]
        assert batch.overlaps[i] == alone.overlaps[0]
        if not batch.far[i]:
            assert batch.distance_m[i] == alone.distance_m[0]


def _near(first: Footprint, other: Footprint) -> Footprint:
    """`other` moved next to `first` (so that bounds, not caps, decide), same size and kind."""
    lon, lat = (
        (first.lon_deg, first.lat_deg)
        if isinstance(first, Circle)
        else first.shape.representative_point().coords[0]
    )
    if isinstance(other, Circle):
        return Circle((lon + 0.3 + 180.0) % 360.0 - 180.0, lat, min(other.radius_m, 50_000.0))
    minx, miny, maxx, maxy = other.shape.bounds
    w, h = min(maxx - minx, 0.5), min(maxy - miny, 0.5)
    x0, y0 = min(lon + 0.2, 179.0 - w), min(lat - h / 2, 86.0 - h)
    return Outline(box(x0, y0, x0 + w, y0 + h), other.edges)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(-0.5, 0.5), st.floats(-0.5, 0.5), st.floats(100.0, 60_000.0)),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([(30.0, 30.0), (179.5, 0.0), (10.0, 84.0)]),
)
def test_circles_and_outlines_in_bulk_equal_the_one_pair_exact_path(
    offsets: list[tuple[float, float, float]], place: tuple[float, float]
) -> None:
    """Both directions, batched: each circle's result is the one-pair exact path's, bit for bit."""
    lon0, lat0 = place
    outline = Outline(box(lon0 - 0.3, lat0 - 0.2, min(lon0 + 0.3, 180.0), lat0 + 0.2))
    circles = [Circle(lon0 + dx, lat0 + dy, r) for dx, dy, r in offsets]
    first = anchor(outline)
    many = separation(first, circles)
    for i, circle in enumerate(circles):
        if many.far[i] or bool(shapely.contains_xy(outline.shape, circle.lon_deg, circle.lat_deg)):
            continue
        distance_m, overlaps = _circles_in_own_planes([circle], [first.dense()])
        exact = (float(distance_m[0]), bool(overlaps[0]))
        assert (float(many.distance_m[i]), bool(many.overlaps[i])) == exact
        back = separation(anchor(circle), [outline, outline])
        assert (float(back.distance_m[1]), bool(back.overlaps[1])) == exact


@st.composite
def star(draw: st.DrawFn, lon: float, lat: float) -> Outline:
    """A star-shaped lon/lat outline of 5-30 vertices and up to ~100 km around (lon, lat)."""
    count = draw(st.integers(5, 30))
    reach = draw(st.lists(st.floats(0.05, 0.9), min_size=count, max_size=count))
    turn = np.arange(count) * 2.0 * np.pi / count
    scale = 1.0 / math.cos(math.radians(lat))
    ring = [
        (((lon + r * scale * math.cos(t) + 180.0) % 360.0) - 180.0, lat + r * math.sin(t))
        for r, t in zip(reach, turn.tolist(), strict=True)
    ]
    shape = Polygon(ring)
    if shape.bounds[2] - shape.bounds[0] > 180.0 or not shape.is_valid:
        return Outline(box(lon - 0.1, lat - 0.1, lon + 0.1, lat + 0.1))
    return Outline(shape)


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from([(30.0, 30.0), (-100.0, -60.0), (20.0, 78.0), (179.7, 5.0)]),
    st.data(),
)
def test_outline_distances_measure_only_near_edges_yet_equal_all_edges(
    place: tuple[float, float], data: st.DataObject
) -> None:
    """Skipping far edges changes no distance: each equals the one over every densified edge."""
    lon, lat = place
    first = data.draw(star(lon, lat))
    offsets = data.draw(st.lists(st.floats(0.5, 2.5), min_size=1, max_size=6))
    scale = 1.0 / math.cos(math.radians(lat))
    others = [
        data.draw(star(((lon + dx * scale + 180.0) % 360.0) - 180.0, lat + dx / 3.0))
        for dx in offsets
    ]
    anchored = anchor(first)
    found = separation(anchored, others)
    for i, other in enumerate(others):
        if found.overlaps[i] or found.distance_m[i] == 0.0:
            continue
        rings = [r for part in dense_rings(other) for r in part]
        planar = [anchored.plane.project(unit_vectors(lo, la)) for lo, la in rings]
        line = shapely.get_coordinates(
            shapely.shortest_line(anchored.lines, shapely.MultiLineString(planar))
        )
        ends = [lonlat_of(anchored.plane.unproject(line[k : k + 1])) for k in (0, 1)]
        expected = GEOD.inv(ends[0][0][0], ends[0][1][0], ends[1][0][0], ends[1][1][0])[2]
        assert found.distance_m[i] == pytest.approx(expected, abs=1e-6)
