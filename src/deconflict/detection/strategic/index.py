"""A mutable index of 4D volumes that finds conflicts by pruning, then asking the pair predicate.

Each indexed volume lives in a slot with its `Summaries` row (integer times, band, reference,
footprint cap). Slots are filed in immutable levels, each a `CellGrid` with the summaries copied
in grid order (so a query reads contiguous memory), plus a short list of pending slots scanned
directly. Inserting adds to the pending list; full pending lists become small levels, and levels
are merged like a binary counter (a level is merged into the one before it once it is at least
half its size), so there are O(log n) levels and each slot is re-filed O(log n) times. Removing
marks the slot dead; merges drop dead slots.

A query visits the grid cells its cap can reach, keeps what passes the predicate's own cheap
tests (`may_conflict`: time, altitude and cap, each a necessary condition), and hands the rest
to `evaluate`, i.e. to the pair predicate itself. So the index returns exactly what
`pair_conflict` over every pair would; it never decides a conflict on its own. A lon/lat
outline is screened with its bounding box's cap (`PreparedQuery.screening`), cheaper than its
exact summary, which is computed only when something passes (in sparse airspace, most queries
find nothing near).

`conflicts_among` checks a whole set (a day's plan) with one index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from deconflict.arrays import Bools, Floats, Ints
from deconflict.compiled import kernel
from deconflict.detection.strategic.grid import CellGrid, lonlat_rad, near_positions
from deconflict.detection.strategic.pair import (
    Buffers,
    Conflict,
    PreparedQuery,
    Summaries,
    evaluate,
    may_conflict,
    may_conflict_rows,
    micros,
)
from deconflict.geometry.geodesy import SPHERE_TO_GEODESIC_MIN_M, angle_between
from deconflict.geometry.separation import anchor, extents, separation
from deconflict.geometry.volume import Footprint, TimeWindow, Volume

__all__ = ["PENDING_LIMIT", "StrategicIndex", "conflicts_among"]

_PRUNE_SLACK_M = 1.0
"""Caps are searched this much beyond the buffer; the exact tests decide the rest."""
PENDING_LIMIT = 512
"""Inserted slots scanned directly before they are filed in a level of their own."""

_Array = TypeVar("_Array", bound=npt.NDArray[Any])


def _grown(old: _Array, capacity: int, used: int) -> _Array:
    new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
    new[:used] = old[:used]
    return new  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class _Level:
    """Some slots filed in a grid, with their summaries in grid order (a slot filed in several
    time buckets appears once per bucket)."""

    grid: CellGrid
    slots: Ints
    summaries: Summaries
    members: Ints
    """Each slot once, sorted."""

    @classmethod
    def of(cls, slots: Ints, summaries: Summaries) -> _Level:
        grid = CellGrid.build(
            summaries.anchors, summaries.cap_rad, summaries.start_us, summaries.end_us
        )
        return cls(grid, slots[grid.item], summaries.take(grid.item), slots)

    def __len__(self) -> int:
        return int(self.members.size)


class StrategicIndex:
    """Volumes by key, for "conflicts of this volume" and "what is active here and then"."""

    def __init__(self, *, pending_limit: int = PENDING_LIMIT) -> None:
        if pending_limit < 1:
            raise ValueError(f"pending_limit must be >= 1, not {pending_limit}")
        self._pending_limit = pending_limit
        self._slot: dict[str, int] = {}
        self._keys: list[str | None] = []
        self._volumes: list[Volume | None] = []
        self._size = 0
        self._rows = Summaries.of([])
        self._alive: Bools = np.zeros(0, dtype=np.bool_)
        self._levels: list[_Level] = []
        self._pending: list[int] = []

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    @property
    def level_sizes(self) -> list[int]:
        """Slots filed in each level (dead ones included until a merge), then pending ones."""
        return [len(level) for level in self._levels] + [len(self._pending)]

    def _reserve(self, capacity: int) -> None:
        if capacity <= self._alive.size:
            return
        capacity = max(capacity, 2 * self._alive.size, 1024)
        r, used = self._rows, self._size
        self._rows = Summaries(
            _grown(r.start_us, capacity, used),
            _grown(r.end_us, capacity, used),
            _grown(r.lower_m, capacity, used),
            _grown(r.upper_m, capacity, used),
            _grown(r.reference, capacity, used),
            _grown(r.anchors, capacity, used),
            _grown(r.cap_rad, capacity, used),
        )
        self._alive = _grown(self._alive, capacity, used)

    def _append(self, keys: list[str], volumes: list[Volume]) -> Ints:
        count = len(keys)
        self._reserve(self._size + count)
        rows = Summaries.of(volumes)
        at = slice(self._size, self._size + count)
        mine, theirs = self._rows, rows
        mine.start_us[at] = theirs.start_us
        mine.end_us[at] = theirs.end_us
        mine.lower_m[at] = theirs.lower_m
        mine.upper_m[at] = theirs.upper_m
        mine.reference[at] = theirs.reference
        mine.anchors[at] = theirs.anchors
        mine.cap_rad[at] = theirs.cap_rad
        self._alive[at] = True
        slots = np.arange(self._size, self._size + count, dtype=np.int64)
        for key, slot in zip(keys, slots.tolist(), strict=True):
            self._slot[key] = slot
        self._keys.extend(keys)
        self._volumes.extend(volumes)
        self._size += count
        return slots

    def insert(self, key: str, volume: Volume) -> None:
        """Index `volume` under `key`; a key already present is an error (remove it first)."""
        if key in self._slot:
            raise KeyError(f"key {key!r} is already indexed")
        self._pending.extend(self._append([key], [volume]).tolist())
        if len(self._pending) >= self._pending_limit:
            self._file(np.array(self._pending, dtype=np.int64))
            self._pending = []

    def remove(self, key: str) -> None:
        """Forget `key`; an unknown key is a `KeyError`."""
        slot = self._slot.pop(key)
        self._alive[slot] = False
        self._keys[slot] = None
        self._volumes[slot] = None

    def _file(self, slots: Ints) -> None:
        """Add a level for `slots`, then merge levels until each is under half the one before."""
        self._levels.append(_Level.of(slots, self._rows.take(slots)))
        while len(self._levels) > 1 and 2 * len(self._levels[-1]) >= len(self._levels[-2]):
            last, before = self._levels.pop(), self._levels.pop()
            merged = np.concatenate([before.members, last.members])
            merged = np.sort(merged[self._alive[merged]])
            self._levels.append(_Level.of(merged, self._rows.take(merged)))

    @classmethod
    def build(
        cls, items: Iterable[tuple[str, Volume]], *, pending_limit: int = PENDING_LIMIT
    ) -> StrategicIndex:
        """An index loaded in bulk (vectorised summaries, one level); duplicate keys are errors."""
        index = cls(pending_limit=pending_limit)
        keys: list[str] = []
        volumes: list[Volume] = []
        seen: set[str] = set()
        for key, volume in items:
            if key in seen:
                raise KeyError(f"key {key!r} is given twice")
            seen.add(key)
            keys.append(key)
            volumes.append(volume)
        if keys:
            index._file(index._append(keys, volumes))
        return index

    def _near(
        self, centre: Floats, reach_rad: float, start_us: int, end_us: int
    ) -> list[tuple[Ints, Summaries]]:
        """(slots, summaries) per level and for the pending list, near enough to matter."""
        out: list[tuple[Ints, Summaries]] = []
        for level in self._levels:
            at = level.grid.near(centre, reach_rad, start_us, end_us)
            out.append((level.slots[at], level.summaries.take(at)))
        if self._pending:
            pending = np.array(self._pending, dtype=np.int64)
            out.append((pending, self._rows.take(pending)))
        return out

    def conflicts_with(self, volume: Volume, buffers: Buffers, *, key: str = "") -> list[Conflict]:
        """Every indexed volume in conflict with `volume`, by indexed key; `first` is `key`."""
        query = PreparedQuery.screening(volume)
        reach_rad = (
            query.cap_rad + (buffers.horizontal_m + _PRUNE_SLACK_M) / SPHERE_TO_GEODESIC_MIN_M
        )
        margin_us = math.ceil(buffers.time_s * 1e6)
        slot_parts: list[Ints] = []
        lon, lat = lonlat_rad(query.anchor_xyz)
        near = (lon, lat, reach_rad, query.start_us - margin_us, query.end_us + margin_us)
        tests = query.test_args(buffers)
        for level in self._levels:
            kept = _screen(
                level.grid.search_args, near, level.slots, level.summaries.columns, tests
            )
            if kept.size:
                slot_parts.append(kept)
        if self._pending:
            pending = np.array(self._pending, dtype=np.int64)
            slot_parts.append(may_conflict(query, self._rows, buffers, pending))
        if not slot_parts:
            return []
        slots = np.concatenate(slot_parts)
        slots = np.unique(slots[self._alive[slots]])
        if slots.size == 0:
            return []
        keys = [self._keys[s] for s in slots.tolist()]
        volumes = [self._volumes[s] for s in slots.tolist()]
        found = evaluate(
            query if query.exact else PreparedQuery.of(volume),
            key,
            [k for k in keys if k is not None],
            [v for v in volumes if v is not None],
            self._rows.take(slots),
            buffers,
            screened=query.exact,
        )
        return sorted(found, key=lambda c: c.second)

    def active(self, area: Footprint, window: TimeWindow) -> list[str]:
        """Keys of volumes whose footprint meets `area` (touching counts) during `window`.

        Windows are half-open, so a volume ending exactly at `window.start` is not active.
        """
        start_us, end_us = micros(window.start), micros(window.end)
        ext = extents([area])
        centre, cap = ext.anchors[0], float(ext.cap_rad[0])
        slot_parts: list[Ints] = []
        near = self._near(centre, cap + _PRUNE_SLACK_M / SPHERE_TO_GEODESIC_MIN_M, start_us, end_us)
        for slots, s in near:
            gap_m = (angle_between(s.anchors, centre) - s.cap_rad - cap) * SPHERE_TO_GEODESIC_MIN_M
            keep = (s.start_us < end_us) & (s.end_us > start_us) & (gap_m < _PRUNE_SLACK_M)
            slot_parts.append(slots[keep])
        slots = np.concatenate(slot_parts) if slot_parts else np.zeros(0, dtype=np.int64)
        slots = np.unique(slots[self._alive[slots]])
        if slots.size == 0:
            return []
        candidates = [(self._keys[s], self._volumes[s]) for s in slots.tolist()]
        sep = separation(
            anchor(area, centre), [v.footprint for _, v in candidates if v is not None], 0.0
        )
        return sorted(
            k
            for (k, _), d, f in zip(candidates, sep.distance_m, sep.far, strict=True)
            if k is not None and not f and d == 0.0
        )


def conflicts_among(
    volumes: Mapping[str, Volume],
    buffers: Buffers,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Conflict]:
    """Every conflicting pair of a set (a day's plan): `first` < `second`, sorted by both keys.

    `progress`, if given, is called with (volumes checked, len(volumes)): with 0 once the
    index is built, then after each volume."""
    index = StrategicIndex.build(volumes.items())
    found: list[Conflict] = []
    total = len(volumes)
    if progress is not None:
        progress(0, total)
    for done, key in enumerate(sorted(volumes), 1):
        index.remove(key)
        found.extend(index.conflicts_with(volumes[key], buffers, key=key))
        if progress is not None:
            progress(done, total)
    return found


@kernel(
    "int64[:](Tuple((int64[:], int64[:], int64[:], int64, int64)),"
    " Tuple((float64, float64, float64, int64, int64)), int64[:],"
    " Tuple((int64[:], int64[:], float64[:], float64[:], int8[:], float64[:, :], float64[:])),"
    " Tuple((int64, int64, float64, float64, int64, float64[:], float64, float64, float64,"
    " float64, float64)))"
)
def _screen(
    grid: tuple[Ints, Ints, Ints, int, int],
    near: tuple[float, float, float, int, int],
    slots: Ints,
    summaries: tuple[Ints, Ints, Floats, Floats, npt.NDArray[np.int8], Floats, Floats],
    tests: tuple[int, int, float, float, int, Floats, float, float, float, float, float],
) -> Ints:
    """A level's slots near the query that pass `may_conflict`: `near_positions` (the grid's
    `search_args`, then where and when) and `may_conflict_rows` (the level's
    `Summaries.columns`, then `PreparedQuery.test_args`) in one compiled call, so a query pays
    one call's overhead, not two."""
    at = near_positions(*(grid + near))
    return slots[may_conflict_rows(at, *(summaries + tests))]
