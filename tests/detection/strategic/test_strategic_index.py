"""The index answers exactly what the brute-force reference (the pair predicate on every pair)
answers, through insertions and removals; and its pruning stage drops nothing and does prune."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from strategic_strategies import PLACES, T0, buffers, footprints, volume_sets, volumes

from deconflict.detection.strategic import (
    Buffers,
    Conflict,
    StrategicIndex,
    conflicts_among,
    pair_conflict,
)
from deconflict.geometry import AltitudeBand, Circle, Footprint, Outline, TimeWindow, Volume
from deconflict.geometry.separation import anchor, separation


def reference_with(
    query: Volume, indexed: dict[str, Volume], bufs: Buffers, key: str
) -> list[Conflict]:
    found = [pair_conflict(query, v, bufs, key, k) for k, v in sorted(indexed.items())]
    return [c for c in found if c is not None]


def reference_among(volumes: dict[str, Volume], bufs: Buffers) -> list[Conflict]:
    keys = sorted(volumes)
    found = [
        pair_conflict(volumes[a], volumes[b], bufs, a, b)
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
    ]
    return [c for c in found if c is not None]


def reference_active(volumes: dict[str, Volume], area: Footprint, window: TimeWindow) -> list[str]:
    hits = []
    for key, v in sorted(volumes.items()):
        meets = separation(anchor(area), [v.footprint]).distance_m[0] == 0.0
        if max(v.window.start, window.start) < min(v.window.end, window.end) and meets:
            hits.append(key)
    return hits


@settings(max_examples=60, deadline=None)
@given(volume_sets(), volumes(), buffers)
def test_conflicts_with_matches_reference(
    indexed: dict[str, Volume], query: Volume, bufs: Buffers
) -> None:
    index = StrategicIndex.build(indexed.items())
    assert index.conflicts_with(query, bufs, key="q") == reference_with(query, indexed, bufs, "q")


@settings(max_examples=60, deadline=None)
@given(volume_sets(), buffers)
def test_conflicts_among_matches_reference(vols: dict[str, Volume], bufs: Buffers) -> None:
    assert conflicts_among(vols, bufs) == reference_among(vols, bufs)


@settings(max_examples=20, deadline=None)
@given(volume_sets(), buffers)
def test_conflicts_among_reports_each_volume_checked(
    vols: dict[str, Volume], bufs: Buffers
) -> None:
    calls: list[tuple[int, int]] = []
    found = conflicts_among(vols, bufs, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(done, len(vols)) for done in range(len(vols) + 1)]
    assert found == conflicts_among(vols, bufs)


@settings(max_examples=40, deadline=None)
@given(
    volume_sets(), st.sampled_from(PLACES).flatmap(footprints), st.integers(0, 8), st.integers(1, 6)
)
def test_active_matches_reference(
    vols: dict[str, Volume], area: Footprint, start: int, length: int
) -> None:
    window = TimeWindow(
        T0 + timedelta(minutes=30 * start), T0 + timedelta(minutes=30 * (start + length))
    )
    index = StrategicIndex.build(vols.items())
    assert index.active(area, window) == reference_active(vols, area, window)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 11), volumes(PLACES[0])), max_size=30),
    volumes(PLACES[0]),
    buffers,
    st.sampled_from([1, 2, 3, 512]),
)
def test_insert_remove_sequences_match_reference(
    steps: list[tuple[bool, int, Volume]], query: Volume, bufs: Buffers, pending_limit: int
) -> None:
    index = StrategicIndex(pending_limit=pending_limit)
    live: dict[str, Volume] = {}
    for insert, k, volume in steps:
        key = f"k{k}"
        if insert and key not in live:
            index.insert(key, volume)
            live[key] = volume
        elif not insert and key in live:
            index.remove(key)
            del live[key]
        assert len(index) == len(live)
        assert all(k in index for k in live)
        sizes = index.level_sizes
        assert all(2 * later < earlier for earlier, later in itertools.pairwise(sizes[:-1]))
    assert index.conflicts_with(query, bufs, key="q") == reference_with(query, live, bufs, "q")


def test_duplicate_and_unknown_keys_are_errors() -> None:
    volume = Volume(
        Circle(0.0, 0.0, 10.0), AltitudeBand(0.0, 10.0), TimeWindow(T0, T0 + timedelta(hours=1))
    )
    index = StrategicIndex()
    index.insert("a", volume)
    with pytest.raises(KeyError):
        index.insert("a", volume)
    with pytest.raises(KeyError):
        index.remove("b")
    with pytest.raises(KeyError):
        StrategicIndex.build([("a", volume), ("a", volume)])
    index.remove("a")
    assert "a" not in index
    assert len(index) == 0
    index.insert("a", volume)
    assert "a" in index


def test_long_lived_areas_are_found_among_short_notices() -> None:
    years = TimeWindow(T0.replace(year=2000), T0.replace(year=2100))
    area = Volume(Outline(box(30.0, 30.0, 30.5, 30.5)), AltitudeBand(0.0, 5000.0), years)
    short = [
        (
            f"n{i}",
            Volume(
                Circle(30.0 + i * 0.01, 30.2, 1000.0),
                AltitudeBand(0.0, 100.0),
                TimeWindow(T0 + timedelta(hours=i), T0 + timedelta(hours=i + 1)),
            ),
        )
        for i in range(200)
    ]
    index = StrategicIndex.build([("area", area), *short])
    query = short[10][1]
    found = index.conflicts_with(query, Buffers(), key="q")
    assert [c.second for c in found] == ["area", "n10"]
