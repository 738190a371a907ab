"""Volumes in and out of GeoJSON features and ASTM F3548 `Volume4D` objects.

Every input error is an `InvalidInput` whose `FieldError.pointer`s are JSON pointers into the
given document, all errors of one document reported together.

GeoJSON feature: `geometry` is a Polygon or MultiPolygon (edges straight in lon/lat, RFC 7946
section 3.1.1; split at the antimeridian, section 3.1.9) or a Point with `properties.radius_m`
(a circle). `properties`: `alt_lower_m`, `alt_upper_m` and optional `alt_reference` ("W84",
the default, or "STD" for pressure altitude), or `alt_lower_fl`, `alt_upper_fl` (flight levels,
converted once to metres, reference STD); `time_start`, `time_end` (RFC 3339 with offset).
Altitudes (flight levels once in metres) lie in `limits`' band, -1,000 m to 100 km.

F3548 `Volume4D`: `volume.outline_polygon.vertices` (geodesic edges, no repeated closing
vertex) or `volume.outline_circle`; `altitude_lower`/`altitude_upper` in metres W84;
`time_start`/`time_end` with `format: RFC3339`. A polygon whose edges cross the antimeridian
is split there into geodesic parts (a MultiPolygon), and merged back on the way out, keeping
the points where it crossed as vertices (they lie on its edges: the shape is unchanged).

Each format writes what it reads: shapes whose edges follow the other rule are written with
their edges densified to at most 1 km, so they round-trip as shapes, not as vertex lists.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon

from deconflict.arrays import Floats
from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry.antimeridian import (
    merge_across_antimeridian,
    split_geodesic_ring,
    wrap_lon,
)
from deconflict.geometry.geodesy import densify_lonlat
from deconflict.geometry.separation import dense_rings
from deconflict.geometry.volume import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Edges,
    Footprint,
    Outline,
    TimeWindow,
    Volume,
)
from deconflict.limits import MAX_ALT_M, MIN_ALT_M
from deconflict.times import format_utc, parse_utc
from deconflict.units import flight_level_to_m

__all__ = [
    "volume_from_f3548",
    "volume_from_geojson",
    "volume_to_f3548",
    "volume_to_geojson",
]


class _Errors:
    """Collects field errors while a document is read, so all of them are reported at once."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, pointer: str, detail: str) -> None:
        self.items.append(FieldError(pointer, detail))

    def extend(self, error: InvalidInput, rename: Callable[[str], str] = lambda p: p) -> None:
        self.items.extend(FieldError(rename(e.pointer), e.detail) for e in error.errors)

    def raise_if_any(self, detail: str) -> None:
        if self.items:
            raise InvalidInput(
                f"{detail}: " + "; ".join(f"{e.pointer}: {e.detail}" for e in self.items),
                self.items,
            )


def _number(errors: _Errors, value: object, pointer: str) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.add(pointer, f"must be a number, not {value!r}")
        return None
    if not math.isfinite(value):
        errors.add(pointer, f"must be a finite number, not {value!r}")
        return None
    return float(value)


def _mapping(errors: _Errors, value: object, pointer: str, what: str) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return value
    errors.add(pointer, f"must be {what}")
    return {}


def _position(errors: _Errors, value: object, pointer: str) -> tuple[float, float] | None:
    if not isinstance(value, list | tuple) or len(value) not in (2, 3):
        errors.add(pointer, f"must be a position [longitude, latitude], not {value!r}")
        return None
    before = len(errors.items)
    numbers = [_number(errors, v, f"{pointer}/{i}") for i, v in enumerate(value)]
    if len(errors.items) > before:
        return None
    lon, lat = numbers[0], numbers[1]
    if lon is None or lat is None:
        return None
    if not -180.0 <= lon <= 180.0:
        errors.add(f"{pointer}/0", f"longitude {lon} is outside [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        errors.add(f"{pointer}/1", f"latitude {lat} is outside [-90, 90]")
    return (lon, lat) if len(errors.items) == before else None


def _ring(errors: _Errors, value: object, pointer: str) -> list[tuple[float, float]] | None:
    if not isinstance(value, list | tuple):
        errors.add(pointer, "must be a linear ring (an array of positions)")
        return None
    before = len(errors.items)
    ring = [_position(errors, v, f"{pointer}/{i}") for i, v in enumerate(value)]
    if len(errors.items) > before:
        return None
    points = [p for p in ring if p is not None]
    if len(points) < 4:
        errors.add(pointer, f"a linear ring needs at least 4 positions, got {len(points)}")
        return None
    if points[0] != points[-1]:
        errors.add(pointer, f"ring is not closed: first {points[0]} != last {points[-1]}")
        return None
    return points


def _polygon(errors: _Errors, value: object, pointer: str) -> Polygon | None:
    if not isinstance(value, list | tuple) or not value:
        errors.add(pointer, "must be a non-empty array of linear rings")
        return None
    rings = [_ring(errors, r, f"{pointer}/{i}") for i, r in enumerate(value)]
    if any(r is None for r in rings):
        return None
    shell, *holes = [r for r in rings if r is not None]
    return Polygon(shell, holes)


def _geometry(errors: _Errors, feature: Mapping[str, object]) -> Footprint | None:
    geometry = _mapping(errors, feature.get("geometry"), "/geometry", "a GeoJSON geometry object")
    if not geometry:
        return None
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        properties = feature.get("properties")
        radius = properties.get("radius_m") if isinstance(properties, Mapping) else None
        position = _position(errors, coordinates, "/geometry/coordinates")
        if radius is None:
            errors.add("/properties/radius_m", "a Point footprint needs a radius in metres")
            return None
        radius_m = _number(errors, radius, "/properties/radius_m")
        if position is None or radius_m is None:
            return None
        try:
            return Circle(position[0], position[1], radius_m)
        except InvalidInput as exc:
            errors.extend(exc, lambda p: "/properties" + p if p == "/radius_m" else "/geometry")
            return None
    if kind == "Polygon":
        shape: Polygon | MultiPolygon | None = _polygon(
            errors, coordinates, "/geometry/coordinates"
        )
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list | tuple) or not coordinates:
            errors.add("/geometry/coordinates", "must be a non-empty array of polygons")
            return None
        parts = [
            _polygon(errors, p, f"/geometry/coordinates/{i}") for i, p in enumerate(coordinates)
        ]
        shape = MultiPolygon([p for p in parts if p is not None]) if all(parts) else None
    else:
        errors.add(
            "/geometry/type", f"unsupported geometry type {kind!r} (Polygon, MultiPolygon or Point)"
        )
        return None
    if shape is None:
        return None
    try:
        return Outline(shape, Edges.LONLAT)
    except InvalidInput as exc:
        errors.extend(exc, lambda p: "/geometry" + p)
        return None


def _check_altitude(
    errors: _Errors, value_m: float, pointer: str, flight_level: float | None = None
) -> None:
    """An altitude outside limits' band is an error at `pointer`."""
    if MIN_ALT_M <= value_m <= MAX_ALT_M:
        return
    given = f"{value_m:.6g} m" if flight_level is None else f"FL{flight_level:g} ({value_m:.6g} m)"
    errors.add(pointer, f"{given} is outside {MIN_ALT_M:,.0f} m to {MAX_ALT_M:,.0f} m")


def _altitude(errors: _Errors, properties: Mapping[str, object]) -> AltitudeBand | None:
    fl_keys = ("alt_lower_fl", "alt_upper_fl")
    m_keys = ("alt_lower_m", "alt_upper_m")
    uses_fl = any(k in properties for k in fl_keys)
    if uses_fl and any(k in properties for k in m_keys):
        errors.add("/properties", "give altitudes in metres or in flight levels, not both")
        return None
    keys = fl_keys if uses_fl else m_keys
    before = len(errors.items)
    values: list[float] = []
    for key in keys:
        if key not in properties:
            errors.add(f"/properties/{key}", "is required")
            continue
        number = _number(errors, properties[key], f"/properties/{key}")
        if number is not None:
            values.append(number)
    reference = properties.get("alt_reference", "STD" if uses_fl else "W84")
    if reference not in tuple(AltitudeReference):
        errors.add("/properties/alt_reference", f"must be 'W84' or 'STD', not {reference!r}")
    elif uses_fl and reference != AltitudeReference.STD:
        errors.add("/properties/alt_reference", "flight levels are pressure altitudes ('STD')")
    if len(errors.items) > before:
        return None
    metres = [flight_level_to_m(v) for v in values] if uses_fl else values
    for key, given, value_m in zip(keys, values, metres, strict=True):
        _check_altitude(errors, value_m, f"/properties/{key}", given if uses_fl else None)
    if len(errors.items) > before:
        return None
    try:
        return AltitudeBand(metres[0], metres[1], AltitudeReference(str(reference)))
    except InvalidInput as exc:
        errors.extend(exc, lambda p: f"/properties/{keys[0] if p == '/lower_m' else keys[1]}")
        return None


def _window(
    errors: _Errors, start: object, end: object, start_at: str, end_at: str
) -> TimeWindow | None:
    times: list[datetime] = []
    for value, pointer in ((start, start_at), (end, end_at)):
        try:
            times.append(parse_utc(value, pointer))
        except InvalidInput as exc:
            errors.extend(exc)
    if len(times) < 2:
        return None
    if times[1] <= times[0]:
        errors.add(end_at, f"end {format_utc(times[1])} is not after start {format_utc(times[0])}")
        return None
    return TimeWindow(times[0], times[1])


def volume_from_geojson(feature: Mapping[str, object]) -> Volume:
    """The volume a GeoJSON Feature describes (see the module docstring for the convention)."""
    errors = _Errors()
    if not isinstance(feature, Mapping):
        raise InvalidInput.at("", "must be a GeoJSON Feature object")
    if feature.get("type", "Feature") != "Feature":
        errors.add("/type", f"must be 'Feature', not {feature.get('type')!r}")
    properties = _mapping(errors, feature.get("properties"), "/properties", "an object")
    footprint = _geometry(errors, feature)
    altitude = _altitude(errors, properties) if properties else None
    window = _window(
        errors,
        properties.get("time_start"),
        properties.get("time_end"),
        "/properties/time_start",
        "/properties/time_end",
    )
    errors.raise_if_any("invalid volume")
    if footprint is None or altitude is None or window is None:
        raise InvalidInput.at("", "invalid volume")
    return Volume(footprint, altitude, window)


def _coordinates(xy: Floats) -> list[list[float]]:
    return [[float(x), float(y)] for x, y in xy]


def _geojson_geometry(footprint: Footprint) -> dict[str, object]:
    if isinstance(footprint, Circle):
        return {"type": "Point", "coordinates": [footprint.lon_deg, footprint.lat_deg]}
    if footprint.edges is Edges.LONLAT:
        polygons = (
            list(footprint.shape.geoms)
            if isinstance(footprint.shape, MultiPolygon)
            else [footprint.shape]
        )
        parts = [
            [_coordinates(shapely.get_coordinates(ring)) for ring in [p.exterior, *p.interiors]]
            for p in polygons
        ]
    else:
        parts = [
            [_coordinates(np.stack(ring, axis=-1)) for ring in rings]
            for rings in dense_rings(footprint)
        ]
    if len(parts) == 1:
        return {"type": "Polygon", "coordinates": parts[0]}
    return {"type": "MultiPolygon", "coordinates": parts}


def volume_to_geojson(
    volume: Volume, *, id: str | None = None, properties: Mapping[str, object] | None = None
) -> dict[str, object]:
    """A GeoJSON Feature for `volume`; `properties` are added (the volume's own keys win)."""
    props: dict[str, object] = dict(properties or {})
    if isinstance(volume.footprint, Circle):
        props["radius_m"] = volume.footprint.radius_m
    props.update(
        alt_lower_m=volume.altitude.lower_m,
        alt_upper_m=volume.altitude.upper_m,
        alt_reference=str(volume.altitude.reference),
        time_start=format_utc(volume.window.start),
        time_end=format_utc(volume.window.end),
    )
    feature: dict[str, object] = {"type": "Feature"}
    if id is not None:
        feature["id"] = id
    feature["geometry"] = _geojson_geometry(volume.footprint)
    feature["properties"] = props
    return feature


def _lat_lng(errors: _Errors, value: object, pointer: str) -> tuple[float, float] | None:
    point = _mapping(errors, value, pointer, "an object with 'lat' and 'lng'")
    if not point:
        return None
    before = len(errors.items)
    lat = _number(errors, point.get("lat"), f"{pointer}/lat")
    lng = _number(errors, point.get("lng"), f"{pointer}/lng")
    if lat is not None and not -90.0 <= lat <= 90.0:
        errors.add(f"{pointer}/lat", f"latitude {lat} is outside [-90, 90]")
    if lng is not None and not -180.0 <= lng <= 180.0:
        errors.add(f"{pointer}/lng", f"longitude {lng} is outside [-180, 180]")
    if len(errors.items) > before or lat is None or lng is None:
        return None
    return lng, lat


def _measure(errors: _Errors, value: object, pointer: str, *, reference: bool) -> float | None:
    obj = _mapping(errors, value, pointer, "an object with 'value' and 'units'")
    if not obj:
        return None
    number = _number(errors, obj.get("value"), f"{pointer}/value")
    if obj.get("units") != "M":
        errors.add(f"{pointer}/units", f"must be 'M', not {obj.get('units')!r}")
    if reference and obj.get("reference") != "W84":
        errors.add(f"{pointer}/reference", f"must be 'W84', not {obj.get('reference')!r}")
    return number


def _f3548_polygon(errors: _Errors, value: object) -> Outline | None:
    pointer = "/volume/outline_polygon"
    polygon = _mapping(errors, value, pointer, "an object with 'vertices'")
    vertices = polygon.get("vertices") if polygon else None
    if not isinstance(vertices, list | tuple):
        errors.add(f"{pointer}/vertices", "must be an array of {lat, lng} points")
        return None
    before = len(errors.items)
    points = [_lat_lng(errors, v, f"{pointer}/vertices/{i}") for i, v in enumerate(vertices)]
    if len(errors.items) > before:
        return None
    ring = [p for p in points if p is not None]
    if len(ring) > 3 and ring[0] == ring[-1]:
        ring = ring[:-1]
    if len(ring) < 3:
        errors.add(f"{pointer}/vertices", f"a polygon needs at least 3 vertices, got {len(ring)}")
        return None
    count = len(ring)

    def rename(p: str) -> str:
        parts = p.split("/")
        if len(parts) >= 4 and parts[3].isdigit():
            field = {"0": "/lng", "1": "/lat"}.get(parts[4], "") if len(parts) > 4 else ""
            return f"{pointer}/vertices/{int(parts[3]) % count}{field}"
        return pointer

    closed = np.array([*ring, ring[0]], dtype=np.float64)
    try:
        shape = split_geodesic_ring(closed[:, 0], closed[:, 1], pointer)
    except InvalidInput as exc:
        errors.extend(exc)
        return None
    try:
        return Outline(shape, Edges.GEODESIC)
    except InvalidInput as exc:
        errors.extend(exc, rename if isinstance(shape, Polygon) else lambda p: pointer)
        return None


def volume_from_f3548(obj: Mapping[str, object]) -> Volume:
    """The volume an ASTM F3548 `Volume4D` object describes."""
    errors = _Errors()
    if not isinstance(obj, Mapping):
        raise InvalidInput.at("", "must be a Volume4D object")
    volume = _mapping(errors, obj.get("volume"), "/volume", "a Volume3D object")
    footprint: Footprint | None = None
    has_polygon = volume.get("outline_polygon") is not None
    has_circle = volume.get("outline_circle") is not None
    if has_polygon == has_circle and volume:
        errors.add("/volume", "give exactly one of outline_polygon and outline_circle")
    elif has_polygon:
        footprint = _f3548_polygon(errors, volume["outline_polygon"])
    elif has_circle:
        circle = _mapping(errors, volume["outline_circle"], "/volume/outline_circle", "an object")
        centre = _lat_lng(errors, circle.get("center"), "/volume/outline_circle/center")
        radius_m = _measure(
            errors, circle.get("radius"), "/volume/outline_circle/radius", reference=False
        )
        if centre is not None and radius_m is not None:
            try:
                footprint = Circle(centre[0], centre[1], radius_m)
            except InvalidInput as exc:
                errors.extend(exc, lambda p: "/volume/outline_circle/radius/value")
    lower = _measure(errors, volume.get("altitude_lower"), "/volume/altitude_lower", reference=True)
    upper = _measure(errors, volume.get("altitude_upper"), "/volume/altitude_upper", reference=True)
    altitude = None
    before = len(errors.items)
    for value_m, name in ((lower, "lower"), (upper, "upper")):
        if value_m is not None:
            _check_altitude(errors, value_m, f"/volume/altitude_{name}/value")
    if lower is not None and upper is not None and len(errors.items) == before:
        try:
            altitude = AltitudeBand(lower, upper, AltitudeReference.W84)
        except InvalidInput as exc:
            errors.extend(exc, lambda p: "/volume/altitude_lower/value")
    times = []
    for name in ("time_start", "time_end"):
        time = _mapping(errors, obj.get(name), f"/{name}", "an object with 'value' and 'format'")
        if time and time.get("format") != "RFC3339":
            errors.add(f"/{name}/format", f"must be 'RFC3339', not {time.get('format')!r}")
        times.append(time.get("value"))
    window = _window(errors, times[0], times[1], "/time_start/value", "/time_end/value")
    errors.raise_if_any("invalid Volume4D")
    if footprint is None or altitude is None or window is None:
        raise InvalidInput.at("", "invalid Volume4D")
    return Volume(footprint, altitude, window)


def _f3548_vertices(outline: Outline) -> list[dict[str, float]]:
    shape = merge_across_antimeridian(outline.shape)
    if not isinstance(shape, Polygon):
        raise InvalidInput.at(
            "/coordinates", "F3548 outline_polygon is one polygon; this footprint has several"
        )
    if shape.interiors:
        raise InvalidInput.at(
            "/coordinates", "F3548 outline_polygon has no holes; this footprint has some"
        )
    xy = shapely.get_coordinates(shape.exterior)
    if outline.edges is Edges.LONLAT:
        lon, lat = densify_lonlat(xy[:, 0], xy[:, 1])
        xy = np.stack([lon, lat], axis=-1)
    lon = wrap_lon(xy[:-1, 0])
    return [{"lat": float(y), "lng": float(x)} for x, y in zip(lon, xy[:-1, 1], strict=True)]


def volume_to_f3548(volume: Volume) -> dict[str, object]:
    """An ASTM F3548 `Volume4D` object for `volume` (W84 altitudes only; no holes)."""
    if volume.altitude.reference is not AltitudeReference.W84:
        raise InvalidInput.at(
            "/altitude/reference",
            f"F3548 altitudes are W84; this volume's are {volume.altitude.reference}",
        )
    footprint = volume.footprint
    outline: dict[str, object]
    if isinstance(footprint, Circle):
        outline = {
            "outline_circle": {
                "center": {"lat": footprint.lat_deg, "lng": footprint.lon_deg},
                "radius": {"value": footprint.radius_m, "units": "M"},
            }
        }
    else:
        outline = {"outline_polygon": {"vertices": _f3548_vertices(footprint)}}

    def altitude(value_m: float) -> dict[str, object]:
        return {"value": value_m, "reference": "W84", "units": "M"}

    return {
        "volume": {
            **outline,
            "altitude_lower": altitude(volume.altitude.lower_m),
            "altitude_upper": altitude(volume.altitude.upper_m),
        },
        "time_start": {"value": format_utc(volume.window.start), "format": "RFC3339"},
        "time_end": {"value": format_utc(volume.window.end), "format": "RFC3339"},
    }
