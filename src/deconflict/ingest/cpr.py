"""Compact Position Reporting: ADS-B latitude and longitude from 17-bit CPR fractions.

Global decoding needs an even and an odd message close in time; local decoding needs a
reference position within half a zone (180 NM airborne, 45 NM on the surface). The formulas
are those of ICAO Annex 10 vol. IV and DO-260B, as in "The 1090 MHz Riddle" (Sun, 2021).
Degrees in, degrees out; `None` where the messages cannot be resolved.
"""

from __future__ import annotations

import bisect
import math

__all__ = ["CPR_SCALE", "airborne_global", "local", "number_of_longitude_zones"]

CPR_SCALE = 2**17
"""CPR fields are 17-bit fractions of a zone."""
_ZONES = 15
_AIRBORNE_SPAN_DEG = 360.0
_SURFACE_SPAN_DEG = 90.0


def _zone_formula(lat_deg: float) -> int:
    """NL(lat) straight from its definition (ICAO Annex 10 vol. IV)."""
    lat = abs(lat_deg)
    if lat < 1e-9:
        return 59
    if abs(lat - 87.0) < 1e-9:
        return 2
    if lat > 87.0:
        return 1
    a = 1.0 - math.cos(math.pi / (2 * _ZONES))
    b = math.cos(math.radians(lat)) ** 2
    return math.floor(2 * math.pi / math.acos(1.0 - a / b))


def _transitions() -> list[float]:
    """The latitudes where NL drops by one, ascending: NL(lat) is 59 minus how many lie below
    |lat|. Found once by bisection on the formula, as the reference decoders tabulate them."""
    edges = []
    for zones in range(59, 1, -1):
        low, high = 0.0, 87.0
        for _ in range(60):
            mid = (low + high) / 2
            low, high = (mid, high) if _zone_formula(mid) >= zones else (low, mid)
        edges.append(high)
    return edges


_TRANSITIONS = _transitions()


def number_of_longitude_zones(lat_deg: float) -> int:
    """NL(lat): how many longitude zones a latitude band holds (59 at the equator, 1 at a pole)."""
    lat = abs(lat_deg)
    if lat > 87.0:
        return 1
    zones = 59 - bisect.bisect_right(_TRANSITIONS, lat)
    return zones if zones > 2 else 2


def airborne_global(
    even: tuple[int, int], odd: tuple[int, int], latest_is_odd: bool
) -> tuple[float, float] | None:
    """The position from an even and an odd airborne pair of (lat_cpr, lon_cpr), at the time of
    the later one; None when the two lie in different latitude zones (the pair straddles a
    zone boundary and must wait for a fresh pair)."""
    lat_e, lon_e = even[0] / CPR_SCALE, even[1] / CPR_SCALE
    lat_o, lon_o = odd[0] / CPR_SCALE, odd[1] / CPR_SCALE
    dlat_e = _AIRBORNE_SPAN_DEG / (4 * _ZONES)
    dlat_o = _AIRBORNE_SPAN_DEG / (4 * _ZONES - 1)
    j = math.floor(59 * lat_e - 60 * lat_o + 0.5)
    rlat_e = dlat_e * (j % 60 + lat_e)
    rlat_o = dlat_o * (j % 59 + lat_o)
    rlat_e = rlat_e - 360.0 if rlat_e >= 270.0 else rlat_e
    rlat_o = rlat_o - 360.0 if rlat_o >= 270.0 else rlat_o
    if not (-90.0 <= rlat_e <= 90.0 and -90.0 <= rlat_o <= 90.0):
        return None
    nl = number_of_longitude_zones(rlat_e)
    if nl != number_of_longitude_zones(rlat_o):
        return None
    m = math.floor(lon_e * (nl - 1) - lon_o * nl + 0.5)
    if latest_is_odd:
        lat, zones, fraction = rlat_o, max(nl - 1, 1), lon_o
    else:
        lat, zones, fraction = rlat_e, max(nl, 1), lon_e
    lon = (_AIRBORNE_SPAN_DEG / zones) * (m % zones + fraction)
    lon = lon - 360.0 if lon >= 180.0 else lon
    return lat, lon


def local(
    cpr: tuple[int, int], is_odd: bool, reference: tuple[float, float], *, surface: bool = False
) -> tuple[float, float]:
    """The position nearest `reference` (lat, lon in degrees) that fits one CPR message. Right
    only if the aircraft is within half a zone of the reference; the caller checks the range."""
    span = _SURFACE_SPAN_DEG if surface else _AIRBORNE_SPAN_DEG
    lat_cpr, lon_cpr = cpr[0] / CPR_SCALE, cpr[1] / CPR_SCALE
    ref_lat, ref_lon = reference
    parity = 1 if is_odd else 0
    dlat = span / (4 * _ZONES - parity)
    j = math.floor(ref_lat / dlat) + math.floor(0.5 + (ref_lat % dlat) / dlat - lat_cpr)
    lat = dlat * (j + lat_cpr)
    zones = max(number_of_longitude_zones(lat) - parity, 1)
    dlon = span / zones
    m = math.floor(ref_lon / dlon) + math.floor(0.5 + (ref_lon % dlon) / dlon - lon_cpr)
    lon = dlon * (m + lon_cpr)
    lon = ((lon + 180.0) % 360.0) - 180.0
    return lat, lon
