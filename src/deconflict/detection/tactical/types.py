"""The values the tactical engine passes: aircraft states in, conflicts out.

`States` is a struct of arrays in SI units, validated once on construction, so the engine's
kernels can assume finite numbers, valid coordinates and unique ids.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from deconflict.arrays import Bools, Floats, Ints
from deconflict.errors import FieldError, InvalidInput

__all__ = [
    "DEFAULT_HPZ_M",
    "DEFAULT_LOOKAHEAD_S",
    "DEFAULT_RPZ_M",
    "EARTH_RADIUS_M",
    "States",
    "TacticalConflict",
    "check_separation",
    "east_north_mps",
]


EARTH_RADIUS_M = 6_371_000.0
"""The spherical radius of BlueSky's flat-earth `kwikqdrdist`, so our answers match its answers."""

DEFAULT_RPZ_M = 9260.0
"""Horizontal separation: 5 NM."""
DEFAULT_HPZ_M = 304.8
"""Vertical separation: 1000 ft."""
DEFAULT_LOOKAHEAD_S = 300.0

_LISTED_ERRORS = 10

_FLOAT_COLUMNS = ("lat_deg", "lon_deg", "alt_m", "gs_mps", "trk_deg", "vs_mps")


def _read_only(values: ArrayLike, name: str) -> Floats:
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInput.at(f"/{name}", f"{name} must be numbers: {exc}") from None
    if array.ndim != 1:
        raise InvalidInput.at(
            f"/{name}", f"{name} must be one-dimensional, not shape {array.shape}"
        )
    array.setflags(write=False)
    return array


def _bad_values(name: str, bad: Bools, values: Floats, rule: str) -> list[FieldError]:
    return [
        FieldError(f"/{name}/{i}", f"{name}[{i}] = {values[i]!r} {rule}")
        for i in np.flatnonzero(bad)[:_LISTED_ERRORS].tolist()
    ]


@dataclass(frozen=True, slots=True, eq=False)
class States:
    """Current states of many aircraft, one array element per aircraft, SI units.

    Positions are WGS84 degrees, `alt_m` metres, `gs_mps` ground speed (>= 0), `trk_deg` the
    true track clockwise from north, `vs_mps` the vertical rate, positive up. Arrays are copied
    and made read-only, so a `States` never changes under the engine.
    """

    ids: tuple[str, ...]
    lat_deg: Floats
    lon_deg: Floats
    alt_m: Floats
    gs_mps: Floats
    trk_deg: Floats
    vs_mps: Floats

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", tuple(self.ids))
        for name in _FLOAT_COLUMNS:
            object.__setattr__(self, name, _read_only(getattr(self, name), name))
        errors = self._errors()
        if errors:
            raise InvalidInput(f"invalid aircraft states: {errors[0].detail}", errors)

    @classmethod
    def of(
        cls,
        ids: Iterable[str],
        lat_deg: ArrayLike,
        lon_deg: ArrayLike,
        alt_m: ArrayLike,
        gs_mps: ArrayLike,
        trk_deg: ArrayLike,
        vs_mps: ArrayLike,
    ) -> States:
        """States from any sequences of ids and numbers."""
        columns = [
            _read_only(v, n)
            for n, v in zip(
                _FLOAT_COLUMNS, (lat_deg, lon_deg, alt_m, gs_mps, trk_deg, vs_mps), strict=True
            )
        ]
        return cls(tuple(ids), *columns)

    @classmethod
    def empty(cls) -> States:
        return cls.of((), (), (), (), (), (), ())

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, indices: Sequence[int] | Ints) -> States:
        """The states of the aircraft at `indices`, in that order."""
        index = np.asarray(indices, dtype=np.int64)
        return States(
            tuple(self.ids[i] for i in index.tolist()),
            *(getattr(self, name)[index] for name in _FLOAT_COLUMNS),
        )

    def _errors(self) -> list[FieldError]:
        n = len(self.ids)
        lengths = {name: len(getattr(self, name)) for name in _FLOAT_COLUMNS}
        wrong = {name: size for name, size in lengths.items() if size != n}
        if wrong:
            return [
                FieldError(f"/{name}", f"{name} has {size} values for {n} ids")
                for name, size in wrong.items()
            ]
        errors: list[FieldError] = []
        for name in _FLOAT_COLUMNS:
            values: Floats = getattr(self, name)
            errors += _bad_values(name, ~np.isfinite(values), values, "is not finite")
        if errors:
            return errors
        lat, lon = self.lat_deg, self.lon_deg
        errors += _bad_values("lat_deg", np.abs(lat) > 90.0, lat, "is outside [-90, 90]")
        errors += _bad_values("lon_deg", np.abs(lon) > 180.0, lon, "is outside [-180, 180]")
        errors += _bad_values("gs_mps", self.gs_mps < 0.0, self.gs_mps, "is negative")
        errors += _id_errors(self.ids)
        return errors


def _id_errors(ids: tuple[str, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    first_seen: dict[str, int] = {}
    for i, aircraft in enumerate(ids):
        if not isinstance(aircraft, str) or not aircraft:
            errors.append(
                FieldError(f"/ids/{i}", f"ids[{i}] = {aircraft!r} is not a non-empty string")
            )
        elif aircraft in first_seen:
            errors.append(
                FieldError(
                    f"/ids/{i}", f"ids[{i}] = {aircraft!r} repeats ids[{first_seen[aircraft]}]"
                )
            )
        else:
            first_seen[aircraft] = i
        if len(errors) >= _LISTED_ERRORS:
            break
    return errors


@dataclass(frozen=True, slots=True)
class TacticalConflict:
    """A pair predicted to lose separation within the look-ahead time, or already losing it.

    `id1 < id2`. Times are seconds from the states' time: `tcpa_s` is the horizontal closest
    point of approach, `dcpa_m` the distance there, and [`tin_s`, `tout_s`] the predicted loss
    of separation, unclipped (it may start in the past, and may be unbounded). `los` says the
    pair is inside both separations now.
    """

    id1: str
    id2: str
    tcpa_s: float
    dcpa_m: float
    tin_s: float
    tout_s: float
    los: bool


def check_separation(rpz_m: float, hpz_m: float, lookahead_s: float) -> None:
    """Refuse separation parameters the definition has no meaning for."""
    errors = []
    for name, value in (("rpz_m", rpz_m), ("hpz_m", hpz_m)):
        if not math.isfinite(value) or value <= 0.0:
            errors.append(FieldError(f"/{name}", f"{name} = {value!r} must be finite and > 0"))
    if not math.isfinite(lookahead_s) or lookahead_s < 0.0:
        errors.append(
            FieldError("/lookahead_s", f"lookahead_s = {lookahead_s!r} must be finite and >= 0")
        )
    if errors:
        raise InvalidInput(f"invalid separation: {errors[0].detail}", errors)


def east_north_mps(states: States) -> tuple[Floats, Floats]:
    """Each aircraft's ground velocity as (east, north) components, metres per second."""
    track_rad = np.radians(states.trk_deg)
    return states.gs_mps * np.sin(track_rad), states.gs_mps * np.cos(track_rad)
