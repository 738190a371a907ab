"""The broad phase on its own: it never drops a pair the reference finds, and it does prune."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tactical_strategies import EARTH_RADIUS_M, make_states, separations, traffic

from deconflict.detection.tactical import States, candidate_pairs, detect_reference
from deconflict.detection.tactical.prune import swept_boxes

R, H, T = 9260.0, 304.8, 300.0


def candidates(
    states: States, rpz: float = R, hpz: float = H, lookahead: float = T
) -> set[tuple[str, str]]:
    first, second = candidate_pairs(states, rpz, lookahead, hpz_m=hpz)
    return {
        tuple(sorted((states.ids[a], states.ids[b])))
        for a, b in zip(first.tolist(), second.tolist(), strict=True)
    }


def found(
    states: States, rpz: float = R, hpz: float = H, lookahead: float = T
) -> set[tuple[str, str]]:
    return {(c.id1, c.id2) for c in detect_reference(states, rpz, hpz, lookahead)}


def east_deg(metres: float, lat_deg: float) -> float:
    return math.degrees(metres / (EARTH_RADIUS_M * math.cos(math.radians(lat_deg))))


def north_deg(metres: float) -> float:
    return math.degrees(metres / EARTH_RADIUS_M)


# --- never drops a true conflict --------------------------------------------------------


@given(traffic(max_size=14), separations)
@settings(max_examples=200, deadline=None)
def test_prune_keeps_every_pair_the_reference_finds(
    states: States, separation: tuple[float, ...]
) -> None:
    rpz, hpz, lookahead = separation
    assert found(states, rpz, hpz, lookahead) <= candidates(states, rpz, hpz, lookahead)


@given(traffic(min_size=2, max_size=14, spread_deg=3.0), separations)
@settings(max_examples=100, deadline=None)
def test_prune_keeps_every_conflict_in_sparse_wide_traffic(
    states: States, separation: tuple[float, ...]
) -> None:
    rpz, hpz, lookahead = separation
    assert found(states, rpz, hpz, lookahead) <= candidates(states, rpz, hpz, lookahead)


@given(traffic(max_size=14))
@settings(max_examples=100, deadline=None)
def test_pairs_are_ordered_distinct_and_in_range(states: States) -> None:
    first, second = candidate_pairs(states, 20_000.0, 600.0, hpz_m=600.0)
    assert np.all(first < second)
    assert np.all((first >= 0) & (second < len(states)))
    assert len(set(zip(first.tolist(), second.tolist(), strict=True))) == len(first)


# --- pairs placed exactly at the bound ----------------------------------------------------
# Each geometry is built so that the conflict holds by a relative 1e-9 (kept) or misses the
# swept boxes by 1e-3 (pruned). `lat` and `lon` put the pair on the equator, at high latitude
# and across the antimeridian.

PLACES = [
    pytest.param(0.0, 0.0, id="equator"),
    pytest.param(47.0, 8.0, id="mid-latitude"),
    pytest.param(-78.0, -60.0, id="high-latitude"),
    pytest.param(61.0, 180.0, id="antimeridian"),
]


def head_on_east_west(lat: float, lon: float, gap_m: float, speed: float = 200.0) -> States:
    """Two aircraft on one parallel flying at each other, `gap_m` apart, centred on `lon`."""
    half = east_deg(gap_m / 2, lat)
    return make_states(
        [
            ("A", lat, lon - half, 3000.0, speed, 90.0, 0.0),
            ("B", lat, (lon + half + 180.0) % 360.0 - 180.0, 3000.0, speed, 270.0, 0.0),
        ]
    )


def head_on_north_south(lat: float, lon: float, gap_m: float, speed: float = 200.0) -> States:
    half = north_deg(gap_m / 2)
    return make_states(
        [
            ("A", lat - half, lon, 3000.0, speed, 0.0, 0.0),
            ("B", lat + half, lon, 3000.0, speed, 180.0, 0.0),
        ]
    )


def climbing_into(lat: float, lon: float, gap_m: float, rate: float = 10.0) -> States:
    """Co-located horizontally, B `gap_m` below A and closing at `rate`."""
    return make_states(
        [
            ("A", lat, lon, 9000.0, 230.0, 45.0, 0.0),
            ("B", lat, lon, 9000.0 - gap_m, 230.0, 45.0, rate),
        ]
    )


def passing_abeam(lat: float, lon: float, offset_m: float) -> States:
    """Opposite tracks on two meridians `offset_m` apart, meeting abeam within the look-ahead."""
    half = east_deg(offset_m / 2, lat)
    return make_states(
        [
            ("A", lat - north_deg(10_000.0), lon - half, 3000.0, 200.0, 0.0, 0.0),
            (
                "B",
                lat + north_deg(10_000.0),
                (lon + half + 180.0) % 360.0 - 180.0,
                3000.0,
                200.0,
                180.0,
                0.0,
            ),
        ]
    )


Geometry = Callable[[float, float, float], States]

BOUNDS = [
    pytest.param(head_on_east_west, R + 400.0 * T, id="head-on east-west, tin = T"),
    pytest.param(head_on_north_south, R + 400.0 * T, id="head-on north-south, tin = T"),
    pytest.param(climbing_into, H + 10.0 * T, id="vertical closure, tin = T"),
    pytest.param(passing_abeam, R, id="passing abeam, dcpa = R"),
]


@pytest.mark.parametrize(("lat", "lon"), PLACES)
@pytest.mark.parametrize(("geometry", "bound"), BOUNDS)
def test_a_pair_just_inside_the_bound_is_a_conflict_and_a_candidate(
    geometry: Geometry, bound: float, lat: float, lon: float
) -> None:
    states = geometry(lat, lon, bound * (1 - 1e-9))
    assert found(states) == {("A", "B")}
    assert candidates(states) == {("A", "B")}


@pytest.mark.parametrize(("lat", "lon"), PLACES)
@pytest.mark.parametrize(("geometry", "bound"), BOUNDS)
def test_a_pair_beyond_the_bound_is_pruned(
    geometry: Geometry, bound: float, lat: float, lon: float
) -> None:
    """5% beyond: the boxes are exact north-south and vertically, but a longitude arc is sized
    for the steepest mean latitude any partner could have, a few per mille wider at 78 degrees
    for fast traffic."""
    states = geometry(lat, lon, bound * 1.05)
    assert found(states) == set()
    assert candidates(states) == set()


def test_boxes_are_whole_circles_near_the_pole() -> None:
    states = make_states(
        [("A", 89.99, 0.0, 3000.0, 200.0, 0.0, 0.0), ("B", 89.99, 180.0, 3000.0, 200.0, 180.0, 0.0)]
    )
    boxes = swept_boxes(states)
    assert np.all(boxes.half_rad == math.pi)
    assert found(states) <= candidates(states)


# --- and it does prune --------------------------------------------------------------------


def test_prune_leaves_a_small_fraction_of_pairs_in_dense_random_traffic() -> None:
    rng = np.random.default_rng(7)
    n = 600
    lat = 48.0 + rng.uniform(-2.2, 2.2, n)
    lon = 2.0 + rng.uniform(-3.3, 3.3, n)
    states = States.of(
        [f"X{k}" for k in range(n)],
        lat,
        lon,
        rng.uniform(3048.0, 12192.0, n),
        rng.uniform(100.0, 260.0, n),
        rng.uniform(0.0, 360.0, n),
        rng.uniform(-10.0, 10.0, n),
    )
    kept = candidates(states)
    assert found(states) <= kept
    assert len(kept) < 0.05 * n * (n - 1) / 2


def test_far_apart_aircraft_are_never_candidates() -> None:
    rows = [
        (f"F{k}", -60.0 + 12.0 * k, -170.0 + 35.0 * k, 3000.0, 250.0, 90.0 * k, 0.0)
        for k in range(10)
    ]
    assert candidates(make_states(rows)) == set()


@given(st.integers(0, 1))
@settings(max_examples=2, deadline=None)
def test_fewer_than_two_aircraft_have_no_pairs(n: int) -> None:
    states = make_states([("A", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)][:n])
    first, second = candidate_pairs(states)
    assert len(first) == len(second) == 0


@given(
    st.lists(
        st.tuples(
            st.floats(87.0, 89.9),
            st.floats(-180.0, 180.0),
            st.floats(0.0, 250.0),
            st.floats(0.0, 360.0),
        ),
        min_size=2,
        max_size=25,
    ),
    st.sampled_from([20_000.0, 60_000.0]),
)
@settings(max_examples=100, deadline=None)
def test_polar_traffic_with_arcs_sharing_two_runs_of_columns_is_kept_once(
    aircraft: list[tuple[float, float, float, float]], rpz: float
) -> None:
    """Near the pole, longitude arcs are wide enough to overlap in two separate runs of grid
    columns, once at each box's start; the pair must still come out exactly once."""
    states = make_states(
        [
            (f"P{k}", lat, lon, 3000.0, gs, trk, 0.0)
            for k, (lat, lon, gs, trk) in enumerate(aircraft)
        ]
    )
    first, second = candidate_pairs(states, rpz, T)
    assert len(set(zip(first.tolist(), second.tolist(), strict=True))) == len(first)
    assert found(states, rpz) <= candidates(states, rpz)
