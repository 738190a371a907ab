"""The pair predicate: each rule of the definition, at the boundary and just inside it."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from strategic_strategies import PLACES, buffers, volumes

from deconflict.detection.strategic import Buffers, Conflict, pair_conflict
from deconflict.detection.strategic.pair import PreparedQuery, Summaries, may_conflict
from deconflict.errors import InvalidInput
from deconflict.geometry import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Footprint,
    Outline,
    TimeWindow,
    Volume,
)
from deconflict.geometry.geodesy import GEOD, SPHERE_TO_GEODESIC_MIN_M, angle_between

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SQUARE = Outline(box(30.0, 30.0, 31.0, 31.0))


def vol(
    footprint: Footprint = SQUARE,
    lower_m: float = 0.0,
    upper_m: float = 1000.0,
    start: datetime = T0,
    end: datetime = T0 + HOUR,
    reference: AltitudeReference = AltitudeReference.W84,
) -> Volume:
    return Volume(footprint, AltitudeBand(lower_m, upper_m, reference), TimeWindow(start, end))


def conflicts(a: Volume, b: Volume, buffers: Buffers | None = None) -> bool:
    return pair_conflict(a, b, buffers or Buffers()) is not None


# ---------------------------------------------------------------------------- time


def test_windows_that_only_meet_do_not_conflict() -> None:
    assert not conflicts(vol(), vol(start=T0 + HOUR, end=T0 + 2 * HOUR))


def test_windows_overlapping_by_a_microsecond_conflict() -> None:
    micro = timedelta(microseconds=1)
    assert conflicts(vol(), vol(start=T0 + HOUR - micro, end=T0 + 2 * HOUR))


def test_time_buffer_exactly_at_the_gap_does_not_conflict_just_inside_does() -> None:
    later = vol(start=T0 + HOUR + timedelta(seconds=600), end=T0 + 3 * HOUR)
    assert not conflicts(vol(), later, Buffers(time_s=600.0))
    found = pair_conflict(vol(), later, Buffers(time_s=600.001))
    assert found is not None
    # The explanation shows the gap the buffer bridged: overlap_end is before overlap_start.
    assert found.overlap_start == T0 + HOUR + timedelta(seconds=600)
    assert found.overlap_end == T0 + HOUR


# ---------------------------------------------------------------------------- altitude


def test_bands_that_meet_do_not_conflict_and_vertical_buffer_is_strict() -> None:
    above = vol(lower_m=1000.0, upper_m=2000.0)
    assert not conflicts(vol(), above)
    assert conflicts(vol(), above, Buffers(vertical_m=1e-9))
    higher = vol(lower_m=1300.0, upper_m=2000.0)
    assert not conflicts(vol(), higher, Buffers(vertical_m=300.0))
    assert conflicts(vol(), higher, Buffers(vertical_m=300.001))


def test_datum_margin_applies_only_across_references() -> None:
    buffers = Buffers(vertical_m=300.0, datum_margin_m=200.0)
    w84 = vol(lower_m=1400.0, upper_m=2000.0)
    std = vol(lower_m=1400.0, upper_m=2000.0, reference=AltitudeReference.STD)
    assert not conflicts(vol(), w84, buffers)
    assert conflicts(vol(), std, buffers)
    assert not conflicts(
        vol(), vol(lower_m=1500.0, upper_m=2000.0, reference=AltitudeReference.STD), buffers
    )


def test_altitude_overlap_and_gap_are_reported() -> None:
    found = pair_conflict(vol(), vol(lower_m=600.0, upper_m=3000.0), Buffers())
    assert found is not None
    assert found.altitude_overlap_m == (600.0, 1000.0)
    assert found.vertical_gap_m == 0.0
    gap = pair_conflict(vol(), vol(lower_m=1200.0, upper_m=3000.0), Buffers(vertical_m=300.0))
    assert gap is not None
    assert gap.altitude_overlap_m is None
    assert gap.vertical_gap_m == pytest.approx(200.0)


# ---------------------------------------------------------------------------- ground


def test_touching_footprints_do_not_conflict_without_a_buffer() -> None:
    neighbour = vol(Outline(box(31.0, 30.0, 32.0, 31.0)))
    assert not conflicts(vol(), neighbour)
    found = pair_conflict(vol(), neighbour, Buffers(horizontal_m=1e-6))
    assert found is not None
    assert found.min_distance_m == 0.0
    assert found.overlap is None


def test_circles_exactly_at_the_buffer_do_not_conflict_just_inside_do() -> None:
    _, _, centres_m = GEOD.inv(30.0, 30.0, 30.0, 30.5)
    a, b = vol(Circle(30.0, 30.0, 10_000.0)), vol(Circle(30.0, 30.5, 15_000.0))
    gap_m = centres_m - 25_000.0
    assert not conflicts(a, b, Buffers(horizontal_m=gap_m))
    found = pair_conflict(a, b, Buffers(horizontal_m=math.nextafter(gap_m, math.inf)))
    assert found is not None
    assert found.min_distance_m == gap_m
    assert not found.footprints_overlap


def test_polygon_edge_at_a_known_offset_from_a_circle() -> None:
    # Edge on the meridian 0 (latitudes -1..1), circle centre on the equator 0.5 deg east:
    # by symmetry the nearest point is on the equator, a geodesic: a * 0.5 deg - radius.
    square = vol(Outline(box(-1.0, -1.0, 0.0, 1.0)))
    circle = vol(Circle(0.5, 0.0, 5_000.0))
    expected_m = 6_378_137.0 * math.radians(0.5) - 5_000.0
    inside = pair_conflict(square, circle, Buffers(horizontal_m=expected_m + 0.05))
    assert inside is not None
    assert inside.min_distance_m == pytest.approx(expected_m, abs=0.01)
    assert not conflicts(square, circle, Buffers(horizontal_m=expected_m - 0.05))


def test_overlapping_footprints_explain_the_overlap() -> None:
    found = pair_conflict(vol(), vol(Outline(box(30.5, 30.5, 31.5, 31.5))), Buffers(), "n1", "n2")
    assert isinstance(found, Conflict)
    assert (found.first, found.second) == ("n1", "n2")
    assert found.footprints_overlap
    assert found.min_distance_m == 0.0
    assert found.overlap is not None
    assert found.overlap.symmetric_difference(box(30.5, 30.5, 31.0, 31.0)).area < 1e-12
    assert (found.overlap_start, found.overlap_end) == (T0, T0 + HOUR)


def test_far_apart_volumes_do_not_conflict_with_any_buffer_below_the_distance() -> None:
    here, there = vol(Circle(0.0, 0.0, 1000.0)), vol(Circle(179.0, 0.0, 1000.0))
    assert not conflicts(here, there, Buffers(horizontal_m=1_000_000.0))


# ---------------------------------------------------------------------------- buffers


@pytest.mark.parametrize(
    "kwargs",
    [
        {"horizontal_m": -1.0},
        {"vertical_m": math.nan},
        {"time_s": math.inf},
        {"datum_margin_m": "1"},
    ],
)
def test_buffers_refuse_negative_or_non_finite(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as info:
        Buffers(**kwargs)  # type: ignore[arg-type]
    assert [e.pointer for e in info.value.errors] == [f"/{next(iter(kwargs))}"]


# ---------------------------------------------------------------------------- properties


@settings(max_examples=150)
@given(volumes(), volumes(), buffers)
def test_conflict_is_symmetric_in_time_and_altitude(a: Volume, b: Volume, bufs: Buffers) -> None:
    ab, ba = pair_conflict(a, b, bufs), pair_conflict(b, a, bufs)
    if ab is not None and ba is not None:
        assert (ab.overlap_start, ab.overlap_end) == (ba.overlap_start, ba.overlap_end)
        assert ab.altitude_overlap_m == ba.altitude_overlap_m
        assert ab.footprints_overlap == ba.footprints_overlap
        assert ab.min_distance_m == pytest.approx(ba.min_distance_m, rel=1e-3, abs=1.0)
    elif ab is not None or ba is not None:
        found = ab or ba
        assert found is not None
        # Only a distance within rounding of the buffer may tip one way and not the other.
        assert not found.footprints_overlap
        assert found.min_distance_m == pytest.approx(bufs.horizontal_m, rel=1e-3, abs=1.0)


@settings(max_examples=100)
@given(volumes(), volumes(), buffers)
def test_shifting_both_in_time_changes_nothing(a: Volume, b: Volume, bufs: Buffers) -> None:
    delta = timedelta(days=3, seconds=17, microseconds=5)
    before, after = (
        pair_conflict(a, b, bufs),
        pair_conflict(a.shifted(delta), b.shifted(delta), bufs),
    )
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after.overlap_start - before.overlap_start == delta
        assert after.min_distance_m == before.min_distance_m


@settings(max_examples=100)
@given(volumes(), volumes())
def test_zero_buffers_mean_positive_overlap_in_all_three(a: Volume, b: Volume) -> None:
    found = pair_conflict(a, b, Buffers())
    time_overlap = max(a.window.start, b.window.start) < min(a.window.end, b.window.end)
    band_overlap = max(a.altitude.lower_m, b.altitude.lower_m) < min(
        a.altitude.upper_m, b.altitude.upper_m
    )
    if not (time_overlap and band_overlap):
        assert found is None
    elif found is not None:
        assert found.footprints_overlap
        assert found.overlap is not None


# ---------------------------------------------------------------------- cheap tests


def _may_conflict_by_hand(a: Volume, others: list[Volume], bufs: Buffers) -> list[int]:
    """The cheap tests written out plainly over the same summaries: time gap, vertical gap
    (with the datum margin across references) and cap gap, each strictly under its buffer."""
    q, s = Summaries.of([a]), Summaries.of(others)
    time_gap = np.maximum(s.start_us, q.start_us[0]) - np.minimum(s.end_us, q.end_us[0])
    vertical_gap = np.maximum(s.lower_m, q.lower_m[0]) - np.minimum(s.upper_m, q.upper_m[0])
    limit = np.where(
        s.reference == q.reference[0], bufs.vertical_m, bufs.vertical_m + bufs.datum_margin_m
    )
    cap_gap = angle_between(s.anchors, q.anchors[0]) - s.cap_rad - q.cap_rad[0]
    keep = (
        (time_gap < bufs.time_s * 1e6)
        & (vertical_gap < limit)
        & (cap_gap * SPHERE_TO_GEODESIC_MIN_M < bufs.horizontal_m)
    )
    return np.flatnonzero(keep).tolist()


@settings(max_examples=200)
@given(
    st.sampled_from(PLACES).flatmap(
        lambda place: st.tuples(volumes(place), st.lists(volumes(place), min_size=1, max_size=8))
    ),
    buffers,
)
def test_cheap_tests_keep_every_conflict_and_match_their_definition(
    pair: tuple[Volume, list[Volume]], bufs: Buffers
) -> None:
    a, others = pair
    query, rows = PreparedQuery.of(a), Summaries.of(others)
    kept = may_conflict(query, rows, bufs).tolist()
    assert kept == _may_conflict_by_hand(a, others, bufs)
    for i, b in enumerate(others):
        if pair_conflict(a, b, bufs) is not None:
            assert i in kept
    every_other = np.arange(0, len(others), 2, dtype=np.int64)
    assert may_conflict(query, rows, bufs, every_other).tolist() == [i for i in kept if i % 2 == 0]


def test_a_screening_summary_prunes_only_and_compares_no_shapes() -> None:
    square, circle = vol(), vol(Circle(30.5, 30.5, 5_000.0))
    box_summary, exact = PreparedQuery.screening(square), PreparedQuery.of(square)
    assert not box_summary.exact
    assert exact.exact
    assert (box_summary.start_us, box_summary.end_us) == (exact.start_us, exact.end_us)
    corner_rad = float(angle_between(box_summary.anchor_xyz, exact.anchor_xyz)) + exact.cap_rad
    assert box_summary.cap_rad < corner_rad
    with pytest.raises(ValueError, match="screening"):
        box_summary.anchored  # noqa: B018
    assert PreparedQuery.screening(circle).exact
    near = Summaries.of([vol(Circle(31.02, 30.5, 1_000.0)), vol(Circle(40.0, 30.5, 1_000.0))])
    bufs = Buffers(horizontal_m=5_000.0)
    assert may_conflict(box_summary, near, bufs).tolist() == [0]
