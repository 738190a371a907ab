"""The broad phase on its own: it never drops an item that could be within reach, and it prunes."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.detection.strategic.grid import BASE_CAP_RAD, BUCKET_US, CellGrid
from deconflict.geometry.geodesy import angle_between, unit_vectors

HOUR_US = 3600 * 1_000_000
ALWAYS = (-(2**62), 2**62)
lons = st.floats(-180.0, 180.0)
lats = st.floats(-90.0, 90.0)
caps = st.one_of(
    st.floats(0.0, 4 * BASE_CAP_RAD),
    st.floats(0.0, 0.5),
    st.just(math.pi),
)


windows = st.tuples(
    st.integers(-30 * HOUR_US, 30 * HOUR_US),
    st.one_of(st.integers(0, 3 * HOUR_US), st.integers(0, 400 * HOUR_US), st.just(BUCKET_US)),
)


@settings(max_examples=200)
@given(
    st.lists(st.tuples(lons, lats, caps, windows), min_size=1, max_size=60),
    lons,
    lats,
    st.one_of(st.floats(0.0, 0.05), st.floats(0.0, 2.0)),
    windows,
)
def test_near_returns_every_item_within_reach_and_time(
    items: list[tuple[float, float, float, tuple[int, int]]],
    lon: float,
    lat: float,
    reach_rad: float,
    window: tuple[int, int],
) -> None:
    """Windows are [start, start + length); the query is [start, end], open at both ends."""
    anchors = unit_vectors([i[0] for i in items], [i[1] for i in items])
    cap_rad = np.array([i[2] for i in items])
    start = np.array([i[3][0] for i in items], dtype=np.int64)
    end = start + np.array([i[3][1] for i in items], dtype=np.int64)
    grid = CellGrid.build(anchors, cap_rad, start, end)
    centre = unit_vectors(lon, lat)
    q_start, q_end = window[0], window[0] + window[1]
    found = set(grid.item[grid.near(centre, reach_rad, q_start, q_end)].tolist())
    within = angle_between(anchors, centre) - cap_rad <= reach_rad
    meets = (start < q_end) & (end > q_start)
    assert set(np.flatnonzero(within & meets).tolist()) <= found


def test_near_skips_other_days_but_keeps_long_lived_items() -> None:
    anchors = unit_vectors([30.0, 30.0, 30.0], [30.0, 30.0, 30.0])
    day = 24 * HOUR_US
    start = np.array([0, 3 * day, -100 * day], dtype=np.int64)
    end = np.array([HOUR_US, 3 * day + HOUR_US, 100 * day], dtype=np.int64)
    grid = CellGrid.build(anchors, np.full(3, 1e-3), start, end)
    found = grid.item[grid.near(unit_vectors(30.0, 30.0), 1e-3, 0, 2 * HOUR_US)]
    assert sorted(found.tolist()) == [0, 2]


def test_near_clusters_at_the_antimeridian_and_pole() -> None:
    anchors = unit_vectors([179.999, -179.999, 0.0, 90.0], [0.0, 0.0, 89.999, 89.999])
    grid = CellGrid.build(anchors, np.full(4, 1e-5), np.zeros(4, np.int64), np.ones(4, np.int64))
    east = set(grid.item[grid.near(unit_vectors(-180.0, 0.0), 1e-4, *ALWAYS)].tolist())
    assert {0, 1} <= east
    assert set(grid.item[grid.near(unit_vectors(45.0, 90.0), 1e-4, *ALWAYS)].tolist()) >= {2, 3}


def test_near_prunes_a_spread_out_set() -> None:
    rng = np.random.default_rng(7)
    count = 20_000
    lon = rng.uniform(-180.0, 180.0, count)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, count)))
    cap_rad = rng.uniform(0.0, 10 * BASE_CAP_RAD, count)
    times = np.zeros(count, dtype=np.int64)
    grid = CellGrid.build(unit_vectors(lon, lat), cap_rad, times, times + HOUR_US)
    returned = grid.near(unit_vectors(30.0, 30.0), 0.01, *ALWAYS).size
    # A cap of 0.01 rad plus the largest class radius covers far less than 1 % of the sphere.
    assert 0 < returned < count / 100
