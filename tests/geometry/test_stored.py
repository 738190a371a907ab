"""The trusted start-up path reads back exactly what the validating parser reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box
from test_formats import volumes

from deconflict.geometry import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Edges,
    Outline,
    TimeWindow,
    Volume,
)
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.geometry.stored import volumes_from_stored_geojson

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def stored(volume: Volume) -> dict[str, object]:
    """A volume as the service stores it and reads it back (through JSON text)."""
    loaded: dict[str, object] = json.loads(json.dumps(volume_to_geojson(volume)))
    return loaded


def read_both(features: list[dict[str, object]]) -> tuple[list[Volume], list[Volume]]:
    return volumes_from_stored_geojson(features), [volume_from_geojson(f) for f in features]


@settings(max_examples=100)
@given(st.lists(st.one_of(volumes(), volumes(edges=Edges.GEODESIC)), max_size=8))
def test_stored_features_read_as_the_validating_parser_reads_them(vols: list[Volume]) -> None:
    trusted, validated = read_both([stored(v) for v in vols])
    assert trusted == validated
    for t, v in zip(trusted, validated, strict=True):
        assert t.window.start.tzinfo is UTC
        assert t.window.end.tzinfo is UTC
        if isinstance(t.footprint, Outline) and isinstance(v.footprint, Outline):
            assert t.footprint.shape.equals_exact(v.footprint.shape, 0.0)
            assert t.footprint.shape.geom_type == v.footprint.shape.geom_type


def test_holes_multipolygons_circles_and_fallbacks_in_one_batch() -> None:
    window = TimeWindow(T0, T0 + timedelta(hours=1))
    band = AltitudeBand(0.0, 500.0, AltitudeReference.STD)
    holed = Polygon(box(30, 30, 32, 32).exterior.coords, [box(30.5, 30.5, 31, 31).exterior.coords])
    split = MultiPolygon([box(179.0, 0.0, 180.0, 1.0), box(-180.0, 0.0, -179.0, 1.0)])
    vols = [
        Volume(Outline(holed), band, window),
        Volume(Circle(10.0, 20.0, 5_000.0), band, window),
        Volume(Outline(split), band, window),
        Volume(Outline(box(0, 0, 1, 1)), band, window),
    ]
    features = [stored(v) for v in vols]
    in_flight_levels: dict[str, object] = {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[5, 5], [6, 5], [6, 6], [5, 5]]]},
        "properties": {
            "alt_lower_fl": 10,
            "alt_upper_fl": 50,
            "time_start": "2026-06-01T08:00:00+02:00",
            "time_end": "2026-06-01T09:00:00Z",
        },
    }
    features.insert(2, in_flight_levels)
    trusted, validated = read_both(features)
    assert trusted == validated
    assert len(trusted) == 5
    assert trusted[2].altitude.reference is AltitudeReference.STD
    assert trusted[0] == vols[0]
    assert trusted[4] == vols[3]
    assert len(trusted[3].footprint.shape.geoms) == 2  # type: ignore[union-attr]


def test_an_empty_batch_reads_as_nothing() -> None:
    assert volumes_from_stored_geojson([]) == []


def test_positions_with_a_third_value_read_as_two_dimensional() -> None:
    """GeoJSON allows an altitude in a position; the footprint keeps longitude and latitude."""
    feature = stored(
        Volume(
            Outline(box(0, 0, 1, 1)),
            AltitudeBand(0.0, 500.0, AltitudeReference.W84),
            TimeWindow(T0, T0 + timedelta(hours=1)),
        )
    )
    geometry = feature["geometry"]
    assert isinstance(geometry, dict)
    geometry["coordinates"] = [[[x, y, 100.0] for x, y in ring] for ring in geometry["coordinates"]]
    plain = stored(
        Volume(
            Circle(10.0, 20.0, 5_000.0),
            AltitudeBand(0.0, 1.0),
            TimeWindow(T0, T0 + timedelta(hours=1)),
        )
    )
    trusted, validated = read_both([feature, plain])
    assert trusted == validated
    assert trusted[0].footprint.shape.equals_exact(box(0, 0, 1, 1), 0.0)  # type: ignore[union-attr]
