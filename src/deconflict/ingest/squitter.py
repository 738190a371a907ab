"""Extended squitters (DF17) made from aircraft states: what a transponder would send.

For simulations that feed the service through the same Beast path as a receiver, for
benchmarks on frames made from recorded traffic, and for tests whose independent decoder
(rs1090) reads them back. SI units in; the message's own units (feet, knots, ft/min) inside.
"""

from __future__ import annotations

import math

from deconflict.ingest.cpr import CPR_SCALE, number_of_longitude_zones
from deconflict.ingest.parity import remainders
from deconflict.units import FOOT_M, KNOT_MPS

__all__ = [
    "airborne_position",
    "airborne_velocity",
    "identification",
    "surface_position",
    "transmissions",
    "with_parity",
]

_DF17_CA5 = (17 << 3) | 5
_CALLSIGN_CHARSET = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"
_FPM_PER_MPS = 60.0 / FOOT_M


def with_parity(message: bytes) -> bytes:
    """The message with its 24 parity bits set so that the whole has remainder 0."""
    blank = message + b"\x00\x00\x00"
    parity = int(remainders([blank])[0])
    return message + parity.to_bytes(3, "big")


def _squitter(icao24: str, me: int) -> bytes:
    return with_parity(bytes([_DF17_CA5]) + bytes.fromhex(icao24) + me.to_bytes(7, "big"))


def _cpr_encode(lat: float, lon: float, odd: bool, span: float) -> tuple[int, int]:
    parity = 1 if odd else 0
    dlat = span / (60 - parity)
    yz = math.floor(CPR_SCALE * (lat % dlat) / dlat + 0.5)
    rlat = dlat * (yz / CPR_SCALE + math.floor(lat / dlat))
    zones = max(number_of_longitude_zones(rlat) - parity, 1)
    dlon = span / zones
    xz = math.floor(CPR_SCALE * (lon % dlon) / dlon + 0.5)
    return yz % CPR_SCALE, xz % CPR_SCALE


def _altitude_code(alt_ft: float) -> int:
    """The 12-bit altitude field in 25 ft steps (Q bit set)."""
    n = max(0, min(round((alt_ft + 1000.0) / 25.0), 0x7FF))
    return ((n & 0x7F0) << 1) | 0x10 | (n & 0xF)


def airborne_position(
    icao24: str, lat: float, lon: float, alt_m: float, *, odd: bool, gnss: bool = False
) -> bytes:
    """An airborne position: type code 11 with barometric altitude, or 20 with GNSS height
    (the same 25 ft code)."""
    lat_cpr, lon_cpr = _cpr_encode(lat, lon, odd, 360.0)
    tc, altitude = (20 if gnss else 11), _altitude_code(alt_m / FOOT_M)
    me = (tc << 51) | (altitude << 36) | (int(odd) << 34) | (lat_cpr << 17) | lon_cpr
    return _squitter(icao24, me)


def surface_position(icao24: str, lat: float, lon: float, trk_deg: float, *, odd: bool) -> bytes:
    """A surface position (type code 7), stopped, with a valid track."""
    lat_cpr, lon_cpr = _cpr_encode(lat, lon, odd, 90.0)
    movement, track = 1, round(trk_deg % 360.0 * 128 / 360.0) % 128
    me = (7 << 51) | (movement << 44) | (1 << 43) | (track << 36) | (int(odd) << 34)
    return _squitter(icao24, me | (lat_cpr << 17) | lon_cpr)


def airborne_velocity(icao24: str, gs_mps: float, trk_deg: float, vs_mps: float) -> bytes:
    """An airborne velocity over ground (type code 19, subtype 1)."""
    east = gs_mps / KNOT_MPS * math.sin(math.radians(trk_deg))
    north = gs_mps / KNOT_MPS * math.cos(math.radians(trk_deg))
    v_ew = min(round(abs(east)) + 1, 1023)
    v_ns = min(round(abs(north)) + 1, 1023)
    rate = min(round(abs(vs_mps) * _FPM_PER_MPS / 64) + 1, 511)
    me = (19 << 51) | (1 << 48) | (int(east < 0) << 42) | (v_ew << 32)
    me |= (int(north < 0) << 31) | (v_ns << 21) | (int(vs_mps < 0) << 19) | (rate << 10)
    return _squitter(icao24, me)


def identification(icao24: str, callsign: str) -> bytes:
    """An identification message (type code 4) with up to 8 characters of callsign."""
    me = 4 << 51
    for index, char in enumerate(callsign.upper().ljust(8)[:8]):
        code = _CALLSIGN_CHARSET.find(char)
        me |= (code if code > 0 else 32) << (42 - 6 * index)
    return _squitter(icao24, me)


def transmissions(
    second: int,
    icao24: str,
    lat: float,
    lon: float,
    alt_m: float,
    gs_mps: float,
    trk_deg: float,
    vs_mps: float,
    callsign: str | None = None,
) -> list[bytes]:
    """What a transponder sends in one second of flight, thinned to a regular pattern: a
    position every second (even and odd in turn), a velocity every other second, and an
    identification every tenth."""
    messages = [airborne_position(icao24, lat, lon, alt_m, odd=bool(second % 2))]
    if second % 2 == 0:
        messages.append(airborne_velocity(icao24, gs_mps, trk_deg, vs_mps))
    if second % 10 == 0 and callsign:
        messages.append(identification(icao24, callsign))
    return messages
