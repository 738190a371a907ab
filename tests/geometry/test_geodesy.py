"""Geodesy helpers against independent expectations: piece lengths, plane, sphere bounds."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.geometry.geodesy import (
    GEOD,
    MAX_PIECE_M,
    PLANE_RADIUS_M,
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    LocalPlane,
    angle_between,
    circle_ring,
    densify_geodesic,
    densify_lonlat,
    densify_lonlat_edges,
    densify_lonlat_rings,
    lonlat_of,
    unit_vectors,
)

lons = st.floats(-180.0, 180.0)
lats = st.floats(-89.0, 89.0)


def test_sphere_bounds_are_the_wgs84_radii_of_curvature() -> None:
    a, f = 6_378_137.0, 1 / 298.257223563
    b = a * (1 - f)
    assert math.isclose(SPHERE_TO_GEODESIC_MIN_M, b * b / a, rel_tol=1e-12)
    assert math.isclose(SPHERE_TO_GEODESIC_MAX_M, a * a / b, rel_tol=1e-12)


@given(lons, lats, lons, lats)
def test_geodesic_distance_lies_between_sphere_bounds(
    lon1: float, lat1: float, lon2: float, lat2: float
) -> None:
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    angle = float(angle_between(unit_vectors(lon1, lat1), unit_vectors(lon2, lat2)))
    assert SPHERE_TO_GEODESIC_MIN_M * angle <= dist * (1 + 1e-12) + 1e-6
    assert dist <= SPHERE_TO_GEODESIC_MAX_M * angle * (1 + 1e-12) + 1e-6


def piece_lengths(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    _, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    return np.asarray(dist)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(-10, 10), st.floats(-85, 85)), min_size=3, max_size=6))
def test_densified_rings_keep_vertices_and_cut_pieces_to_1_km(
    points: list[tuple[float, float]],
) -> None:
    lon = np.array([p[0] for p in [*points, points[0]]])
    lat = np.array([p[1] for p in [*points, points[0]]])
    for densify in (densify_lonlat, densify_geodesic):
        dlon, dlat = densify(lon, lat)
        assert piece_lengths(dlon, dlat).max() <= MAX_PIECE_M * (1 + 1e-9)
        kept = {(x, y) for x, y in zip(dlon, dlat, strict=True)}
        assert all((x, y) in kept for x, y in zip(lon, lat, strict=True))


def test_lonlat_densification_follows_the_parallel() -> None:
    lon, lat = densify_lonlat(np.array([0.0, 10.0, 10.0, 0.0]), np.array([60.0, 60.0, 61.0, 60.0]))
    first_edge = slice(0, int(np.argmax(lon == 10.0)) + 1)
    assert np.all(lat[first_edge] == 60.0)
    assert lon[first_edge].size > 554 / 1.0


def test_geodesic_densification_follows_the_geodesic() -> None:
    ring_lon, ring_lat = np.array([0.0, 10.0, 10.0, 0.0]), np.array([60.0, 60.0, 61.0, 60.0])
    lon, lat = densify_geodesic(ring_lon, ring_lat)
    _, _, whole = GEOD.inv(0.0, 60.0, 10.0, 60.0)
    first_edge = slice(0, int(np.argmax(lon == 10.0)) + 1)
    assert math.isclose(piece_lengths(lon[first_edge], lat[first_edge]).sum(), whole, rel_tol=1e-9)
    # Vertex of the great circle through both ends on a sphere: tan(lat) = tan(60) / cos(5).
    vertex_lat = math.degrees(math.atan(math.tan(math.radians(60)) / math.cos(math.radians(5))))
    assert abs(lat[first_edge].max() - vertex_lat) < 0.005


@given(lons, lats, st.floats(10.0, 500_000.0))
def test_circle_ring_points_lie_at_the_radius(lon: float, lat: float, radius_m: float) -> None:
    rlon, rlat = circle_ring(lon, lat, radius_m)
    _, _, dist = GEOD.inv(np.full(rlon.size, lon), np.full(rlon.size, lat), rlon, rlat)
    assert np.allclose(dist, radius_m, rtol=1e-9)
    assert piece_lengths(rlon, rlat).max() <= MAX_PIECE_M * 1.01 + 1e-6


@given(lons, lats, st.lists(st.tuples(lons, lats), min_size=1, max_size=5))
def test_local_plane_is_equidistant_from_its_centre_and_invertible(
    lon: float, lat: float, points: list[tuple[float, float]]
) -> None:
    plane = LocalPlane.at(unit_vectors(lon, lat))
    xyz = unit_vectors([p[0] for p in points], [p[1] for p in points])
    angles = angle_between(xyz, plane.centre)
    if angles.max() > math.pi - 1e-3:
        return
    xy = plane.project(xyz)
    assert np.allclose(np.hypot(xy[:, 0], xy[:, 1]), PLANE_RADIUS_M * angles, atol=1e-6)
    assert np.allclose(plane.unproject(xy), xyz, atol=1e-9)


def test_local_plane_is_continuous_across_the_antimeridian() -> None:
    plane = LocalPlane.at(unit_vectors(180.0, 0.0))
    xy = plane.project(unit_vectors([179.99, -179.99], [0.0, 0.0]))
    expected = PLANE_RADIUS_M * math.radians(0.02)
    assert math.isclose(float(xy[1, 0] - xy[0, 0]), expected, rel_tol=1e-9)
    lon, _ = lonlat_of(plane.unproject(xy))
    assert np.allclose(lon, [179.99, -179.99])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(st.floats(-179.0, 179.0), st.floats(-85.0, 85.0)), min_size=3, max_size=9
        ),
        min_size=1,
        max_size=5,
    )
)
def test_many_rings_densify_as_each_alone(rings: list[list[tuple[float, float]]]) -> None:
    closed = [np.array([*ring, ring[0]], dtype=np.float64) for ring in rings]
    lon, lat, sizes = densify_lonlat_rings(
        np.concatenate([r[:, 0] for r in closed]),
        np.concatenate([r[:, 1] for r in closed]),
        np.array([len(r) for r in closed], dtype=np.int64),
    )
    ends = np.cumsum(sizes)
    for ring, end, size in zip(closed, ends.tolist(), sizes.tolist(), strict=True):
        alone_lon, alone_lat = densify_lonlat(ring[:, 0], ring[:, 1])
        assert np.array_equal(lon[end - size : end], alone_lon)
        assert np.array_equal(lat[end - size : end], alone_lat)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.floats(-179.0, 179.0), st.floats(-85.0, 85.0)), min_size=3, max_size=12)
)
def test_edges_densify_as_in_their_ring(ring: list[tuple[float, float]]) -> None:
    """Each edge cut alone gets the very points its ring gets, both ends included."""
    closed = np.array([*ring, ring[0]], dtype=np.float64)
    lon, lat = closed[:, 0], closed[:, 1]
    ring_lon, ring_lat = densify_lonlat(lon, lat)
    edge_lon, edge_lat, sizes = densify_lonlat_edges(lon[:-1], lat[:-1], lon[1:], lat[1:])
    first = 0
    for k, size in enumerate(sizes.tolist()):
        begin = int(np.sum(sizes[:k] - 1))
        assert np.array_equal(edge_lon[first : first + size], ring_lon[begin : begin + size])
        assert np.array_equal(edge_lat[first : first + size], ring_lat[begin : begin + size])
        first += size
    assert first == edge_lon.size
    assert int(np.sum(sizes - 1)) + 1 == ring_lon.size
