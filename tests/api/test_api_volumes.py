"""Volumes in bodies: both forms accepted, every pointer names where the client put the field."""

from __future__ import annotations

from typing import Any

import pytest

from deconflict.api.volumes import one_volume, volume_input
from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry.formats import volume_from_geojson, volume_to_f3548
from deconflict.service import IdempotencyMismatch

FEATURE: dict[str, Any] = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [30.0, 10.0]},
    "properties": {
        "radius_m": 1000.0,
        "alt_lower_m": 0.0,
        "alt_upper_m": 100.0,
        "time_start": "2030-01-01T00:00:00Z",
        "time_end": "2030-01-01T01:00:00Z",
    },
}
BAD = {**FEATURE, "properties": {**FEATURE["properties"], "radius_m": -1.0}}


def _pointers(exc: InvalidInput) -> list[str]:
    return [e.pointer for e in exc.errors]


@pytest.mark.parametrize(
    ("geojson", "pointer"),
    [
        ([FEATURE, BAD], "/volumes/1/properties/radius_m"),
        (
            {"type": "FeatureCollection", "features": [BAD]},
            "/volumes/features/0/properties/radius_m",
        ),
        ([FEATURE, 7], "/volumes/1"),
        ({"type": "Feature"}, "/volumes"),
        ([], "/volumes"),
    ],
)
def test_conversion_errors_point_into_the_body(geojson: Any, pointer: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        volume_input(geojson, None)
    assert _pointers(caught.value) == [pointer]


def test_exactly_one_form_is_required() -> None:
    for geojson, f3548 in ((None, None), ([FEATURE], [{}])):
        with pytest.raises(InvalidInput):
            volume_input(geojson, f3548)


def test_every_bad_volume_is_reported() -> None:
    with pytest.raises(InvalidInput) as caught:
        volume_input([BAD, FEATURE, BAD], None)
    assert _pointers(caught.value) == [
        "/volumes/0/properties/radius_m",
        "/volumes/2/properties/radius_m",
    ]


@pytest.mark.parametrize(
    ("geojson", "f3548", "service_pointer", "expected"),
    [
        ([FEATURE], None, "/volumes/0/properties/time_end", "/volumes/0/properties/time_end"),
        (
            {"type": "FeatureCollection", "features": [FEATURE]},
            None,
            "/volumes/0/properties/time_end",
            "/volumes/features/0/properties/time_end",
        ),
        (None, "F3548", "/volumes/0/properties/time_end", "/volumes_f3548/0/time_end"),
        (None, "F3548", "/volumes/0/geometry", "/volumes_f3548/0"),
        (None, "F3548", "/volumes", "/volumes_f3548"),
        ([FEATURE], None, "/purpose", "/purpose"),
    ],
)
def test_service_pointers_are_mapped_onto_the_form_sent(
    geojson: Any, f3548: Any, service_pointer: str, expected: str
) -> None:
    items = [volume_to_f3548(volume_from_geojson(FEATURE))] if f3548 else None
    given = volume_input(geojson, items)
    moved = given.relocate(InvalidInput("x", [FieldError(service_pointer, "bad")]))
    assert _pointers(moved) == [expected]


def test_relocating_keeps_the_error_class() -> None:
    given = volume_input({"type": "FeatureCollection", "features": [FEATURE]}, None)
    moved = given.relocate(IdempotencyMismatch("x", [FieldError("/volumes/0", "bad")]))
    assert isinstance(moved, IdempotencyMismatch)


def test_one_volume_names_its_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        one_volume(BAD, None)
    assert _pointers(caught.value) == ["/volume/properties/radius_m"]
    with pytest.raises(InvalidInput) as caught:
        one_volume(None, None)
    assert _pointers(caught.value) == ["/volume"]
