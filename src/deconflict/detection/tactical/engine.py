"""The vectorised tactical engine: the definition (see `deconflict.detection.tactical`)
evaluated for many pairs at once, after `candidate_pairs` has pruned the rest."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from deconflict.arrays import Bools, Floats, Ints
from deconflict.detection.tactical.prune import candidate_pairs
from deconflict.detection.tactical.types import (
    DEFAULT_HPZ_M,
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_RPZ_M,
    EARTH_RADIUS_M,
    States,
    TacticalConflict,
    check_separation,
    east_north_mps,
)

__all__ = ["Encounters", "conflicts_of", "detect", "evaluate_pairs"]

_MIN_SPEED2_M2PS2 = 1e-6
_PAIRS_PER_BLOCK = 1 << 19


@dataclass(frozen=True, slots=True, eq=False)
class Encounters:
    """The definition's figures for a list of aircraft pairs, one array element per pair.

    `first` and `second` index the `States`; `d` points from first to second. Where the pair
    never comes horizontally within R, `tin_s` and `tout_s` are NaN and `conflict` is false.
    """

    first: Ints
    second: Ints
    tcpa_s: Floats
    dcpa_m: Floats
    tin_s: Floats
    tout_s: Floats
    los: Bools
    conflict: Bools

    def __len__(self) -> int:
        return len(self.first)

    def select(self, mask: Bools) -> Encounters:
        return Encounters(
            self.first[mask],
            self.second[mask],
            self.tcpa_s[mask],
            self.dcpa_m[mask],
            self.tin_s[mask],
            self.tout_s[mask],
            self.los[mask],
            self.conflict[mask],
        )


def evaluate_pairs(
    states: States,
    first: Ints,
    second: Ints,
    rpz_m: float = DEFAULT_RPZ_M,
    hpz_m: float = DEFAULT_HPZ_M,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
) -> Encounters:
    """The definition evaluated for the pairs (`first[k]`, `second[k]`), vectorised.

    Memory grows with the number of pairs, in blocks, never with the square of the states.
    """
    check_separation(rpz_m, hpz_m, lookahead_s)
    first = np.asarray(first, dtype=np.int64)
    second = np.asarray(second, dtype=np.int64)
    east_mps, north_mps = east_north_mps(states)
    blocks = [
        _evaluate_block(
            states,
            east_mps,
            north_mps,
            first[start : start + _PAIRS_PER_BLOCK],
            second[start : start + _PAIRS_PER_BLOCK],
            rpz_m,
            hpz_m,
            lookahead_s,
        )
        for start in range(0, max(len(first), 1), _PAIRS_PER_BLOCK)
    ]
    if len(blocks) == 1:
        return blocks[0]
    return Encounters(
        *(np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(Encounters))
    )


def _evaluate_block(
    states: States,
    east_mps: Floats,
    north_mps: Floats,
    a: Ints,
    b: Ints,
    rpz_m: float,
    hpz_m: float,
    lookahead_s: float,
) -> Encounters:
    lat_a, lat_b = states.lat_deg[a], states.lat_deg[b]
    dlon_deg = states.lon_deg[b] - states.lon_deg[a]
    dlon_deg -= 360.0 * np.round(dlon_deg / 360.0)
    cos_mean_lat = np.cos(np.radians(lat_a + lat_b) * 0.5)
    dx_m = EARTH_RADIUS_M * np.radians(dlon_deg) * cos_mean_lat
    dy_m = EARTH_RADIUS_M * np.radians(lat_b - lat_a)
    du_mps = east_mps[b] - east_mps[a]
    dv_mps = north_mps[b] - north_mps[a]

    speed2 = np.maximum(du_mps * du_mps + dv_mps * dv_mps, _MIN_SPEED2_M2PS2)
    dist2 = dx_m * dx_m + dy_m * dy_m
    tcpa_s = -(du_mps * dx_m + dv_mps * dy_m) / speed2
    dcpa2 = np.abs(dist2 - tcpa_s * tcpa_s * speed2)
    rpz2 = rpz_m * rpz_m
    horizontal = dcpa2 < rpz2
    half_s = np.sqrt(np.where(horizontal, rpz2 - dcpa2, np.nan)) / np.sqrt(speed2)

    dalt_m = states.alt_m[b] - states.alt_m[a]
    dvs_mps = states.vs_mps[b] - states.vs_mps[a]
    level = dvs_mps == 0.0
    inside_now = np.abs(dalt_m) < hpz_m
    with np.errstate(divide="ignore", over="ignore"):
        rate = np.where(level, np.inf, dvs_mps)
        cross_low_s = (-hpz_m - dalt_m) / rate
        cross_high_s = (hpz_m - dalt_m) / rate
    vertical = ~level | inside_now
    vin_s = np.where(level, -np.inf, np.minimum(cross_low_s, cross_high_s))
    vout_s = np.where(level, np.inf, np.maximum(cross_low_s, cross_high_s))

    tin_s = np.maximum(tcpa_s - half_s, vin_s)
    tout_s = np.minimum(tcpa_s + half_s, vout_s)
    los = (dist2 < rpz2) & inside_now
    with np.errstate(invalid="ignore"):
        overlap = (tin_s <= tout_s) & (tout_s > 0.0) & (tin_s < lookahead_s)
    conflict = (horizontal & vertical & overlap) | los
    return Encounters(a, b, tcpa_s, np.sqrt(dcpa2), tin_s, tout_s, los, conflict)


def detect(
    states: States,
    rpz_m: float = DEFAULT_RPZ_M,
    hpz_m: float = DEFAULT_HPZ_M,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
) -> list[TacticalConflict]:
    """Every pair in conflict, sorted by (`id1`, `id2`).

    Same answers as `detect_reference`, but only the pairs `candidate_pairs` keeps are evaluated.
    """
    first, second = candidate_pairs(states, rpz_m, lookahead_s, hpz_m=hpz_m)
    found = evaluate_pairs(states, first, second, rpz_m, hpz_m, lookahead_s)
    return conflicts_of(states, found.select(found.conflict))


def conflicts_of(states: States, encounters: Encounters) -> list[TacticalConflict]:
    """The encounters as `TacticalConflict` values with `id1 < id2`, sorted."""
    ids = states.ids
    conflicts = []
    for a, b, tcpa, dcpa, tin, tout, los in zip(
        encounters.first.tolist(),
        encounters.second.tolist(),
        encounters.tcpa_s.tolist(),
        encounters.dcpa_m.tolist(),
        encounters.tin_s.tolist(),
        encounters.tout_s.tolist(),
        encounters.los.tolist(),
        strict=True,
    ):
        id1, id2 = (ids[a], ids[b]) if ids[a] < ids[b] else (ids[b], ids[a])
        conflicts.append(TacticalConflict(id1, id2, tcpa, dcpa, tin, tout, los))
    conflicts.sort(key=lambda c: (c.id1, c.id2))
    return conflicts
