"""The broad phase on its own: it never drops an item that could be within reach, and it prunes."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.detection.strategic_grid import BASE_CAP_RAD, CellGrid
from deconflict.geometry.geodesy import angle_between, unit_vectors

lons = st.floats(-180.0, 180.0)
lats = st.floats(-90.0, 90.0)
caps = st.one_of(
    st.floats(0.0, 4 * BASE_CAP_RAD),
    st.floats(0.0, 0.5),
    st.just(math.pi),
)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(lons, lats, caps), min_size=1, max_size=60),
    lons,
    lats,
    st.one_of(st.floats(0.0, 0.05), st.floats(0.0, 2.0)),
)
def test_near_returns_every_item_within_reach(
    items: list[tuple[float, float, float]], lon: float, lat: float, reach_rad: float
) -> None:
    anchors = unit_vectors([i[0] for i in items], [i[1] for i in items])
    cap_rad = np.array([i[2] for i in items])
    grid = CellGrid.build(anchors, cap_rad)
    centre = unit_vectors(lon, lat)
    found = set(grid.item[grid.near(centre, reach_rad)].tolist())
    within = angle_between(anchors, centre) - cap_rad <= reach_rad
    assert set(np.flatnonzero(within).tolist()) <= found


def test_near_clusters_at_the_antimeridian_and_pole() -> None:
    anchors = unit_vectors([179.999, -179.999, 0.0, 90.0], [0.0, 0.0, 89.999, 89.999])
    grid = CellGrid.build(anchors, np.full(4, 1e-5))
    east = set(grid.item[grid.near(unit_vectors(-180.0, 0.0), 1e-4)].tolist())
    assert {0, 1} <= east
    assert set(grid.item[grid.near(unit_vectors(45.0, 90.0), 1e-4)].tolist()) >= {2, 3}


def test_near_prunes_a_spread_out_set() -> None:
    rng = np.random.default_rng(7)
    count = 20_000
    lon = rng.uniform(-180.0, 180.0, count)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    cap_rad = rng.uniform(0.0, 10 * BASE_CAP_RAD, count)
    grid = CellGrid.build(unit_vectors(lon, lat), cap_rad)
    returned = grid.near(unit_vectors(30.0, 30.0), 0.01).size
    # A cap of 0.01 rad plus the largest class radius covers far less than 1 % of the sphere.
    assert 0 < returned < count / 100
