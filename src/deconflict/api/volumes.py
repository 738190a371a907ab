"""Volumes in request bodies: GeoJSON Features (a list or a FeatureCollection) or F3548 Volume4Ds.

The geometry formats report errors with pointers relative to one feature; here they are prefixed
with where the feature sits in the body, so a problem names `/volumes/0/geometry/coordinates/0/2/1`.
The service names volumes as a list of Features (`/volumes/3/properties/time_end`); `relocate`
maps those pointers onto the form the client actually sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry import Volume
from deconflict.geometry.formats import volume_from_f3548, volume_from_geojson

__all__ = ["VolumeInput", "one_volume", "volume_input"]

Converter = Callable[[Mapping[str, object]], Volume]
_SERVICE_POINTER = re.compile(r"^/volumes(?:/(\d+)(/.*)?)?$")
_F3548_FIELDS = {"/properties/time_start": "/time_start", "/properties/time_end": "/time_end"}


def _convert(item: object, pointer: str, convert: Converter) -> Volume:
    if not isinstance(item, Mapping):
        raise InvalidInput.at(pointer, "must be a JSON object")
    try:
        return convert(item)
    except InvalidInput as exc:
        errors = exc.under(pointer).errors or (FieldError(pointer, exc.detail),)
        raise InvalidInput(exc.detail, errors) from None


def _summary(errors: Sequence[FieldError]) -> str:
    return errors[0].detail if len(errors) == 1 else f"{len(errors)} invalid fields in the volumes"


@dataclass(frozen=True, slots=True)
class VolumeInput:
    """Volumes converted from a body, and where in the body they came from."""

    volumes: tuple[Volume, ...]
    prefix: str
    """Pointer of the array holding the items: /volumes, /volumes/features or /volumes_f3548."""
    f3548: bool

    def relocate(self, exc: InvalidInput) -> InvalidInput:
        """The service's error with `/volumes/<i>…` pointers mapped onto this body."""
        errors = [self._pointer(e) for e in exc.errors]
        if errors == list(exc.errors):
            return exc
        return type(exc)(exc.detail, errors)

    def _pointer(self, error: FieldError) -> FieldError:
        match = _SERVICE_POINTER.match(error.pointer)
        if match is None:
            return error
        index, rest = match.group(1), match.group(2) or ""
        if index is None:
            return FieldError(self.prefix, error.detail)
        if self.f3548:
            rest = _F3548_FIELDS.get(rest, "")
        return FieldError(f"{self.prefix}/{index}{rest}", error.detail)


def _items(volumes: object, pointer: str) -> tuple[Sequence[Any], str]:
    """The features of a list of Features or of a FeatureCollection, and their pointer."""
    if isinstance(volumes, list):
        return volumes, pointer
    if isinstance(volumes, Mapping) and volumes.get("type") == "FeatureCollection":
        features = volumes.get("features")
        if not isinstance(features, list):
            raise InvalidInput.at(pointer + "/features", "must be an array of GeoJSON Features")
        return features, pointer + "/features"
    raise InvalidInput.at(pointer, "must be an array of GeoJSON Features or a FeatureCollection")


def volume_input(geojson: object | None, f3548: Sequence[Any] | None) -> VolumeInput:
    """Exactly one of `volumes` (GeoJSON) and `volumes_f3548`, converted; at least one volume."""
    if (geojson is None) == (f3548 is None):
        raise InvalidInput.at("/volumes", "give either volumes (GeoJSON) or volumes_f3548")
    convert: Converter
    if geojson is not None:
        items, prefix = _items(geojson, "/volumes")
        convert = volume_from_geojson
    else:
        items, prefix, convert = f3548 or [], "/volumes_f3548", volume_from_f3548
    if not items:
        raise InvalidInput.at(prefix, "needs at least one volume")
    volumes: list[Volume] = []
    errors: list[FieldError] = []
    for index, item in enumerate(items):
        try:
            volumes.append(_convert(item, f"{prefix}/{index}", convert))
        except InvalidInput as exc:
            errors.extend(exc.errors)
    if errors:
        raise InvalidInput(_summary(errors), errors)
    return VolumeInput(tuple(volumes), prefix, f3548 is not None)


def one_volume(geojson: Mapping[str, Any] | None, f3548: Mapping[str, Any] | None) -> Volume:
    """A single volume given as `volume` (a GeoJSON Feature) or `volume_f3548`."""
    if (geojson is None) == (f3548 is None):
        raise InvalidInput.at("/volume", "give either volume (GeoJSON) or volume_f3548")
    if geojson is not None:
        return _convert(geojson, "/volume", volume_from_geojson)
    return _convert(f3548, "/volume_f3548", volume_from_f3548)
