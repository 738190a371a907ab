"""GeoJSON and F3548 volumes: parsing with JSON pointers for every bad field, and round trips."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon

from deconflict.errors import InvalidInput
from deconflict.geometry import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Edges,
    Outline,
    TimeWindow,
    Volume,
)
from deconflict.geometry.formats import (
    volume_from_f3548,
    volume_from_geojson,
    volume_to_f3548,
    volume_to_geojson,
)

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def feature(**changes: Any) -> dict[str, Any]:
    """A valid polygon feature, with top-level keys or `properties.<key>` replaced."""
    f: dict[str, Any] = {
        "type": "Feature",
        "id": "n1",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[30.0, 30.0], [31.0, 30.0], [31.0, 31.0], [30.0, 31.0], [30.0, 30.0]]],
        },
        "properties": {
            "alt_lower_m": 0.0,
            "alt_upper_m": 1000.0,
            "time_start": "2026-06-01T08:00:00Z",
            "time_end": "2026-06-01T12:00:00+02:00",
        },
    }
    for key, value in changes.items():
        if key.startswith("p_"):
            if value is None:
                f["properties"].pop(key[2:], None)
            else:
                f["properties"][key[2:]] = value
        else:
            f[key] = value
    return f


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def square(lon: float, lat: float) -> list[list[list[float]]]:
    return [[[lon, lat], [lon + 1, lat], [lon + 1, lat + 1], [lon, lat + 1], [lon, lat]]]


# ---------------------------------------------------------------------------- GeoJSON in


def test_polygon_feature_reads_as_lonlat_outline() -> None:
    volume = volume_from_geojson(feature())
    assert isinstance(volume.footprint, Outline)
    assert volume.footprint.edges is Edges.LONLAT
    assert volume.footprint.shape.equals(Polygon(square(30, 30)[0]))
    assert volume.altitude == AltitudeBand(0.0, 1000.0, AltitudeReference.W84)
    assert volume.window == TimeWindow(T0, T0 + timedelta(hours=2))


def test_point_with_radius_reads_as_circle() -> None:
    volume = volume_from_geojson(feature(geometry=point(30.5, 30.5), p_radius_m=2500))
    assert volume.footprint == Circle(30.5, 30.5, 2500.0)


def test_flight_levels_convert_once_to_pressure_altitude() -> None:
    volume = volume_from_geojson(
        feature(p_alt_lower_m=None, p_alt_upper_m=None, p_alt_lower_fl=100, p_alt_upper_fl=245)
    )
    assert volume.altitude.reference is AltitudeReference.STD
    assert volume.altitude.lower_m == pytest.approx(100 * 100 * 0.3048)
    assert volume.altitude.upper_m == pytest.approx(245 * 100 * 0.3048)


def test_multipolygon_split_at_antimeridian_is_accepted() -> None:
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[179.5, 10.0], [180.0, 10.0], [180.0, 11.0], [179.5, 11.0], [179.5, 10.0]]],
            [[[-180.0, 10.0], [-179.5, 10.0], [-179.5, 11.0], [-180.0, 11.0], [-180.0, 10.0]]],
        ],
    }
    volume = volume_from_geojson(feature(geometry=geometry))
    assert isinstance(volume.footprint, Outline)
    assert isinstance(volume.footprint.shape, MultiPolygon)


BOWTIE = [[[30.0, 30.0], [31.0, 31.0], [31.0, 30.0], [30.0, 31.0], [30.0, 30.0]]]
NAN_RING = [[[30.0, 30.0], [math.nan, 30.0], [31.0, 31.0], [30.0, 30.0]]]
INF_RING = [[[30.0, 30.0], [31.0, 30.0], [31.0, math.inf], [30.0, 30.0]]]
TEXT_RING = [[[30.0, 30.0], [31.0, "30"], [31.0, 31.0], [30.0, 30.0]]]
WIDE_RING = [[[-170.0, 10.0], [170.0, 10.0], [170.0, 11.0], [-170.0, 11.0], [-170.0, 10.0]]]
POLE_RING = [[[0.0, 80.0], [10.0, 80.0], [10.0, 90.0], [0.0, 80.0]]]

BAD_FEATURES: list[tuple[str, dict[str, Any], str]] = [
    (
        "NaN longitude",
        feature(geometry={"type": "Polygon", "coordinates": NAN_RING}),
        "/geometry/coordinates/0/1/0",
    ),
    (
        "infinite latitude",
        feature(geometry={"type": "Polygon", "coordinates": INF_RING}),
        "/geometry/coordinates/0/2/1",
    ),
    (
        "string coordinate",
        feature(geometry={"type": "Polygon", "coordinates": TEXT_RING}),
        "/geometry/coordinates/0/1/1",
    ),
    (
        "latitude 91",
        feature(geometry=point(30.0, 91.0), p_radius_m=10.0),
        "/geometry/coordinates/1",
    ),
    (
        "longitude -181",
        feature(geometry=point(-181.0, 0.0), p_radius_m=10.0),
        "/geometry/coordinates/0",
    ),
    (
        "self-intersecting",
        feature(geometry={"type": "Polygon", "coordinates": BOWTIE}),
        "/geometry/coordinates",
    ),
    (
        "edge spanning > 180 deg",
        feature(geometry={"type": "Polygon", "coordinates": WIDE_RING}),
        "/geometry/coordinates/0/1",
    ),
    (
        "vertex at a pole",
        feature(geometry={"type": "Polygon", "coordinates": POLE_RING}),
        "/geometry/coordinates/0/2/1",
    ),
    (
        "unclosed ring",
        feature(geometry={"type": "Polygon", "coordinates": [square(0, 0)[0][:4]]}),
        "/geometry/coordinates/0",
    ),
    (
        "unknown geometry type",
        feature(geometry={"type": "LineString", "coordinates": []}),
        "/geometry/type",
    ),
    ("missing geometry", feature(geometry=None), "/geometry"),
    ("radius 0", feature(geometry=point(30.0, 30.0), p_radius_m=0), "/properties/radius_m"),
    (
        "radius negative",
        feature(geometry=point(30.0, 30.0), p_radius_m=-5.0),
        "/properties/radius_m",
    ),
    ("circle without radius", feature(geometry=point(30.0, 30.0)), "/properties/radius_m"),
    (
        "circle around the pole",
        feature(geometry=point(0.0, 89.9), p_radius_m=20_000.0),
        "/properties/radius_m",
    ),
    ("lower above upper", feature(p_alt_lower_m=2000.0), "/properties/alt_lower_m"),
    ("boolean altitude", feature(p_alt_upper_m=True), "/properties/alt_upper_m"),
    ("NaN altitude", feature(p_alt_lower_m=math.nan), "/properties/alt_lower_m"),
    ("missing altitude", feature(p_alt_upper_m=None), "/properties/alt_upper_m"),
    ("unknown reference", feature(p_alt_reference="AGL"), "/properties/alt_reference"),
    ("metres and flight levels", feature(p_alt_lower_fl=10), "/properties"),
    ("end before start", feature(p_time_end="2026-06-01T07:00:00Z"), "/properties/time_end"),
    ("end equal to start", feature(p_time_end="2026-06-01T08:00:00Z"), "/properties/time_end"),
    ("naive start", feature(p_time_start="2026-06-01T08:00:00"), "/properties/time_start"),
    ("missing end", feature(p_time_end=None), "/properties/time_end"),
    ("not a feature", feature(type="FeatureCollection"), "/type"),
    ("properties not an object", feature(properties=[]), "/properties"),
]


def test_bad_feature_table_has_every_case() -> None:
    assert len(BAD_FEATURES) == 27


@pytest.mark.parametrize(("desc", "bad", "pointer"), BAD_FEATURES, ids=[b[0] for b in BAD_FEATURES])
def test_bad_feature_names_the_field(desc: str, bad: dict[str, Any], pointer: str) -> None:
    with pytest.raises(InvalidInput) as info:
        volume_from_geojson(bad)
    pointers = [e.pointer for e in info.value.errors]
    assert pointer in pointers, (desc, pointers)


def test_all_bad_fields_are_reported_together() -> None:
    bad = feature(p_alt_lower_m="low", p_time_start="soon", p_time_end=None)
    with pytest.raises(InvalidInput) as info:
        volume_from_geojson(bad)
    assert {e.pointer for e in info.value.errors} >= {
        "/properties/alt_lower_m",
        "/properties/time_start",
        "/properties/time_end",
    }


# ---------------------------------------------------------------------------- round trips

lons = st.floats(-179.0, 178.0)
lats = st.floats(-80.0, 79.0)
times = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@st.composite
def volumes(draw: st.DrawFn, edges: Edges = Edges.LONLAT, w84_only: bool = False) -> Volume:
    lon, lat = draw(lons), draw(lats)
    if draw(st.booleans()):
        footprint: Circle | Outline = Circle(lon, lat, draw(st.floats(1.0, 200_000.0)))
    else:
        size = draw(st.floats(0.001, 1.0))
        count = draw(st.integers(3, 12))
        ring = [
            (
                lon + size * math.cos(2 * math.pi * k / count),
                lat + size * math.sin(2 * math.pi * k / count),
            )
            for k in range(count)
        ]
        footprint = Outline(Polygon(ring), edges)
    lower = draw(st.floats(-500.0, 20_000.0))
    upper = lower + draw(st.floats(0.0, 15_000.0))
    reference = AltitudeReference.W84 if w84_only else draw(st.sampled_from(AltitudeReference))
    start = draw(times)
    end = start + draw(
        st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400))
    )
    return Volume(footprint, AltitudeBand(lower, upper, reference), TimeWindow(start, end))


@settings(max_examples=100)
@given(volumes())
def test_geojson_round_trip(volume: Volume) -> None:
    text = json.dumps(volume_to_geojson(volume, id="x", properties={"purpose": "test"}))
    back = json.loads(text)
    assert back["id"] == "x"
    assert back["properties"]["purpose"] == "test"
    assert volume_from_geojson(back) == volume


@settings(max_examples=100)
@given(volumes(edges=Edges.GEODESIC, w84_only=True))
def test_f3548_round_trip(volume: Volume) -> None:
    obj = json.loads(json.dumps(volume_to_f3548(volume)))
    assert volume_from_f3548(obj) == volume
    assert volume_to_f3548(volume_from_f3548(obj)) == obj


# ---------------------------------------------------------------------------- F3548


def f3548(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "volume": {
            "outline_polygon": {
                "vertices": [
                    {"lat": 30.0, "lng": 30.0},
                    {"lat": 30.0, "lng": 31.0},
                    {"lat": 31.0, "lng": 31.0},
                ]
            },
            "altitude_lower": {"value": 100.0, "reference": "W84", "units": "M"},
            "altitude_upper": {"value": 900.0, "reference": "W84", "units": "M"},
        },
        "time_start": {"value": "2026-06-01T08:00:00Z", "format": "RFC3339"},
        "time_end": {"value": "2026-06-01T09:00:00Z", "format": "RFC3339"},
    }
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = obj
        for name in parents:
            target = target[name]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return obj


def test_f3548_polygon_reads_with_geodesic_edges() -> None:
    volume = volume_from_f3548(f3548())
    assert isinstance(volume.footprint, Outline)
    assert volume.footprint.edges is Edges.GEODESIC
    assert list(volume.footprint.shape.exterior.coords) == [
        (30.0, 30.0),
        (31.0, 30.0),
        (31.0, 31.0),
        (30.0, 30.0),
    ]
    assert volume.altitude == AltitudeBand(100.0, 900.0)
    assert volume.window == TimeWindow(T0, T0 + timedelta(hours=1))


def test_f3548_circle_reads() -> None:
    circle = {"center": {"lat": 10.0, "lng": 20.0}, "radius": {"value": 300.0, "units": "M"}}
    volume = volume_from_f3548(f3548(volume__outline_polygon=None, volume__outline_circle=circle))
    assert volume.footprint == Circle(20.0, 10.0, 300.0)


VERTEX = "/volume/outline_polygon/vertices"
BAD_F3548: list[tuple[str, dict[str, Any], str]] = [
    (
        "latitude 95",
        f3548(
            volume__outline_polygon={
                "vertices": [
                    {"lat": 95.0, "lng": 0.0},
                    {"lat": 0.0, "lng": 1.0},
                    {"lat": 1.0, "lng": 1.0},
                ]
            }
        ),
        f"{VERTEX}/0/lat",
    ),
    (
        "two vertices",
        f3548(
            volume__outline_polygon={
                "vertices": [{"lat": 0.0, "lng": 0.0}, {"lat": 0.0, "lng": 1.0}]
            }
        ),
        VERTEX,
    ),
    (
        "self-intersecting",
        f3548(
            volume__outline_polygon={
                "vertices": [
                    {"lat": 0.0, "lng": 0.0},
                    {"lat": 1.0, "lng": 1.0},
                    {"lat": 0.0, "lng": 1.0},
                    {"lat": 1.0, "lng": 0.0},
                ]
            }
        ),
        "/volume/outline_polygon",
    ),
    ("both outlines", f3548(volume__outline_circle={"center": {"lat": 0, "lng": 0}}), "/volume"),
    (
        "feet",
        f3548(volume__altitude_lower={"value": 1.0, "reference": "W84", "units": "FT"}),
        "/volume/altitude_lower/units",
    ),
    (
        "not W84",
        f3548(volume__altitude_upper={"value": 1.0, "reference": "SFC", "units": "M"}),
        "/volume/altitude_upper/reference",
    ),
    (
        "lower above upper",
        f3548(volume__altitude_lower={"value": 1000.0, "reference": "W84", "units": "M"}),
        "/volume/altitude_lower/value",
    ),
    (
        "naive time",
        f3548(time_start={"value": "2026-06-01T08:00:00", "format": "RFC3339"}),
        "/time_start/value",
    ),
    (
        "other format",
        f3548(time_end={"value": "2026-06-01T09:00:00Z", "format": "unix"}),
        "/time_end/format",
    ),
    (
        "end before start",
        f3548(time_end={"value": "2026-06-01T07:00:00Z", "format": "RFC3339"}),
        "/time_end/value",
    ),
    (
        "radius zero",
        f3548(
            volume__outline_polygon=None,
            volume__outline_circle={
                "center": {"lat": 0.0, "lng": 0.0},
                "radius": {"value": 0.0, "units": "M"},
            },
        ),
        "/volume/outline_circle/radius/value",
    ),
]


@pytest.mark.parametrize(("desc", "bad", "pointer"), BAD_F3548, ids=[b[0] for b in BAD_F3548])
def test_bad_f3548_names_the_field(desc: str, bad: dict[str, Any], pointer: str) -> None:
    with pytest.raises(InvalidInput) as info:
        volume_from_f3548(bad)
    pointers = [e.pointer for e in info.value.errors]
    assert pointer in pointers, (desc, pointers)


def test_f3548_drops_a_repeated_closing_vertex() -> None:
    closed = f3548()
    closed["volume"]["outline_polygon"]["vertices"].append({"lat": 30.0, "lng": 30.0})
    assert volume_from_f3548(closed) == volume_from_f3548(f3548())


def test_f3548_out_refuses_pressure_altitude_and_holes() -> None:
    window = TimeWindow(T0, T0 + timedelta(hours=1))
    std = Volume(Circle(0, 0, 10), AltitudeBand(0, 10, AltitudeReference.STD), window)
    with pytest.raises(InvalidInput):
        volume_to_f3548(std)
    holed = Polygon(square(0, 0)[0], [[(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.2)]])
    with pytest.raises(InvalidInput):
        volume_to_f3548(Volume(Outline(holed), AltitudeBand(0, 10), window))


def test_lonlat_edges_are_densified_for_f3548_and_geodesic_for_geojson() -> None:
    window = TimeWindow(T0, T0 + timedelta(hours=1))
    lonlat = Volume(Outline(Polygon(square(30, 60)[0])), AltitudeBand(0, 10), window)
    vertices = volume_to_f3548(lonlat)["volume"]["outline_polygon"]["vertices"]  # type: ignore[index]
    # Each 1-degree edge at 60-61 N is 54-112 km long: cut into pieces of at most 1 km.
    assert 2 * 54 + 2 * 112 <= len(vertices) <= 2 * 56 + 2 * 113
    assert {"lat": 60.0, "lng": 31.0} in vertices
    geodesic = volume_from_f3548(f3548())
    ring = volume_to_geojson(geodesic)["geometry"]["coordinates"][0]  # type: ignore[index]
    assert len(ring) > 300


def ring_f3548(points: list[tuple[float, float]]) -> dict[str, Any]:
    return f3548(volume__outline_polygon={"vertices": [{"lng": x, "lat": y} for x, y in points]})


def test_f3548_polygon_across_the_antimeridian_is_split_and_merged_back() -> None:
    obj = ring_f3548([(179.5, 0.0), (-179.5, 0.0), (-179.5, 1.0), (179.5, 1.0)])
    volume = volume_from_f3548(obj)
    assert isinstance(volume.footprint, Outline)
    shape = volume.footprint.shape
    assert isinstance(shape, MultiPolygon)
    assert volume.footprint.edges is Edges.GEODESIC
    bounds = [p.bounds for p in shape.geoms]
    assert sorted((b[0], b[2]) for b in bounds) == [(-180.0, -179.5), (179.5, 180.0)]
    # The equator is a geodesic: the crossing on the southern edge is at latitude 0 exactly;
    # the northern edge (a geodesic between two points at 1 N) bulges north at its middle.
    lats = sorted(y for p in shape.geoms for x, y in p.exterior.coords if abs(x) == 180.0)
    assert lats[0] == pytest.approx(0.0, abs=1e-9)
    assert 1.0 < lats[-1] < 1.0001
    back = volume_to_f3548(volume)
    vertices = back["volume"]["outline_polygon"]["vertices"]  # type: ignore[index]
    assert len(vertices) == 6
    assert all(-180.0 <= v["lng"] <= 180.0 for v in vertices)
    again = volume_from_f3548(json.loads(json.dumps(back)))
    assert isinstance(again.footprint, Outline)
    assert again.footprint.shape.symmetric_difference(shape).area < 1e-12


def test_geojson_multipolygon_across_the_antimeridian_writes_one_f3548_polygon() -> None:
    geometry = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[179.5, 10.0], [180.0, 10.0], [180.0, 11.0], [179.5, 11.0], [179.5, 10.0]]],
            [[[-180.0, 10.0], [-179.5, 10.0], [-179.5, 11.0], [-180.0, 11.0], [-180.0, 10.0]]],
        ],
    }
    volume = volume_from_geojson(feature(geometry=geometry))
    vertices = volume_to_f3548(volume)["volume"]["outline_polygon"]["vertices"]  # type: ignore[index]
    lngs = {v["lng"] for v in vertices}
    assert {179.5, -179.5} <= lngs
    assert all(-180.0 <= x <= 180.0 for x in lngs)


@pytest.mark.parametrize(
    "points",
    [
        [(0.0, 80.0), (120.0, 80.0), (-120.0, 80.0)],
        [(0.0, 10.0), (180.0, 10.0), (180.0, 11.0)],
    ],
    ids=["ring around the pole", "edge spanning 180 degrees"],
)
def test_f3548_rings_around_a_pole_or_with_half_turn_edges_are_refused(
    points: list[tuple[float, float]],
) -> None:
    with pytest.raises(InvalidInput) as info:
        volume_from_f3548(ring_f3548(points))
    assert [e.pointer for e in info.value.errors] == ["/volume/outline_polygon"]
