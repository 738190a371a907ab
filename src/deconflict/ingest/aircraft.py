"""What is known of each aircraft heard on 1090 MHz, assembled from decoded messages.

One `Aircraft` per ICAO address, each field with the time it was last heard, and the CPR
messages that positions are resolved from: globally from an even/odd pair at most 10 s apart,
then locally from the last known position; surface positions locally from the receiver. A
position that implies an impossible speed from the last one is refused and counted. Times are
seconds on one clock the caller chooses (a receiver's counter, or the service clock when
several receivers feed one picture); units inside are SI.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from deconflict.detection.tactical.types import EARTH_RADIUS_M
from deconflict.ingest import cpr
from deconflict.units import NAUTICAL_MILE_M, feet_per_minute_to_mps, feet_to_m, knots_to_mps

__all__ = [
    "GLOBAL_PAIR_MAX_S",
    "LOCAL_REFERENCE_MAX_AGE_S",
    "Aircraft",
    "AircraftStates",
    "Position",
    "position_of",
]

GLOBAL_PAIR_MAX_S = 10.0
"""An even and an odd message further apart than this are not decoded together."""
LOCAL_REFERENCE_MAX_AGE_S = 300.0
"""A last known position older than this is too far behind to decode from locally."""
LOCAL_RANGE_M = 180.0 * NAUTICAL_MILE_M
"""Local airborne decoding is right within half a zone of its reference."""
SURFACE_RANGE_M = 45.0 * NAUTICAL_MILE_M
MAX_SPEED_MPS = 1_000.0
"""The fastest an aircraft is believed to move when its own ground speed is unknown."""
SPEED_MARGIN = 1.5
POSITION_SLACK_M = 1_852.0
"""CPR resolution and receive-time jitter: a jump this small is never implausible."""
_M_PER_DEG = math.radians(EARTH_RADIUS_M)
IMPLAUSIBLE_RESET = 3
"""After this many refusals in a row, the last position is the suspect one: drop it."""


@dataclass(frozen=True, slots=True)
class Position:
    """One decoded position message, with the aircraft's latest other values at that moment."""

    t_s: float
    icao24: str
    lat: float
    lon: float
    alt_m: float | None
    gnss_alt_m: float | None
    gs_mps: float | None
    trk_deg: float | None
    vs_mps: float | None
    callsign: str | None
    squawk: str | None
    surface: bool
    df: int | None
    """The downlink format it came in; None from a feed of decoded text (SBS)."""


@dataclass(slots=True)
class _Cpr:
    lat_cpr: int
    lon_cpr: int
    t_s: float


@dataclass(slots=True)
class Aircraft:
    """The latest of each value for one address, each with its own time (None: never heard)."""

    icao24: str
    lat: float | None = None
    lon: float | None = None
    position_t_s: float | None = None
    surface: bool = False
    alt_m: float | None = None
    alt_t_s: float | None = None
    gnss_alt_m: float | None = None
    gnss_alt_t_s: float | None = None
    gs_mps: float | None = None
    trk_deg: float | None = None
    velocity_t_s: float | None = None
    vs_mps: float | None = None
    vs_t_s: float | None = None
    callsign: str | None = None
    callsign_t_s: float | None = None
    squawk: str | None = None
    squawk_t_s: float | None = None
    last_heard_t_s: float = 0.0
    even: _Cpr | None = None
    odd: _Cpr | None = None
    refused: int = 0


class AircraftStates:
    """Aircraft by address, updated message by message; `counts` gains `implausible`,
    `cpr_unresolved` (no pair or reference yet, or a pair across a zone boundary) and
    `surface_no_receiver`."""

    def __init__(self, receiver: tuple[float, float] | None = None) -> None:
        self.receiver = receiver
        self.aircraft: dict[str, Aircraft] = {}

    def get(self, icao24: str) -> Aircraft:
        found = self.aircraft.get(icao24)
        if found is None:
            found = self.aircraft[icao24] = Aircraft(icao24)
        return found

    def forget_before(self, t_s: float) -> list[str]:
        """Drop aircraft not heard since `t_s`; their addresses."""
        gone = [a for a, plane in self.aircraft.items() if plane.last_heard_t_s < t_s]
        for address in gone:
            del self.aircraft[address]
        return gone

    def update(
        self, message: Mapping[str, object], df: int, t_s: float, counts: Counter[str]
    ) -> Position | None:
        """Apply one decoded message (rs1090's fields and units); the position it gives, if any."""
        plane = self.get(str(message["icao24"]))
        if t_s > plane.last_heard_t_s:
            plane.last_heard_t_s = t_s
        bds = message.get("bds")
        if df in (17, 18) and bds == "05":
            return self._airborne(plane, message, df, t_s, counts)
        if df in (17, 18) and bds == "06":
            return self._surface(plane, message, df, t_s, counts)
        if df in (17, 18) and bds == "09":
            _velocity(plane, message, t_s)
        elif df in (17, 18) and bds == "08":
            callsign = str(message.get("callsign") or "").strip("#_ ")
            if callsign:
                plane.callsign, plane.callsign_t_s = callsign, t_s
        elif df in (0, 4, 16, 20) and isinstance(message.get("altitude"), int | float):
            plane.alt_m, plane.alt_t_s = feet_to_m(float(message["altitude"])), t_s  # type: ignore[arg-type]
        if isinstance(message.get("squawk"), str):
            plane.squawk, plane.squawk_t_s = str(message["squawk"]), t_s
        return None

    def _airborne(
        self,
        plane: Aircraft,
        message: Mapping[str, object],
        df: int,
        t_s: float,
        counts: Counter[str],
    ) -> Position | None:
        fields = _cpr_fields(message, counts)
        if fields is None:
            return None
        lat_cpr, lon_cpr = fields
        altitude = message.get("altitude")
        gnss = message.get("source") == "GNSS"
        if isinstance(altitude, int | float):
            alt_m = feet_to_m(float(altitude))
            if gnss:
                plane.gnss_alt_m, plane.gnss_alt_t_s = alt_m, t_s
            else:
                plane.alt_m, plane.alt_t_s = alt_m, t_s
        is_odd = message.get("parity") == "odd"
        fresh = _Cpr(lat_cpr, lon_cpr, t_s)
        if is_odd:
            plane.odd = fresh
        else:
            plane.even = fresh
        found = self._resolve_airborne(plane, fresh, is_odd)
        if found is None:
            counts["cpr_unresolved"] += 1
            return None
        if not self.place(plane, found, t_s, surface=False, counts=counts):
            return None
        return position_of(plane, t_s, df, gnss=gnss)

    def _resolve_airborne(
        self, plane: Aircraft, fresh: _Cpr, is_odd: bool
    ) -> tuple[float, float] | None:
        other = plane.even if is_odd else plane.odd
        if other is not None and abs(fresh.t_s - other.t_s) <= GLOBAL_PAIR_MAX_S:
            even, odd = (other, fresh) if is_odd else (fresh, other)
            found = cpr.airborne_global(
                (even.lat_cpr, even.lon_cpr), (odd.lat_cpr, odd.lon_cpr), latest_is_odd=is_odd
            )
            if found is not None:
                return found
        reference = _reference(plane, fresh.t_s, surface=False)
        if reference is None:
            return None
        found = cpr.local((fresh.lat_cpr, fresh.lon_cpr), is_odd, reference)
        return found if _distance_m(reference, found) <= LOCAL_RANGE_M else None

    def _surface(
        self,
        plane: Aircraft,
        message: Mapping[str, object],
        df: int,
        t_s: float,
        counts: Counter[str],
    ) -> Position | None:
        fields = _cpr_fields(message, counts)
        if fields is None:
            return None
        lat_cpr, lon_cpr = fields
        speed, track = message.get("groundspeed"), message.get("track")
        if isinstance(speed, int | float):
            plane.gs_mps, plane.velocity_t_s = knots_to_mps(float(speed)), t_s
            plane.trk_deg = float(track) if isinstance(track, int | float) else plane.trk_deg
            plane.vs_mps, plane.vs_t_s = 0.0, t_s
        if self.receiver is None:
            counts["surface_no_receiver"] += 1
            return None
        reference = _reference(plane, t_s, surface=True) or self.receiver
        is_odd = message.get("parity") == "odd"
        found = cpr.local((lat_cpr, lon_cpr), is_odd, reference, surface=True)
        if _distance_m(self.receiver, found) > SURFACE_RANGE_M:
            counts["cpr_unresolved"] += 1
            return None
        if not self.place(plane, found, t_s, surface=True, counts=counts):
            return None
        return position_of(plane, t_s, df, gnss=False)

    def place(
        self,
        plane: Aircraft,
        found: tuple[float, float],
        t_s: float,
        *,
        surface: bool,
        counts: Counter[str],
    ) -> bool:
        """Take the position unless it is an impossible jump from the last one."""
        if plane.lat is not None and plane.lon is not None and plane.position_t_s is not None:
            elapsed = abs(t_s - plane.position_t_s)
            known = plane.gs_mps if plane.gs_mps is not None else MAX_SPEED_MPS / SPEED_MARGIN
            reach = SPEED_MARGIN * max(known, 100.0) * elapsed + POSITION_SLACK_M
            if _distance_m((plane.lat, plane.lon), found) > reach:
                counts["implausible"] += 1
                plane.refused += 1
                if plane.refused >= IMPLAUSIBLE_RESET:
                    plane.lat = plane.lon = plane.position_t_s = None
                    plane.even = plane.odd = None
                    plane.refused = 0
                return False
        plane.lat, plane.lon = found
        plane.position_t_s, plane.surface, plane.refused = t_s, surface, 0
        return True


def _cpr_fields(message: Mapping[str, object], counts: Counter[str]) -> tuple[int, int] | None:
    """The message's CPR latitude and longitude; None, counted undecodable, if it has none."""
    lat_cpr, lon_cpr = message.get("lat_cpr"), message.get("lon_cpr")
    if not isinstance(lat_cpr, int) or not isinstance(lon_cpr, int):
        counts["undecodable"] += 1
        return None
    return lat_cpr, lon_cpr


def _velocity(plane: Aircraft, message: Mapping[str, object], t_s: float) -> None:
    speed, track, rate = (
        message.get("groundspeed"),
        message.get("track"),
        message.get("vertical_rate"),
    )
    if isinstance(speed, int | float) and isinstance(track, int | float):
        plane.gs_mps, plane.trk_deg, plane.velocity_t_s = (
            knots_to_mps(float(speed)),
            float(track) % 360.0,
            t_s,
        )
    if isinstance(rate, int | float):
        plane.vs_mps, plane.vs_t_s = feet_per_minute_to_mps(float(rate)), t_s


def _reference(plane: Aircraft, t_s: float, *, surface: bool) -> tuple[float, float] | None:
    if plane.lat is None or plane.lon is None or plane.position_t_s is None:
        return None
    if plane.surface != surface or t_s - plane.position_t_s > LOCAL_REFERENCE_MAX_AGE_S:
        return None
    return plane.lat, plane.lon


def position_of(plane: Aircraft, t_s: float, df: int | None, *, gnss: bool) -> Position:
    """The position the aircraft is at now, with its latest other values."""
    assert plane.lat is not None
    assert plane.lon is not None
    return Position(
        t_s=t_s,
        icao24=plane.icao24,
        lat=plane.lat,
        lon=plane.lon,
        alt_m=None if plane.surface or gnss else plane.alt_m,
        gnss_alt_m=plane.gnss_alt_m if gnss else None,
        gs_mps=plane.gs_mps,
        trk_deg=plane.trk_deg,
        vs_mps=plane.vs_mps,
        callsign=plane.callsign,
        squawk=plane.squawk,
        surface=plane.surface,
        df=df,
    )


def _distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Distance between two (lat, lon) points in degrees, on the local tangent plane: within
    0.1 % of the great circle up to the few hundred kilometres these checks compare."""
    dlon = (b[1] - a[1] + 180.0) % 360.0 - 180.0
    dx = dlon * math.cos(math.radians((a[0] + b[0]) * 0.5))
    return _M_PER_DEG * math.hypot(b[0] - a[0], dx)
