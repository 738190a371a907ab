"""Recorded traffic replayed as the current time: what `deconflict replay` sends, and when.

A recording is read once into time-ordered states (a `traffic` state-vector file, or a raw
Beast recording decoded by the live path's decoder), optionally moved onto another area, and
then scheduled: a state recorded `d` seconds after the first is due `d / speed` seconds after
the replay starts, and carries that moment as its time. Positions and speeds are as recorded
(m, m/s); only time is scaled. With `loop`, the recording starts again after its last state.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from deconflict.ingest.adsb import decode_beast
from deconflict.ingest.beast import ESCAPE
from deconflict.ingest.states import read_state_vectors

__all__ = ["Recorded", "Schedule", "read_recording", "shifted"]

_LOOP_GAP_S = 1.0
"""Recording seconds between the last state of one pass and the first of the next."""


@dataclass(frozen=True, slots=True)
class Recorded:
    """One recorded state of one aircraft, at recording time `t_s`."""

    t_s: float
    icao24: str
    lat: float
    lon: float
    alt_m: float
    gs_mps: float
    trk_deg: float
    vs_mps: float
    callsign: str | None
    on_ground: bool


def read_recording(path: Path) -> list[Recorded]:
    """The complete states of a recording, in time order. A file whose first byte is the Beast
    escape is a Beast recording; anything else is read as state vectors (JSON or Parquet)."""
    with path.open("rb") as source:
        first = source.read(1)
    if first == bytes([ESCAPE]):
        return _from_beast(path)
    return _from_state_vectors(path)


def _from_beast(path: Path) -> list[Recorded]:
    positions, _ = decode_beast([path.read_bytes()])
    states = [
        Recorded(
            t_s=p.t_s,
            icao24=p.icao24,
            lat=p.lat,
            lon=p.lon,
            alt_m=0.0 if p.surface else p.alt_m if p.alt_m is not None else math.nan,
            gs_mps=p.gs_mps if p.gs_mps is not None else math.nan,
            trk_deg=p.trk_deg if p.trk_deg is not None else math.nan,
            vs_mps=p.vs_mps if p.vs_mps is not None else 0.0,
            callsign=p.callsign,
            on_ground=p.surface,
        )
        for p in positions
    ]
    return sorted((s for s in states if _complete(s)), key=lambda s: s.t_s)


def _complete(state: Recorded) -> bool:
    return all(map(math.isfinite, (state.alt_m, state.gs_mps, state.trk_deg, state.vs_mps)))


def _from_state_vectors(path: Path) -> list[Recorded]:
    vectors = read_state_vectors(path)
    values = np.stack(
        [
            vectors.lat_deg,
            vectors.lon_deg,
            vectors.alt_m,
            vectors.gs_mps,
            vectors.trk_deg,
            np.nan_to_num(vectors.vs_mps, nan=0.0),
        ]
    )
    usable = np.isfinite(values).all(axis=0) & np.isfinite(vectors.t_s)
    order = np.flatnonzero(usable)
    order = order[np.argsort(vectors.t_s[order], kind="stable")]
    return [
        Recorded(
            t_s=float(vectors.t_s[k]),
            icao24=str(vectors.icao24[k]),
            lat=float(values[0, k]),
            lon=float(values[1, k]),
            alt_m=float(values[2, k]),
            gs_mps=float(values[3, k]),
            trk_deg=float(values[4, k]) % 360.0,
            vs_mps=float(values[5, k]),
            callsign=str(vectors.callsign[k]) or None,
            on_ground=bool(vectors.onground[k]),
        )
        for k in order.tolist()
    ]


def shifted(states: Sequence[Recorded], to: tuple[float, float]) -> list[Recorded]:
    """The states moved so that the middle of their extent lies at `to` (lat, lon), keeping
    north-south distances and east-west distances at each latitude (longitudes are rescaled
    by the change in cos(latitude))."""
    if not states:
        return []
    lats = [s.lat for s in states]
    lons = [s.lon for s in states]
    mid_lat = (min(lats) + max(lats)) / 2
    mid_lon = (min(lons) + max(lons)) / 2
    dlat = to[0] - mid_lat
    moved = []
    for s in states:
        lat = max(-89.9, min(89.9, s.lat + dlat))
        scale = math.cos(math.radians(s.lat)) / max(math.cos(math.radians(lat)), 1e-6)
        lon = to[1] + (s.lon - mid_lon) * scale
        moved.append(replace(s, lat=lat, lon=((lon + 180.0) % 360.0) - 180.0))
    return moved


class Schedule:
    """When each state is due, in seconds after the replay started, and its replay time."""

    def __init__(self, states: Sequence[Recorded], speed: float, *, loop: bool = False) -> None:
        if not speed > 0 or not math.isfinite(speed):
            raise ValueError("speed must be a positive number")
        self.states = list(states)
        self.speed = speed
        self.loop = loop
        self._first = self.states[0].t_s if self.states else 0.0
        last = self.states[-1].t_s if self.states else 0.0
        self.pass_s = (last - self._first + _LOOP_GAP_S) / speed
        """How long one pass through the recording lasts, in replay seconds."""
        self._next = 0
        self._pass = 0

    @property
    def finished(self) -> bool:
        return not self.states or (not self.loop and self._next >= len(self.states))

    def next_due_s(self) -> float | None:
        """When the next state falls due, or None when the replay is over."""
        if self.finished:
            return None
        return self._offset(self.states[self._next])

    def due(self, elapsed_s: float) -> list[tuple[Recorded, float]]:
        """Every state due by `elapsed_s` not handed out before, with its replay offset."""
        out: list[tuple[Recorded, float]] = []
        while not self.finished:
            state = self.states[self._next]
            offset = self._offset(state)
            if offset > elapsed_s:
                break
            out.append((state, offset))
            self._next += 1
            if self.loop and self._next == len(self.states):
                self._next, self._pass = 0, self._pass + 1
        return out

    def _offset(self, state: Recorded) -> float:
        return (state.t_s - self._first) / self.speed + self._pass * self.pass_s
