"""Intrusion: tracks in an area or entering it within the look-ahead, table-driven, and checked
against a one-pair-at-a-time reference built on shapely's line-polygon intersection."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from deconflict.alerting import (
    ENTERING,
    INSIDE,
    Area,
    AreaIndex,
    AreaKind,
    TrackArea,
    intrusion_conditions,
)
from deconflict.geometry import (
    AltitudeBand,
    Circle,
    Edges,
    Footprint,
    Outline,
    TimeWindow,
    Volume,
)
from deconflict.geometry.geodesy import circle_ring
from deconflict.tracks import TrackKey, TrackState

R_M = 6_371_000.0
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
NOW_S = START.timestamp() + 3600.0
T_S = 120.0
BOX = Outline(box(2.0, 47.9, 2.5, 48.1))
STRIP = Outline(box(2.0, 47.9, 2.02, 48.1))


def volume(
    footprint: Footprint,
    lower_m: float = 0.0,
    upper_m: float = 3000.0,
    opens_s: float = -3600.0,
    closes_s: float = 86_400.0,
) -> Volume:
    """A volume whose window opens and closes at these offsets from NOW_S."""
    now = datetime.fromtimestamp(NOW_S, UTC)
    window = TimeWindow(now + timedelta(seconds=opens_s), now + timedelta(seconds=closes_s))
    return Volume(footprint, AltitudeBand(lower_m, upper_m), window)


def area(
    footprint: Footprint = BOX,
    kind: AreaKind = AreaKind.PROTECTED,
    owner: str | None = "alpha",
    **band: float,
) -> Area:
    return Area("a1", volume(footprint, **band), kind, owner)


def track(
    lat: float = 48.0,
    lon: float = 2.05,
    alt_m: float = 1000.0,
    gs_mps: float = 200.0,
    trk_deg: float = 90.0,
    vs_mps: float = 0.0,
    party: str | None = "bravo",
) -> TrackState:
    return TrackState(
        TrackKey(party, "t1"), NOW_S, lat, lon, alt_m, gs_mps, trk_deg, vs_mps, "push"
    )


def east_s(from_lon: float, to_lon: float, lat: float = 48.0, gs_mps: float = 200.0) -> float:
    """Flying due east in the model: longitude grows by gs / (R cos lat) radians a second."""
    return math.radians(to_lon - from_lon) * R_M * math.cos(math.radians(lat)) / gs_mps


RING = Polygon(
    [(2.0, 47.9), (2.2, 47.9), (2.2, 48.1), (2.0, 48.1)],
    [[(2.05, 47.95), (2.15, 47.95), (2.15, 48.05), (2.05, 48.05)]],
)
TWO_PARTS = MultiPolygon([box(2.0, 47.9, 2.02, 48.1), box(2.1, 47.9, 2.12, 48.1)])
ACROSS = Outline(MultiPolygon([box(179.9, -0.1, 180.0, 0.1), box(-180.0, -0.1, -179.9, 0.1)]))
EAST_OF_IT = Outline(box(-180.0, -0.1, -179.9, 0.1))


@dataclass(frozen=True)
class Case:
    desc: str
    area: Area
    track: TrackState
    want: tuple[str, float] | None


CASES = [
    Case("inside now", area(), track(), (INSIDE, 0.0)),
    Case("flying towards it", area(), track(lon=1.95), (ENTERING, east_s(1.95, 2.0))),
    Case("flying away", area(), track(lon=1.95, trk_deg=270.0), None),
    Case("beyond the look-ahead", area(), track(lon=1.5), None),
    Case("just within the look-ahead", area(), track(lon=1.7), (ENTERING, east_s(1.7, 2.0))),
    Case("over it, above the band, level", area(), track(alt_m=3300.0), None),
    Case(
        "over it, above the band, descending into it",
        area(),
        track(alt_m=3300.0, vs_mps=-10.0),
        (ENTERING, 30.0),
    ),
    Case(
        "crossing above the band, reaching it only after leaving",
        area(STRIP),
        track(lon=1.99, alt_m=3500.0, gs_mps=300.0, vs_mps=-5.0),
        None,
    ),
    Case(
        "entering above the band, descending into it while over it",
        area(),
        track(lon=1.95, alt_m=3200.0, vs_mps=-2.0),
        (ENTERING, 100.0),
    ),
    Case("band edges are inside", area(upper_m=1000.0), track(), (INSIDE, 0.0)),
    Case("window opens in 30 s", area(opens_s=30.0), track(), (ENTERING, 30.0)),
    Case("window opens exactly now", area(opens_s=0.0), track(), (INSIDE, 0.0)),
    Case("window closed", area(closes_s=0.0), track(), None),
    Case("window closes before entry", area(closes_s=10.0), track(lon=1.95), None),
    Case("the owner's own track", area(owner="bravo"), track(), None),
    Case("unattributed traffic", area(), track(party=None), (INSIDE, 0.0)),
    Case(
        "a hazard and its entering party",
        area(kind=AreaKind.HAZARD, owner="bravo"),
        track(),
        (INSIDE, 0.0),
    ),
    Case("a hazard and unattributed traffic", area(kind=AreaKind.HAZARD), track(party=None), None),
    Case(
        "in a polygon's hole", area(Outline(RING)), track(lon=2.1, gs_mps=40.0, trk_deg=0.0), None
    ),
    Case(
        "leaving a hole into the polygon, heading east",
        area(Outline(RING)),
        track(lon=2.14),
        (ENTERING, east_s(2.14, 2.15)),
    ),
    Case(
        "past the first part, towards the second",
        area(Outline(TWO_PARTS)),
        track(lon=2.05),
        (ENTERING, east_s(2.05, 2.1)),
    ),
    Case(
        "a circle, flying at it",
        area(Circle(2.0, 48.0, 5000.0)),
        track(lon=2.0 - math.degrees(10_000.0 / (R_M * math.cos(math.radians(48.0))))),
        (ENTERING, 25.0),
    ),
    Case("inside a circle", area(Circle(2.0, 48.0, 5000.0)), track(lon=2.0), (INSIDE, 0.0)),
    Case(
        "a geodesic outline",
        area(Outline(box(1.0, 47.0, 3.0, 49.0), Edges.GEODESIC)),
        track(),
        (INSIDE, 0.0),
    ),
    Case(
        "a circle across the antimeridian",
        area(Circle(179.97, 0.0, 5000.0)),
        track(0.0, -179.99),
        (INSIDE, 0.0),
    ),
    Case(
        "inside an outline split at the antimeridian",
        area(ACROSS),
        track(0.0, -179.95),
        (INSIDE, 0.0),
    ),
    Case(
        "towards an outline split at the antimeridian",
        area(ACROSS),
        track(0.0, 179.8),
        (ENTERING, east_s(179.8, 179.9, lat=0.0)),
    ),
    Case(
        "over the antimeridian into an outline beyond it",
        area(EAST_OF_IT),
        track(0.0, 179.95),
        (ENTERING, east_s(179.95, 180.0, lat=0.0)),
    ),
    Case(
        "westward over the antimeridian into a circle beyond it",
        area(Circle(179.9, 0.0, 3000.0)),
        track(0.0, -179.9, trk_deg=270.0),
        (ENTERING, east_s(179.9 + math.degrees(3000.0 / R_M), 180.1, lat=0.0)),
    ),
    Case("standing still inside", area(), track(gs_mps=0.0), (INSIDE, 0.0)),
    Case("standing still outside", area(), track(lon=1.99, gs_mps=0.0), None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.desc for c in CASES])
def test_intrusion(case: Case) -> None:
    got = intrusion_conditions(AreaIndex([case.area]), [case.track], NOW_S, T_S)
    if case.want is None:
        assert got == {}
        return
    ((subject, condition),) = got.items()
    assert subject == TrackArea(case.track.key, case.area.id)
    tier, tcpa_s = case.want
    assert condition.tier == tier
    assert condition.level == (1 if tier == INSIDE else 0)
    assert condition.tcpa_s == pytest.approx(tcpa_s, rel=5e-3, abs=1e-9)
    assert condition.dcpa_m == 0.0
    assert condition.separation_m == pytest.approx(case.track.gs_mps * condition.tcpa_s)
    assert condition.states == (case.track,)
    assert condition.extra["area_kind"] == case.area.kind.value


def test_the_case_table_is_all_there() -> None:
    assert len(CASES) == 31
    assert sum(c.want is None for c in CASES) == 10


def test_a_track_entering_several_areas_gets_one_condition_each() -> None:
    areas = [
        Area("near", volume(BOX)),
        Area("far", volume(Outline(box(2.2, 47.9, 2.3, 48.1)))),
        Area("never", volume(Outline(box(2.2, 48.2, 2.3, 48.3)))),
    ]
    got = intrusion_conditions(AreaIndex(areas), [track(lon=1.95)], NOW_S, T_S)
    assert {s.area_id: c.tcpa_s for s, c in got.items()} == pytest.approx(
        {"near": east_s(1.95, 2.0), "far": east_s(1.95, 2.2)}
    )


def test_no_areas_no_tracks_and_a_bad_lookahead() -> None:
    assert intrusion_conditions(AreaIndex([]), [track()], NOW_S) == {}
    assert intrusion_conditions(AreaIndex([area()]), [], NOW_S) == {}
    with pytest.raises(ValueError, match="lookahead_s"):
        intrusion_conditions(AreaIndex([area()]), [track()], NOW_S, -1.0)


# The reference: every (track, area) on its own, the path as the module defines it, the inside
# pieces from shapely's intersection of the path with the footprint, and circles drawn ten
# times finer than the index draws them.


@functools.cache
def reference_shape(footprint: Footprint) -> shapely.Geometry:
    if isinstance(footprint, Circle):
        lon, lat = circle_ring(footprint.lon_deg, footprint.lat_deg, footprint.radius_m, 10.0)
        return Polygon(np.column_stack([lon, lat]))
    if footprint.edges is Edges.GEODESIC:
        from deconflict.geometry.planar import dense_rings

        parts = [
            Polygon(np.column_stack(r[0]), [np.column_stack(h) for h in r[1:]])
            for r in dense_rings(footprint)
        ]
        return shapely.union_all(parts)
    return footprint.shape


def reference_entry(a: Area, s: TrackState) -> float | None:
    if not a.concerns(s.key.party):
        return None
    shape = reference_shape(a.volume.footprint)
    east = s.gs_mps * math.sin(math.radians(s.trk_deg)) * T_S
    north = s.gs_mps * math.cos(math.radians(s.trk_deg)) * T_S
    end = (
        s.lon + math.degrees(east / (R_M * math.cos(math.radians(s.lat)))),
        s.lat + math.degrees(north / R_M),
    )
    path = LineString([(s.lon, s.lat), end])
    if not path.envelope.buffer(1e-9).intersects(shape.envelope):
        return None
    if path.length == 0.0:
        pieces = [(0.0, T_S)] if shape.contains(Point(s.lon, s.lat)) else []
    else:
        inside = shapely.intersection(path, shape)
        pieces = []
        for part in shapely.get_parts(inside):
            if isinstance(part, LineString) and part.length > 0.0:
                ends = [path.project(Point(c), normalized=True) * T_S for c in part.coords]
                pieces.append((min(ends), max(ends)))
    lower, upper = a.volume.altitude.lower_m, a.volume.altitude.upper_m
    if s.vs_mps == 0.0:
        band = (0.0, T_S) if lower <= s.alt_m <= upper else None
    else:
        times = sorted(((lower - s.alt_m) / s.vs_mps, (upper - s.alt_m) / s.vs_mps))
        band = (times[0], times[1])
    if band is None:
        return None
    opens = a.volume.window.start.timestamp() - NOW_S
    closes = a.volume.window.end.timestamp() - NOW_S
    best = None
    for low, high in pieces:
        entry = max(low, band[0], opens, 0.0)
        if entry <= min(high, band[1], T_S) and entry < closes and (best is None or entry < best):
            best = entry
    return best


def random_areas(rng: np.random.Generator, count: int) -> list[Area]:
    areas = []
    for i in range(count):
        lon, lat = rng.uniform(1.0, 3.0), rng.uniform(47.0, 49.0)
        pick = i % 3
        footprint: Footprint
        if pick == 0:
            footprint = Circle(lon, lat, float(rng.uniform(2000.0, 20_000.0)))
        else:
            k = int(rng.integers(3, 9))
            angles = (np.arange(k) + rng.uniform(0.0, 0.8, k)) * (2.0 * math.pi / k)
            radii = rng.uniform(0.03, 0.2, k)
            star = Polygon(
                np.column_stack([lon + radii * np.cos(angles), lat + radii * np.sin(angles)])
            )
            footprint = Outline(star, Edges.LONLAT if pick == 1 else Edges.GEODESIC)
        lower = float(rng.uniform(0.0, 6000.0))
        areas.append(
            Area(
                f"a{i:02d}",
                volume(
                    footprint,
                    lower,
                    lower + float(rng.uniform(300.0, 5000.0)),
                    float(rng.uniform(-600.0, 100.0)),
                    float(rng.uniform(20.0, 3600.0)),
                ),
                AreaKind.HAZARD if i % 5 == 0 else AreaKind.PROTECTED,
                ["alpha", "bravo", None][i % 3],
            )
        )
    return areas


def random_tracks(rng: np.random.Generator, count: int) -> list[TrackState]:
    return [
        TrackState(
            TrackKey(["alpha", "bravo", "charlie", None][i % 4], f"t{i}"),
            NOW_S,
            float(rng.uniform(47.0, 49.0)),
            float(rng.uniform(1.0, 3.0)),
            float(rng.uniform(0.0, 9000.0)),
            float(rng.choice([0.0, rng.uniform(50.0, 300.0)], p=[0.05, 0.95])),
            float(rng.uniform(0.0, 360.0)),
            float(rng.choice([0.0, rng.uniform(-15.0, 15.0)])),
            "push",
        )
        for i in range(count)
    ]


@pytest.mark.parametrize("seed", range(4))
def test_random_scenes_match_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    areas, tracks = random_areas(rng, 30), random_tracks(rng, 600)
    got = intrusion_conditions(AreaIndex(areas), tracks, NOW_S, T_S)
    want = {}
    for a in areas:
        for s in tracks:
            entry = reference_entry(a, s)
            if entry is not None:
                want[TrackArea(s.key, a.id)] = entry
    assert set(got) == set(want)
    # The index draws a circle with chords within 1 m of the arc; at a grazing angle that moves
    # the entry along the path by up to a chord's length, sqrt(8 r x 1 m).
    by_id = {a.id: a.volume.footprint for a in areas}
    for subject, entry in want.items():
        footprint = by_id[subject.area_id]
        slack_m = math.sqrt(8.0 * footprint.radius_m) if isinstance(footprint, Circle) else 0.0
        gs_mps = got[subject].states[0].gs_mps
        assert got[subject].tcpa_s == pytest.approx(entry, abs=0.01 + slack_m / max(gs_mps, 1.0))
        assert (got[subject].tier == INSIDE) == (entry == 0.0)
    inside = sum(e == 0.0 for e in want.values())
    assert inside > 15
    assert len(want) - inside > 15


def test_the_order_of_tracks_and_areas_changes_nothing() -> None:
    rng = np.random.default_rng(9)
    areas, tracks = random_areas(rng, 20), random_tracks(rng, 300)
    want = intrusion_conditions(AreaIndex(areas), tracks, NOW_S, T_S)
    assert len(want) > 10
    for seed in range(2):
        shuffle = np.random.default_rng(seed)
        got = intrusion_conditions(
            AreaIndex([areas[i] for i in shuffle.permutation(len(areas))]),
            [tracks[i] for i in shuffle.permutation(len(tracks))],
            NOW_S,
            T_S,
        )
        assert got == want
