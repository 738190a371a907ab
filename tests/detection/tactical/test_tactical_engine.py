"""The tactical definition: the vectorised engine against the one-pair reference, properties
that pin the definition, and the edge cases the issue names."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from tactical_strategies import (
    DYADIC_DEG,
    DYADIC_M,
    EARTH_RADIUS_M,
    make_states,
    separations,
    traffic,
    wrap_lon,
)

from deconflict.detection.tactical import (
    States,
    TacticalConflict,
    detect,
    detect_reference,
    evaluate_pairs,
)
from deconflict.errors import InvalidInput

R, H, T = 9260.0, 304.8, 300.0


def metres_to_lon_deg(east_m: float, lat_deg: float = 0.0) -> float:
    return math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat_deg))))


def metres_to_lat_deg(north_m: float) -> float:
    return math.degrees(north_m / EARTH_RADIUS_M)


def flat_distance_m(states: States, a: int, b: int) -> float:
    """BlueSky's `kwikdist`, with the longitude difference taken the short way round."""
    dlat = math.radians(states.lat_deg[b] - states.lat_deg[a])
    dlon = math.radians((states.lon_deg[b] - states.lon_deg[a] + 540.0) % 360.0 - 180.0)
    mean = math.radians(states.lat_deg[a] + states.lat_deg[b]) / 2
    return EARTH_RADIUS_M * math.hypot(dlat, dlon * math.cos(mean))


def pairs(conflicts: list[TacticalConflict]) -> set[tuple[str, str]]:
    return {(c.id1, c.id2) for c in conflicts}


def only(conflicts: list[TacticalConflict]) -> TacticalConflict:
    assert len(conflicts) == 1, conflicts
    return conflicts[0]


# --- the engine against the reference ---------------------------------------------------


@given(traffic(), separations)
@settings(max_examples=200, deadline=None)
def test_engine_matches_the_one_pair_reference(
    states: States, separation: tuple[float, ...]
) -> None:
    rpz, hpz, lookahead = separation
    assert detect(states, rpz, hpz, lookahead) == detect_reference(states, rpz, hpz, lookahead)


@given(traffic(max_size=6))
@settings(max_examples=100, deadline=None)
def test_engine_matches_the_reference_with_default_separation(states: States) -> None:
    assert detect(states) == detect_reference(states)


@given(traffic(max_size=8))
@settings(max_examples=100, deadline=None)
def test_results_are_sorted_with_id1_before_id2(states: States) -> None:
    found = detect(states, 20_000.0, 600.0, 600.0)
    assert all(c.id1 < c.id2 for c in found)
    assert [(c.id1, c.id2) for c in found] == sorted(pairs(found))


# --- properties -------------------------------------------------------------------------


@given(traffic())
@settings(max_examples=100, deadline=None)
def test_symmetric_in_the_two_aircraft(states: States) -> None:
    reverse = list(range(len(states)))[::-1]
    assert detect(states.take(reverse), 15_000.0) == detect(states, 15_000.0)


@given(traffic(), st.integers(-360 * 2**16, 360 * 2**16), st.integers(-4000 * 2**8, 4000 * 2**8))
@settings(max_examples=100, deadline=None)
def test_invariant_under_longitude_and_altitude_translation(
    states: States, lon_steps: int, alt_steps: int
) -> None:
    moved = States.of(
        states.ids,
        states.lat_deg,
        [wrap_lon(lon + lon_steps * DYADIC_DEG) for lon in states.lon_deg],
        states.alt_m + alt_steps * DYADIC_M,
        states.gs_mps,
        states.trk_deg,
        states.vs_mps,
    )
    assert detect(moved, 15_000.0) == detect(states, 15_000.0)


@st.composite
def straight_movers(draw: st.DrawFn) -> tuple[States, str]:
    """Aircraft that all fly east-west on one parallel, or all north-south on one meridian.

    Only there does the flat-earth frame of a pair stay the same as they move, so that
    shifting everything in time is exact up to rounding.
    """
    n = draw(st.integers(2, 6))
    axis = draw(st.sampled_from(["parallel", "meridian"]))
    lat = draw(st.floats(-70.0, 70.0))
    lon = draw(st.floats(-179.0, 179.0))
    rows = []
    for k in range(n):
        offset = draw(st.floats(-0.5, 0.5))
        speed = draw(st.floats(0.0, 300.0))
        if axis == "parallel":
            position = (lat, lon + offset)
            track = draw(st.sampled_from([90.0, 270.0]))
        else:
            position = (lat + offset, lon)
            track = draw(st.sampled_from([0.0, 180.0]))
        rows.append(
            (
                f"M{k}",
                *position,
                draw(st.floats(3000.0, 4000.0)),
                speed,
                track,
                draw(st.floats(-15.0, 15.0)),
            )
        )
    return make_states(rows), axis


@given(straight_movers(), st.floats(-120.0, 120.0))
@settings(max_examples=100, deadline=None)
def test_shifting_everything_in_time_shifts_every_encounter(
    movers: tuple[States, str], shift_s: float
) -> None:
    states, axis = movers
    east = states.gs_mps * np.sin(np.radians(states.trk_deg))
    north = states.gs_mps * np.cos(np.radians(states.trk_deg))
    if axis == "parallel":
        lat = states.lat_deg
        lon = states.lon_deg + np.degrees(
            east * shift_s / (EARTH_RADIUS_M * np.cos(np.radians(lat)))
        )
    else:
        lat = states.lat_deg + np.degrees(north * shift_s / EARTH_RADIUS_M)
        lon = states.lon_deg
    later = States.of(
        states.ids,
        lat,
        lon,
        states.alt_m + states.vs_mps * shift_s,
        states.gs_mps,
        states.trk_deg,
        states.vs_mps,
    )
    first, second = np.triu_indices(len(states), 1)
    now = evaluate_pairs(states, first, second)
    then = evaluate_pairs(later, first, second)
    relative_speed = np.abs(east[second] - east[first]) + np.abs(north[second] - north[first])
    moving = relative_speed > 1.0
    assume(moving.any())
    tolerance = 1e-6 * (1.0 + np.abs(now.tcpa_s)) + 1e-4
    np.testing.assert_allclose(
        then.tcpa_s[moving],
        now.tcpa_s[moving] - shift_s,
        atol=0,
        rtol=0,
        err_msg="tcpa",
        equal_nan=False,
    ) if False else None
    assert np.all(np.abs(then.tcpa_s[moving] - (now.tcpa_s[moving] - shift_s)) <= tolerance[moving])
    assert np.allclose(then.dcpa_m[moving], now.dcpa_m[moving], rtol=1e-6, atol=1e-2)
    clear = moving & np.isfinite(now.tin_s) & np.isfinite(then.tin_s)
    assert np.allclose(then.tin_s[clear], now.tin_s[clear] - shift_s, rtol=1e-6, atol=1e-3)
    assert np.allclose(then.tout_s[clear], now.tout_s[clear] - shift_s, rtol=1e-6, atol=1e-3)


# --- edge cases -------------------------------------------------------------------------


@given(
    st.floats(100.0, 30_000.0),
    st.floats(0.0, 300.0),
    st.floats(0.0, 360.0),
    st.floats(-20.0, 20.0),
    st.floats(0.0, 1000.0),
)
@settings(max_examples=200, deadline=None)
def test_parallel_tracks_at_equal_speed_conflict_only_if_already_too_close(
    apart_m: float, speed: float, track: float, rate: float, dalt: float
) -> None:
    lon = metres_to_lon_deg(apart_m)
    states = make_states(
        [
            ("A", 0.0, 0.0, 3000.0, speed, track, rate),
            ("B", 0.0, lon, 3000.0 + dalt, speed, track, rate),
        ]
    )
    distance_m = EARTH_RADIUS_M * math.radians(lon)
    found = detect(states)
    if distance_m < R and dalt < H:
        conflict = only(found)
        assert conflict.los
        assert conflict.tcpa_s == 0.0
        assert conflict.dcpa_m == pytest.approx(distance_m, rel=1e-12)
        assert math.isfinite(conflict.tin_s)
        assert conflict.tin_s < 0.0 < conflict.tout_s
    else:
        assert found == []


@given(st.floats(1_000.0, 200_000.0), st.floats(50.0, 300.0), st.floats(50.0, 300.0))
@settings(max_examples=200, deadline=None)
def test_head_on_along_the_equator(apart_m: float, speed_a: float, speed_b: float) -> None:
    lon = metres_to_lon_deg(apart_m)
    distance_m = EARTH_RADIUS_M * math.radians(lon)
    closing = speed_a + speed_b
    states = make_states(
        [("A", 0.0, 0.0, 3000.0, speed_a, 90.0, 0.0), ("B", 0.0, lon, 3000.0, speed_b, 270.0, 0.0)]
    )
    tin, tout = (distance_m - R) / closing, (distance_m + R) / closing
    assume(abs(tin - T) > 1e-6)
    found = detect(states)
    if tin >= T:
        assert found == []
        return
    conflict = only(found)
    assert conflict.tcpa_s == pytest.approx(distance_m / closing, rel=1e-9)
    # d_cpa^2 = |d|^2 - t_cpa^2 |v|^2 cancels; its square root keeps sqrt(eps) of |d|
    assert conflict.dcpa_m == pytest.approx(0.0, abs=1e-7 * distance_m)
    assert conflict.tin_s == pytest.approx(tin, rel=1e-9, abs=1e-9)
    assert conflict.tout_s == pytest.approx(tout, rel=1e-9)
    assert conflict.los == (distance_m < R)


@given(st.floats(1_000.0, 200_000.0), st.floats(50.0, 300.0), st.floats(-80.0, 80.0))
@settings(max_examples=100, deadline=None)
def test_head_on_along_a_meridian_at_any_latitude(apart_m: float, speed: float, lat: float) -> None:
    north = metres_to_lat_deg(apart_m)
    distance_m = EARTH_RADIUS_M * math.radians((lat + north) - lat)
    states = make_states(
        [
            ("A", lat, 10.0, 3000.0, speed, 0.0, 0.0),
            ("B", lat + north, 10.0, 3000.0, speed, 180.0, 0.0),
        ]
    )
    tin = (distance_m - R) / (2 * speed)
    assume(abs(tin - T) > 1e-6)
    found = detect(states)
    assert pairs(found) == ({("A", "B")} if tin < T else set())
    if found:
        assert found[0].tcpa_s == pytest.approx(distance_m / (2 * speed), rel=1e-9)


@given(traffic(), st.floats(0.0, 300.0), st.floats(0.0, 360.0), st.floats(-20.0, 20.0))
@settings(max_examples=100, deadline=None)
def test_zero_relative_velocity_is_a_conflict_exactly_when_already_in_los(
    states: States, speed: float, track: float, rate: float
) -> None:
    n = len(states)
    same = States.of(
        states.ids,
        states.lat_deg,
        states.lon_deg,
        states.alt_m,
        [speed] * n,
        [track] * n,
        [rate] * n,
    )
    found = detect(same)
    first, second = np.triu_indices(n, 1)
    figures = evaluate_pairs(same, first, second)
    assert not np.isnan(figures.tcpa_s).any()
    assert not np.isnan(figures.dcpa_m).any()
    too_close = {
        (same.ids[a], same.ids[b])
        for a, b in zip(first.tolist(), second.tolist(), strict=True)
        if flat_distance_m(same, a, b) < R and abs(same.alt_m[b] - same.alt_m[a]) < H
    }
    assert pairs(found) == too_close
    assert all(c.los and math.isfinite(c.tin_s) and math.isfinite(c.tout_s) for c in found)


@given(
    st.floats(0.0, 0.99),
    st.floats(0.0, 360.0),
    st.floats(0.0, 0.99),
    st.floats(0.0, 400.0),
    st.floats(0.0, 360.0),
    st.floats(-50.0, 50.0),
    st.sampled_from([0.0, 45.0, -60.0]),
)
@settings(max_examples=200, deadline=None)
def test_already_in_loss_of_separation_whatever_the_velocities(
    horizontal: float,
    bearing: float,
    vertical: float,
    speed: float,
    track: float,
    rate: float,
    lat: float,
) -> None:
    east_m = horizontal * R * math.sin(math.radians(bearing))
    north_m = horizontal * R * math.cos(math.radians(bearing))
    states = make_states(
        [
            ("A", lat, 5.0, 3000.0, 0.0, 0.0, 0.0),
            (
                "B",
                lat + metres_to_lat_deg(north_m),
                5.0 + metres_to_lon_deg(east_m, lat),
                3000.0 + vertical * H,
                speed,
                track,
                rate,
            ),
        ]
    )
    conflict = only(detect(states))
    assert conflict.los
    assert conflict.tin_s <= 0.0 <= conflict.tout_s


@pytest.mark.parametrize(
    ("rate_b", "expected"),
    [
        pytest.param(0.0, None, id="level: exactly H apart is not a conflict"),
        pytest.param(-5.0, 0.0, id="converging: conflict starting now"),
        pytest.param(5.0, None, id="diverging: the vertical overlap ended now"),
    ],
)
def test_altitude_exactly_h_apart(rate_b: float, expected: float | None) -> None:
    states = make_states(
        [("A", 0.0, 0.0, 0.0, 200.0, 90.0, 0.0), ("B", 0.0, 0.0, H, 200.0, 90.0, rate_b)]
    )
    assert states.alt_m[1] - states.alt_m[0] == H
    found = detect(states)
    if expected is None:
        assert found == []
    else:
        conflict = only(found)
        assert not conflict.los
        assert conflict.tin_s == expected
        assert conflict.tout_s == pytest.approx(2 * H / abs(rate_b))


@pytest.mark.parametrize(("dalt", "conflict"), [(H * (1 - 1e-12), True), (H * (1 + 1e-12), False)])
def test_altitude_just_inside_and_just_outside_h(dalt: float, conflict: bool) -> None:
    states = make_states(
        [("A", 0.0, 0.0, 0.0, 200.0, 90.0, 0.0), ("B", 0.0, 0.0, dalt, 200.0, 90.0, 0.0)]
    )
    assert bool(detect(states)) == conflict


@pytest.mark.parametrize("lat", [0.0, 52.0, -71.0])
def test_pairs_straddling_the_antimeridian_match_the_same_pair_at_greenwich(lat: float) -> None:
    half = metres_to_lon_deg(2_000.0, lat)

    def pair(lon_west: float, lon_east: float) -> States:
        return make_states(
            [
                ("W", lat, lon_west, 3000.0, 220.0, 80.0, 0.0),
                ("E", lat, lon_east, 3050.0, 180.0, 260.0, 2.0),
            ]
        )

    straddling = only(detect(pair(180.0 - half, -180.0 + half)))
    greenwich = only(detect(pair(-half, half)))
    assert straddling.los
    assert greenwich.los
    for name in ("tcpa_s", "dcpa_m", "tin_s", "tout_s"):
        assert getattr(straddling, name) == pytest.approx(
            getattr(greenwich, name), rel=1e-9, abs=1e-6
        )


def test_antimeridian_head_on_is_found_at_its_true_distance() -> None:
    half = metres_to_lon_deg(20_000.0)
    states = make_states(
        [
            ("A", 0.0, 180.0 - half, 3000.0, 200.0, 90.0, 0.0),
            ("B", 0.0, -180.0 + half, 3000.0, 200.0, 270.0, 0.0),
        ]
    )
    conflict = only(detect(states))
    assert conflict.tcpa_s == pytest.approx(40_000.0 / 400.0, rel=1e-6)


# --- inputs -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("separation", "pointer"),
    [
        ((0.0, H, T), "/rpz_m"),
        ((R, -1.0, T), "/hpz_m"),
        ((R, H, -1.0), "/lookahead_s"),
        ((math.nan, H, T), "/rpz_m"),
        ((R, H, math.inf), "/lookahead_s"),
    ],
)
def test_separation_parameters_are_checked(
    separation: tuple[float, float, float], pointer: str
) -> None:
    states = make_states([("A", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)])
    with pytest.raises(InvalidInput) as raised:
        detect(states, *separation)
    assert [e.pointer for e in raised.value.errors] == [pointer]


def test_zero_lookahead_finds_only_loss_of_separation() -> None:
    states = make_states(
        [
            ("A", 0.0, 0.0, 3000.0, 200.0, 90.0, 0.0),
            ("B", 0.0, metres_to_lon_deg(5_000.0), 3000.0, 200.0, 270.0, 0.0),
            ("C", 0.0, metres_to_lon_deg(30_000.0), 3000.0, 200.0, 270.0, 0.0),
        ]
    )
    assert pairs(detect(states, R, H, 0.0)) == {("A", "B")}


def test_no_aircraft_and_one_aircraft_have_no_conflicts() -> None:
    assert detect(States.empty()) == []
    assert detect(make_states([("A", 0.0, 0.0, 0.0, 100.0, 0.0, 0.0)])) == []


def test_many_pairs_are_evaluated_in_blocks_with_the_same_answers() -> None:
    states = make_states(
        [
            ("A", 0.0, 0.0, 3000.0, 200.0, 90.0, 0.0),
            ("B", 0.0, metres_to_lon_deg(30_000.0), 3000.0, 200.0, 270.0, 0.0),
            ("C", 0.0, metres_to_lon_deg(5_000.0), 3100.0, 100.0, 0.0, -1.0),
        ]
    )
    first, second = np.array([0, 0, 1]), np.array([1, 2, 2])
    once = evaluate_pairs(states, first, second)
    repeats = 250_000
    many = evaluate_pairs(states, np.tile(first, repeats), np.tile(second, repeats))
    assert len(many) == 3 * repeats
    for name in ("tcpa_s", "dcpa_m", "tin_s", "tout_s", "los", "conflict"):
        assert np.array_equal(
            getattr(many, name), np.tile(getattr(once, name), repeats), equal_nan=True
        )
