"""Volumes in request bodies: GeoJSON Features (a list or a FeatureCollection) or F3548 Volume4Ds.

The geometry formats report errors with pointers relative to one feature; here they are prefixed
with where the feature sits in the body, so a problem names `/volumes/0/geometry/coordinates/0/2/1`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_f3548, volume_from_geojson

__all__ = ["one_volume", "volume_list"]


def _convert(
    item: object, pointer: str, convert: Callable[[Mapping[str, object]], Volume]
) -> Volume:
    if not isinstance(item, Mapping):
        raise InvalidInput.at(pointer, "must be a JSON object")
    try:
        return convert(item)
    except InvalidInput as exc:
        located = exc.under(pointer)
        raise InvalidInput(
            exc.detail, located.errors or [FieldError(pointer, exc.detail)]
        ) from None


def _convert_all(
    items: Sequence[Any], prefix: str, convert: Callable[[Mapping[str, object]], Volume]
) -> list[Volume]:
    volumes: list[Volume] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        try:
            volumes.append(_convert(item, f"{prefix}/{index}", convert))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(f"{len(errors)} invalid field(s) in the volumes", errors)
    return volumes


def _features(volumes: object, pointer: str) -> tuple[Sequence[Any], str]:
    """The features of a list of Features or of a FeatureCollection, and their pointer."""
    if isinstance(volumes, list):
        return volumes, pointer
    if isinstance(volumes, Mapping) and volumes.get("type") == "FeatureCollection":
        features = volumes.get("features")
        if not isinstance(features, list):
            raise InvalidInput.at(pointer + "/features", "must be an array of GeoJSON Features")
        return features, pointer + "/features"
    raise InvalidInput.at(pointer, "must be an array of GeoJSON Features or a FeatureCollection")


def volume_list(
    geojson: object | None,
    f3548: Sequence[Any] | None,
    *,
    geojson_field: str = "volumes",
    f3548_field: str = "volumes_f3548",
) -> list[Volume]:
    """Exactly one of the two forms, converted; at least one volume."""
    if (geojson is None) == (f3548 is None):
        raise InvalidInput(
            f"give either {geojson_field} (GeoJSON) or {f3548_field} (F3548 Volume4D)",
            [FieldError(f"/{geojson_field}", f"give this or /{f3548_field}, not both or neither")],
        )
    if geojson is not None:
        items, prefix = _features(geojson, f"/{geojson_field}")
        convert: Callable[[Mapping[str, object]], Volume] = volume_from_geojson
    else:
        items, prefix, convert = f3548 or [], f"/{f3548_field}", volume_from_f3548
    if not items:
        raise InvalidInput.at(prefix, "needs at least one volume")
    return _convert_all(items, prefix, convert)


def one_volume(geojson: Mapping[str, Any] | None, f3548: Mapping[str, Any] | None) -> Volume:
    """A single volume given as `volume` (a GeoJSON Feature) or `volume_f3548`."""
    if (geojson is None) == (f3548 is None):
        raise InvalidInput.at("/volume", "give either volume (GeoJSON) or volume_f3548, not both")
    if geojson is not None:
        return _convert(geojson, "/volume", volume_from_geojson)
    return _convert(f3548, "/volume_f3548", volume_from_f3548)
