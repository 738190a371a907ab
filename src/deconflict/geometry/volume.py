"""The 4D volume: a footprint on the ground, an altitude band and a time window.

Coordinates are degrees WGS84 (lon, lat), altitudes metres, times timezone-aware UTC.
Constructors validate and raise `InvalidInput` naming the bad field, so a `Volume`
that exists is a valid one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LinearRing, MultiPolygon, Polygon

from deconflict.arrays import Floats
from deconflict.clock import require_utc
from deconflict.errors import FieldError, InvalidInput

__all__ = [
    "AltitudeBand",
    "AltitudeReference",
    "Circle",
    "Edges",
    "Footprint",
    "Outline",
    "TimeWindow",
    "Volume",
]


_GEOD = Geod(ellps="WGS84")


class AltitudeReference(StrEnum):
    """What an altitude is measured from; comparing across references needs a margin."""

    W84 = "W84"
    """Height above the WGS84 ellipsoid, metres."""
    STD = "STD"
    """Pressure altitude on the standard atmosphere (flight levels), metres."""


class Edges(StrEnum):
    """How a polygon's edges run between its vertices."""

    LONLAT = "lonlat"
    """Straight in longitude/latitude, as GeoJSON says (RFC 7946 §3.1.1)."""
    GEODESIC = "geodesic"
    """Shortest path on the ellipsoid, as ASTM F3548 says."""


def _finite(pointer: str, value: float) -> FieldError | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return FieldError(pointer, "must be a number")
    if not math.isfinite(value):
        return FieldError(pointer, "must be a finite number")
    return None


def _position_errors(pointer: str, lon: float, lat: float) -> list[FieldError]:
    errors = [e for e in (_finite(pointer + "/0", lon), _finite(pointer + "/1", lat)) if e]
    if errors:
        return errors
    if not -180.0 <= lon <= 180.0:
        errors.append(FieldError(pointer + "/0", f"longitude {lon} is outside [-180, 180]"))
    if not -90.0 <= lat <= 90.0:
        errors.append(FieldError(pointer + "/1", f"latitude {lat} is outside [-90, 90]"))
    return errors


@dataclass(frozen=True, slots=True)
class Circle:
    """A circle on the ground: centre in degrees, radius in metres."""

    lon_deg: float
    lat_deg: float
    radius_m: float

    def __post_init__(self) -> None:
        errors = _position_errors("/center", self.lon_deg, self.lat_deg)
        bad_radius = _finite("/radius_m", self.radius_m)
        if bad_radius:
            errors.append(bad_radius)
        elif self.radius_m <= 0:
            errors.append(FieldError("/radius_m", f"radius {self.radius_m} m must be > 0"))
        if errors:
            raise InvalidInput("invalid circle", errors)
        pole_lat = 90.0 if self.lat_deg >= 0 else -90.0
        _, _, to_pole_m = _GEOD.inv(self.lon_deg, self.lat_deg, self.lon_deg, pole_lat)
        if to_pole_m <= self.radius_m:
            raise InvalidInput.at(
                "/radius_m",
                f"circle of radius {self.radius_m} m around ({self.lon_deg}, {self.lat_deg}) "
                f"reaches the pole ({to_pole_m:.0f} m away); footprints may not",
            )


@dataclass(frozen=True, slots=True)
class Outline:
    """A polygon or multipolygon footprint in (lon, lat) degrees and the rule its edges follow.

    Besides a valid polygon with area, a footprint may not reach a pole (no vertex at +-90
    latitude) and no edge may span more than 180 degrees of longitude (for geodesic edges, 180
    or more, which would pass over a pole): a shape that crosses the antimeridian is split there
    into a MultiPolygon (RFC 7946 section 3.1.9). Together these rule out rings around a pole.
    """

    shape: Polygon | MultiPolygon
    edges: Edges = Edges.LONLAT

    def __post_init__(self) -> None:
        if not isinstance(self.shape, Polygon | MultiPolygon):
            raise InvalidInput.at("/coordinates", "footprint must be a Polygon or MultiPolygon")
        if self.shape.is_empty:
            raise InvalidInput.at("/coordinates", "footprint is empty")
        coords = shapely.get_coordinates(self.shape)
        (min_lon, min_lat), (max_lon, max_lat) = coords.min(axis=0), coords.max(axis=0)
        if not (min_lon >= -180.0 and max_lon <= 180.0 and min_lat >= -90.0 and max_lat <= 90.0):
            errors: list[FieldError] = []
            for prefix, ring in _rings_with_pointers(self.shape):
                for v, (lon, lat) in enumerate(shapely.get_coordinates(ring)):
                    errors.extend(_position_errors(f"{prefix}/{v}", float(lon), float(lat)))
            raise InvalidInput("invalid footprint coordinates", errors)
        if min_lat == -90.0 or max_lat == 90.0 or max_lon - min_lon >= 180.0:
            errors = []
            for prefix, ring in _rings_with_pointers(self.shape):
                errors.extend(_ring_span_errors(prefix, shapely.get_coordinates(ring), self.edges))
            if errors:
                raise InvalidInput("invalid footprint", errors)
        if not self.shape.is_valid:
            reason = shapely.is_valid_reason(self.shape)
            raise InvalidInput.at("/coordinates", f"invalid polygon: {reason}")
        if self.shape.area == 0:
            raise InvalidInput.at("/coordinates", "polygon has no area")


def _rings_with_pointers(shape: Polygon | MultiPolygon) -> list[tuple[str, LinearRing]]:
    """Every ring with the JSON pointer of its coordinate array in the GeoJSON geometry."""
    parts = list(shape.geoms) if isinstance(shape, MultiPolygon) else [shape]
    out: list[tuple[str, LinearRing]] = []
    for p, part in enumerate(parts):
        prefix = f"/coordinates/{p}" if isinstance(shape, MultiPolygon) else "/coordinates"
        out.extend(
            (f"{prefix}/{r}", ring) for r, ring in enumerate([part.exterior, *part.interiors])
        )
    return out


def _ring_span_errors(prefix: str, coords: Floats, edges: Edges) -> list[FieldError]:
    errors = [
        FieldError(f"{prefix}/{v}/1", f"latitude {lat} reaches a pole; footprints may not")
        for v, lat in enumerate(coords[:, 1])
        if abs(lat) == 90.0
    ]
    spans = np.abs(np.diff(coords[:, 0]))
    too_wide = spans > 180.0 if edges is Edges.LONLAT else spans >= 180.0
    for v in np.flatnonzero(too_wide):
        errors.append(
            FieldError(
                f"{prefix}/{v + 1}",
                f"edge from vertex {v} to {v + 1} spans {spans[v]:g} degrees of longitude "
                "(limit 180); split the shape at the antimeridian",
            )
        )
    return errors


Footprint = Circle | Outline


@dataclass(frozen=True, slots=True)
class AltitudeBand:
    """Lower and upper altitude in metres, measured from `reference`."""

    lower_m: float
    upper_m: float
    reference: AltitudeReference = AltitudeReference.W84

    def __post_init__(self) -> None:
        errors = [
            e for e in (_finite("/lower_m", self.lower_m), _finite("/upper_m", self.upper_m)) if e
        ]
        if not errors and self.lower_m > self.upper_m:
            errors.append(
                FieldError("/lower_m", f"lower {self.lower_m} m is above upper {self.upper_m} m")
            )
        if errors:
            raise InvalidInput("invalid altitude band", errors)


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The half-open interval [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                errors.append(FieldError(f"/{name}", "must be a date-time"))
                continue
            try:
                object.__setattr__(self, name, require_utc(value))
            except ValueError:
                errors.append(FieldError(f"/{name}", "must carry a time zone (naive time refused)"))
        if not errors and self.end <= self.start:
            errors.append(FieldError("/end", "end must be after start"))
        if errors:
            raise InvalidInput("invalid time window", errors)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def shifted(self, delta: timedelta) -> TimeWindow:
        return TimeWindow(self.start + delta, self.end + delta)


@dataclass(frozen=True, slots=True)
class Volume:
    """Airspace reserved for a time: footprint x altitude band x time window."""

    footprint: Footprint
    altitude: AltitudeBand
    window: TimeWindow

    def shifted(self, delta: timedelta) -> Volume:
        return Volume(self.footprint, self.altitude, self.window.shifted(delta))
