"""The tactical definition evaluated one pair at a time, straight from the formula.

Slow (every pair, in Python) and deliberately plain: it is what the vectorised engine and its
pruning are tested and benchmarked against. See `deconflict.detection.tactical` for the
definition itself.
"""

from __future__ import annotations

import math

from deconflict.detection.tactical.types import (
    DEFAULT_HPZ_M,
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_RPZ_M,
    EARTH_RADIUS_M,
    States,
    TacticalConflict,
    check_separation,
)

__all__ = ["detect_reference", "pair_conflict"]


def pair_conflict(
    states: States,
    i: int,
    j: int,
    rpz_m: float = DEFAULT_RPZ_M,
    hpz_m: float = DEFAULT_HPZ_M,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
) -> TacticalConflict | None:
    """The conflict between aircraft `i` and `j`, or None if they are not in conflict."""
    lat1, lon1 = float(states.lat_deg[i]), float(states.lon_deg[i])
    lat2, lon2 = float(states.lat_deg[j]), float(states.lon_deg[j])
    dlon_deg = lon2 - lon1
    dlon_deg -= 360.0 * round(dlon_deg / 360.0)
    dx = EARTH_RADIUS_M * math.radians(dlon_deg) * math.cos(math.radians(lat1 + lat2) * 0.5)
    dy = EARTH_RADIUS_M * math.radians(lat2 - lat1)

    trk1, trk2 = math.radians(float(states.trk_deg[i])), math.radians(float(states.trk_deg[j]))
    gs1, gs2 = float(states.gs_mps[i]), float(states.gs_mps[j])
    du = gs2 * math.sin(trk2) - gs1 * math.sin(trk1)
    dv = gs2 * math.cos(trk2) - gs1 * math.cos(trk1)
    speed2 = max(du * du + dv * dv, 1e-6)

    dist2 = dx * dx + dy * dy
    tcpa = -(du * dx + dv * dy) / speed2
    dcpa2 = abs(dist2 - tcpa * tcpa * speed2)
    dalt = float(states.alt_m[j]) - float(states.alt_m[i])
    los = dist2 < rpz_m * rpz_m and abs(dalt) < hpz_m

    entry_exit = _horizontal(tcpa, dcpa2, speed2, rpz_m)
    vertical = _vertical(dalt, float(states.vs_mps[j]) - float(states.vs_mps[i]), hpz_m)
    if entry_exit is None or vertical is None:
        if not los:
            return None
        tin, tout = math.nan, math.nan
    else:
        tin = max(entry_exit[0], vertical[0])
        tout = min(entry_exit[1], vertical[1])
        if not (tin <= tout and tout > 0.0 and tin < lookahead_s) and not los:
            return None
    id1, id2 = sorted((states.ids[i], states.ids[j]))
    return TacticalConflict(id1, id2, tcpa, math.sqrt(dcpa2), tin, tout, los)


def _horizontal(
    tcpa: float, dcpa2: float, speed2: float, rpz_m: float
) -> tuple[float, float] | None:
    if dcpa2 >= rpz_m * rpz_m:
        return None
    half = math.sqrt(rpz_m * rpz_m - dcpa2) / math.sqrt(speed2)
    return tcpa - half, tcpa + half


def _vertical(dalt: float, dvs: float, hpz_m: float) -> tuple[float, float] | None:
    if dvs == 0.0:
        return (-math.inf, math.inf) if abs(dalt) < hpz_m else None
    crossings = ((-hpz_m - dalt) / dvs, (hpz_m - dalt) / dvs)
    return min(crossings), max(crossings)


def detect_reference(
    states: States,
    rpz_m: float = DEFAULT_RPZ_M,
    hpz_m: float = DEFAULT_HPZ_M,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
) -> list[TacticalConflict]:
    """Every pair in conflict, sorted by (`id1`, `id2`), checking all n(n-1)/2 pairs."""
    check_separation(rpz_m, hpz_m, lookahead_s)
    found = []
    for i in range(len(states)):
        for j in range(i + 1, len(states)):
            conflict = pair_conflict(states, i, j, rpz_m, hpz_m, lookahead_s)
            if conflict is not None:
                found.append(conflict)
    found.sort(key=lambda c: (c.id1, c.id2))
    return found
