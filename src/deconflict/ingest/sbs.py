"""SBS-1 (BaseStation) text, as dump1090 and readsb serve it on TCP port 30003.

Each line is `MSG,<type>,…` with 22 comma-separated fields: the hex address in field 4, then
callsign (10), altitude in feet (11), ground speed in knots (12), track (13), latitude (14),
longitude (15), vertical rate in ft/min (16), squawk (17) and on-ground (21), each filled only
by the message types that carry it (1 identification, 2 surface position, 3 airborne position,
4 velocity, 5 to 8 surveillance and all-call). The line's own dates are the receiver's local time
and are not used: each line is timed by when it was received. A line that cannot be read is
counted (`malformed`, `unknown_type`, `out_of_range`) and skipped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

from deconflict.ingest.aircraft import AircraftStates, Position, position_of
from deconflict.units import feet_per_minute_to_mps, feet_to_m, knots_to_mps

__all__ = ["SBS_REASONS", "SbsDecoder"]

SBS_REASONS = ("malformed", "unknown_type", "out_of_range", "implausible")
_FIELDS = 22
_ADDRESS = re.compile(r"[0-9A-Fa-f]{6}")
_SQUAWK = re.compile(r"[0-7]{4}")
_MAX_LINE_CHARS = 512


class SbsDecoder:
    """Lines to positions, sharing the aircraft state (and its plausibility check) of ADS-B."""

    def __init__(self, states: AircraftStates | None = None) -> None:
        self.states = states if states is not None else AircraftStates()

    def decode(
        self, lines: Sequence[str], times_s: Sequence[float], counts: Counter[str]
    ) -> list[Position]:
        if len(lines) != len(times_s):
            raise ValueError("one time per line")
        positions: list[Position] = []
        for line, t_s in zip(lines, times_s, strict=True):
            if not line.strip():
                continue
            counts["lines"] += 1
            found = self._line(line, t_s, counts)
            if found is not None:
                positions.append(found)
        return positions

    def _line(self, line: str, t_s: float, counts: Counter[str]) -> Position | None:
        fields = line.strip().split(",")
        if len(line) > _MAX_LINE_CHARS or len(fields) < _FIELDS or fields[0] != "MSG":
            counts["malformed"] += 1
            return None
        kind = fields[1]
        if kind not in {"1", "2", "3", "4", "5", "6", "7", "8"}:
            counts["unknown_type"] += 1
            return None
        if not _ADDRESS.fullmatch(fields[4]):
            counts["malformed"] += 1
            return None
        try:
            values = _values(fields)
        except ValueError:
            counts["malformed"] += 1
            return None
        if values is None:
            counts["out_of_range"] += 1
            return None
        counts[f"msg{kind}"] += 1
        plane = self.states.get(fields[4].lower())
        if t_s > plane.last_heard_t_s:
            plane.last_heard_t_s = t_s
        callsign, alt_ft, gs_kt, track, lat, lon, rate_fpm, squawk, on_ground = values
        if callsign:
            plane.callsign, plane.callsign_t_s = callsign, t_s
        if alt_ft is not None:
            plane.alt_m, plane.alt_t_s = feet_to_m(alt_ft), t_s
        if gs_kt is not None and track is not None:
            plane.gs_mps, plane.trk_deg, plane.velocity_t_s = knots_to_mps(gs_kt), track, t_s
        if rate_fpm is not None:
            plane.vs_mps, plane.vs_t_s = feet_per_minute_to_mps(rate_fpm), t_s
        if squawk:
            plane.squawk, plane.squawk_t_s = squawk, t_s
        if lat is None or lon is None:
            return None
        surface = kind == "2" or on_ground is True
        if not self.states.place(plane, (lat, lon), t_s, surface=surface, counts=counts):
            return None
        return position_of(plane, t_s, None, gnss=False)


_Values = tuple[
    str | None,
    float | None,
    float | None,
    float | None,
    float | None,
    float | None,
    float | None,
    str | None,
    bool | None,
]


def _number(text: str) -> float | None:
    if not text.strip():
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _values(fields: list[str]) -> _Values | None:
    """The fields in the feed's units; None if one is out of range. ValueError: not a number."""
    callsign = fields[10].strip() or None
    alt_ft, gs_kt, track = _number(fields[11]), _number(fields[12]), _number(fields[13])
    lat, lon, rate = _number(fields[14]), _number(fields[15]), _number(fields[16])
    squawk = fields[17].strip() or None
    ground = fields[21].strip()
    if squawk is not None and not _SQUAWK.fullmatch(squawk):
        raise ValueError(squawk)
    if (lat is None) != (lon is None):
        raise ValueError("latitude without longitude")
    in_range = (
        (lat is None or -90 <= lat <= 90)
        and (lon is None or -180 <= lon <= 180)
        and (alt_ft is None or -2_000 <= alt_ft <= 330_000)
        and (gs_kt is None or 0 <= gs_kt <= 3_000)
        and (track is None or 0 <= track <= 360)
        and (rate is None or abs(rate) <= 40_000)
        and (callsign is None or len(callsign) <= 8)
    )
    if not in_range:
        return None
    on_ground = {"-1": True, "1": True, "0": False, "": None}.get(ground)
    return (
        callsign,
        alt_ft,
        gs_kt,
        None if track is None else track % 360.0,
        lat,
        lon,
        rate,
        squawk,
        on_ground,
    )
