"""Tactical alerts from the live picture: which pairs of tracks meet which tier, and the
figures each alert carries.

Which tiers apply to a pair is the caller's rule (`TiersFor`), asked once per pair of owners
(a party, or None for unattributed traffic): None means the pair is not alerted (one party's
own aircraft when intra-party alerts are off, two unattributed tracks). Besides the rule, two
kinds of pair never alert: pairs the caller exempts (formations across parties), and two
tracks with the same ICAO address (`icao24`, compared case-blind), which are one aircraft seen
twice (pushed by its party and heard on ADS-B).

Pairs are pruned once, with the outermost of all the tiers in play (`candidate_pairs` with the
largest radius, height and look-ahead any of them has, so no pair in conflict under any tier
is dropped), then each pair is graded with its own tiers by the tactical engine: the outermost
tier first, the inner ones only on the pairs still in conflict, since tiers nest. A pair's
tier is the most severe it meets, as in `detect_alerts`.

`tactical_conditions_near` is the same check for the pairs that involve a few just-updated
tracks, for the check on arrival: only the broad phase differs (the updated tracks' swept
boxes against everyone's, when that is cheaper than pruning the whole picture), and both
broad phases keep every pair in conflict, so its answer is the full cycle's restricted to
those pairs.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from deconflict.alerting.conditions import Condition
from deconflict.alerting.subjects import TrackPair
from deconflict.arrays import Bools, Floats, Ints
from deconflict.detection.tactical import (
    AlertTier,
    AlertTiers,
    States,
    candidate_pairs,
    evaluate_pairs,
)
from deconflict.detection.tactical.prune import swept_boxes
from deconflict.detection.tactical.types import EARTH_RADIUS_M
from deconflict.tracks import TrackKey, TrackState

__all__ = [
    "TiersFor",
    "between_parties",
    "engine_states",
    "formation",
    "tactical_conditions",
    "tactical_conditions_near",
]

TiersFor = Callable[[str | None, str | None], AlertTiers | None]
"""The tiers for a pair of owners, or None when such a pair is not alerted."""

_NEAR_PAIRS_BUDGET = 1 << 22
"""Updated x all box tests above which the near check prunes the whole picture instead."""
_NEAR_BLOCK = 1 << 20
_COLUMNS = ("lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")


def between_parties(tiers: AlertTiers, *, intra_party: bool = False) -> TiersFor:
    """Issue 16's rule: `tiers` between different parties and between a party's aircraft and
    unattributed traffic; within one party only if `intra_party`; never between two
    unattributed tracks."""

    def tiers_for(a: str | None, b: str | None) -> AlertTiers | None:
        if a is None and b is None:
            return None
        if a == b and not intra_party:
            return None
        return tiers

    return tiers_for


def formation(keys: Iterable[TrackKey]) -> frozenset[TrackPair]:
    """Every pair of the tracks of one formation, to pass as `exempt`."""
    unique = sorted(set(keys))
    return frozenset(TrackPair.of(a, b) for a, b in itertools.combinations(unique, 2))


def tactical_conditions(
    states: Sequence[TrackState],
    tiers_for: TiersFor,
    *,
    exempt: Container[TrackPair] = frozenset(),
) -> dict[TrackPair, Condition]:
    """Every pair of `states` (one per track) that meets a tier, with its condition; keyed by
    subject, in no set order (the alert book sorts)."""
    picture = _Picture.of(states)
    rules = _Rules.of(picture, tiers_for)
    if rules.envelope is None:
        return {}
    rpz_m, hpz_m, lookahead_s = rules.envelope
    first, second = candidate_pairs(picture.states, rpz_m, lookahead_s, hpz_m=hpz_m)
    return _graded(picture, rules, first, second, exempt)


def tactical_conditions_near(
    updated: Sequence[TrackState],
    states: Sequence[TrackState],
    tiers_for: TiersFor,
    *,
    exempt: Container[TrackPair] = frozenset(),
) -> dict[TrackPair, Condition]:
    """`tactical_conditions` for the pairs with a track of `updated`, each of which takes the
    place of the state of the same track in `states` (or joins them)."""
    if not updated:
        return {}
    by_key = {s.key: s for s in states}
    by_key.update((s.key, s) for s in updated)
    merged = list(by_key.values())
    picture = _Picture.of(merged)
    rules = _Rules.of(picture, tiers_for)
    if rules.envelope is None:
        return {}
    index = {s.key: i for i, s in enumerate(merged)}
    rows = np.unique(np.array([index[s.key] for s in updated], dtype=np.int64))
    first, second = _pairs_near(picture.states, rows, rules.envelope)
    return _graded(picture, rules, first, second, exempt)


def engine_states(tracks: Sequence[TrackState], ids: Sequence[str] | None = None) -> States:
    """The tactical engine's arrays for `tracks`, each track's id its key spelled out (or the
    given `ids`, one per track)."""
    n = len(tracks)
    columns = [
        np.fromiter(map(operator.attrgetter(name), tracks), np.float64, n) for name in _COLUMNS
    ]
    chosen = tuple(map(tuple.__repr__, (s.key for s in tracks))) if ids is None else tuple(ids)
    return States(chosen, *columns)


@dataclass(frozen=True, slots=True, eq=False)
class _Picture:
    """The track states as the engine's arrays, with owner and aircraft codes per row."""

    tracks: tuple[TrackState, ...]
    states: States
    owners: tuple[str | None, ...]
    """Distinct owners, parties in order, None last."""
    owner: Ints
    aircraft: Ints
    """A code per distinct ICAO address, -1 where the state has none."""

    @classmethod
    def of(cls, tracks: Sequence[TrackState]) -> _Picture:
        tracks = tuple(tracks)
        n = len(tracks)
        keys = [s.key for s in tracks]
        states = engine_states(tracks)
        parties = [k.party for k in keys]
        owners = tuple(sorted({p for p in parties if p is not None})) + (
            (None,) if None in parties else ()
        )
        code = {p: i for i, p in enumerate(owners)}
        owner = np.fromiter(map(code.__getitem__, parties), np.int64, n)
        addresses: dict[str, int] = {}
        aircraft = np.fromiter(
            (
                -1 if s.icao24 is None else addresses.setdefault(s.icao24.lower(), len(addresses))
                for s in tracks
            ),
            np.int64,
            n,
        )
        return cls(tracks, states, owners, owner, aircraft)


@dataclass(frozen=True, slots=True, eq=False)
class _Rules:
    """The tiers for each pair of owners: `table[i, j]` indexes `tiers`, -1 for none."""

    table: Ints
    tiers: tuple[AlertTiers, ...]

    @classmethod
    def of(cls, picture: _Picture, tiers_for: TiersFor) -> _Rules:
        count = len(picture.owners)
        table = np.full((count, count), -1, dtype=np.int64)
        found: dict[AlertTiers, int] = {}
        for i, j in itertools.combinations_with_replacement(range(count), 2):
            tiers = tiers_for(picture.owners[i], picture.owners[j])
            if tiers is not None:
                table[i, j] = table[j, i] = found.setdefault(tiers, len(found))
        return cls(table, tuple(found))

    @property
    def envelope(self) -> tuple[float, float, float] | None:
        """The largest radius, height and look-ahead of any tier in play."""
        if not self.tiers:
            return None
        outer = [t.outermost for t in self.tiers]
        return (
            max(t.rpz_m for t in outer),
            max(t.hpz_m for t in outer),
            max(t.lookahead_s for t in outer),
        )


def _pairs_near(
    states: States, rows: Ints, envelope: tuple[float, float, float]
) -> tuple[Ints, Ints]:
    """Index pairs (first < second) with a member in `rows` whose swept boxes overlap, once
    each; in the same order within a pair as `candidate_pairs`, so the figures are the same."""
    rpz_m, hpz_m, lookahead_s = envelope
    n = len(states)
    involved = np.zeros(n, dtype=np.bool_)
    involved[rows] = True
    if len(rows) * n > _NEAR_PAIRS_BUDGET:
        first, second = candidate_pairs(states, rpz_m, lookahead_s, hpz_m=hpz_m)
        keep = involved[first] | involved[second]
        return first[keep], second[keep]
    boxes = swept_boxes(states, rpz_m, lookahead_s, hpz_m=hpz_m)
    everyone = np.arange(n, dtype=np.int64)
    firsts, seconds = [], []
    per_block = max(1, _NEAR_BLOCK // max(n, 1))
    for start in range(0, len(rows), per_block):
        block = rows[start : start + per_block]
        a = np.repeat(block, n)
        b = np.tile(everyone, len(block))
        keep = (a != b) & (~involved[b] | (a < b))
        a, b = a[keep], b[keep]
        keep = boxes.overlap(a, b)
        firsts.append(a[keep])
        seconds.append(b[keep])
    a, b = np.concatenate(firsts), np.concatenate(seconds)
    return np.minimum(a, b), np.maximum(a, b)


@dataclass(frozen=True, slots=True, eq=False)
class _Graded:
    """Pairs in conflict under their outermost tier: the most severe tier met, and the
    figures under it."""

    first: Ints
    second: Ints
    group: Ints
    level: Ints
    tcpa_s: Floats
    dcpa_m: Floats
    tin_s: Floats
    tout_s: Floats
    los: Bools


def _grade(states: States, first: Ints, second: Ints, group: int, tiers: AlertTiers) -> _Graded:
    outer = tiers.outermost
    found = evaluate_pairs(states, first, second, *_thresholds(outer))
    hit = found.select(found.conflict)
    level = np.zeros(len(hit), dtype=np.int64)
    tin_s, tout_s, los = hit.tin_s.copy(), hit.tout_s.copy(), hit.los.copy()
    inside = np.arange(len(hit))
    for k, tier in enumerate(tiers.tiers[1:], start=1):
        inner = evaluate_pairs(states, hit.first[inside], hit.second[inside], *_thresholds(tier))
        inside = inside[inner.conflict]
        level[inside] = k
        tin_s[inside] = inner.tin_s[inner.conflict]
        tout_s[inside] = inner.tout_s[inner.conflict]
        los[inside] = inner.los[inner.conflict]
    groups = np.full(len(hit), group, dtype=np.int64)
    return _Graded(hit.first, hit.second, groups, level, hit.tcpa_s, hit.dcpa_m, tin_s, tout_s, los)


def _thresholds(tier: AlertTier) -> tuple[float, float, float]:
    return (tier.rpz_m, tier.hpz_m, tier.lookahead_s)


def _graded(
    picture: _Picture,
    rules: _Rules,
    first: Ints,
    second: Ints,
    exempt: Container[TrackPair],
) -> dict[TrackPair, Condition]:
    aircraft = picture.aircraft
    one_aircraft = (aircraft[first] == aircraft[second]) & (aircraft[first] >= 0)
    group = rules.table[picture.owner[first], picture.owner[second]]
    keep = ~one_aircraft & (group >= 0)
    first, second, group = first[keep], second[keep], group[keep]
    graded = [
        _grade(picture.states, first[group == g], second[group == g], g, tiers)
        for g, tiers in enumerate(rules.tiers)
    ]
    states, tracks = picture.states, picture.tracks
    out: dict[TrackPair, Condition] = {}
    for part in graded:
        separation_m = _distance_now_m(states, part.first, part.second)
        vertical_m = np.abs(states.alt_m[part.second] - states.alt_m[part.first])
        for a, b, g, level, tcpa, dcpa, tin, tout, los, apart, up in zip(
            part.first.tolist(),
            part.second.tolist(),
            part.group.tolist(),
            part.level.tolist(),
            part.tcpa_s.tolist(),
            part.dcpa_m.tolist(),
            part.tin_s.tolist(),
            part.tout_s.tolist(),
            part.los.tolist(),
            separation_m.tolist(),
            vertical_m.tolist(),
            strict=True,
        ):
            subject = TrackPair.of(tracks[a].key, tracks[b].key)
            if subject in exempt:
                continue
            pair = (tracks[a], tracks[b])
            if subject.first != tracks[a].key:
                pair = (tracks[b], tracks[a])
            out[subject] = Condition(
                rules.tiers[g].tiers[level].name,
                level,
                tcpa,
                dcpa,
                apart,
                pair,
                {"tin_s": tin, "tout_s": tout, "los": los, "vertical_m": up},
            )
    return out


def _distance_now_m(states: States, a: Ints, b: Ints) -> Floats:
    """Horizontal distance now in the engine's flat-earth pair metric."""
    dlon = states.lon_deg[b] - states.lon_deg[a]
    dlon -= 360.0 * np.round(dlon / 360.0)
    cos_mean = np.cos(np.radians(states.lat_deg[a] + states.lat_deg[b]) * 0.5)
    dx = EARTH_RADIUS_M * np.radians(dlon) * cos_mean
    dy = EARTH_RADIUS_M * np.radians(states.lat_deg[b] - states.lat_deg[a])
    return np.asarray(np.hypot(dx, dy), dtype=np.float64)
