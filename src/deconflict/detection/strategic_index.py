"""A mutable index of 4D volumes that finds conflicts by pruning, then asking the pair predicate.

Every indexed volume is summarised in numpy arrays: integer start/end microseconds, altitude band
and reference, and a cap on the unit sphere (anchor + angular radius) that holds its footprint.
A query keeps only the volumes whose summaries *could* conflict (each test is a necessary
condition of the pair predicate, computed with the same arithmetic), then runs the predicate
itself, batched, on the survivors. So the index returns exactly what `pair_conflict` over every
pair would return; it never decides a conflict on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from deconflict.detection.strategic_pair import Buffers, Conflict, PreparedQuery, evaluate, micros
from deconflict.geometry.geodesy import SPHERE_TO_GEODESIC_MIN_M, angle_between
from deconflict.geometry.separation import anchor, extents, separation
from deconflict.geometry.volume import AltitudeReference, Footprint, TimeWindow, Volume

__all__ = ["StrategicIndex"]

_PRUNE_SLACK_M = 1.0
"""Cap pruning keeps pairs up to this much beyond the buffer; the predicate decides them."""
_REFERENCES = list(AltitudeReference)


_Array = TypeVar("_Array", bound=npt.NDArray[Any])


def _grown(old: _Array, capacity: int, used: int) -> _Array:
    new = np.zeros((capacity, *old.shape[1:]), dtype=old.dtype)
    new[:used] = old[:used]
    return new  # type: ignore[return-value]


class StrategicIndex:
    """Volumes by key, for "conflicts of this volume" and "what is active here and then"."""

    def __init__(self) -> None:
        self._slot: dict[str, int] = {}
        self._keys: list[str | None] = []
        self._volumes: list[Volume | None] = []
        self._size = 0
        self._start_us: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._end_us: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._lower_m: npt.NDArray[np.float64] = np.zeros(0)
        self._upper_m: npt.NDArray[np.float64] = np.zeros(0)
        self._reference: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
        self._anchors: npt.NDArray[np.float64] = np.zeros((0, 3))
        self._caps: npt.NDArray[np.float64] = np.zeros(0)
        self._alive: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)

    def _reserve(self, capacity: int) -> None:
        if capacity <= self._caps.size:
            return
        capacity = max(capacity, 2 * self._caps.size, 1024)
        self._start_us = _grown(self._start_us, capacity, self._size)
        self._end_us = _grown(self._end_us, capacity, self._size)
        self._lower_m = _grown(self._lower_m, capacity, self._size)
        self._upper_m = _grown(self._upper_m, capacity, self._size)
        self._reference = _grown(self._reference, capacity, self._size)
        self._anchors = _grown(self._anchors, capacity, self._size)
        self._caps = _grown(self._caps, capacity, self._size)
        self._alive = _grown(self._alive, capacity, self._size)

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: object) -> bool:
        return key in self._slot

    def insert(self, key: str, volume: Volume) -> None:
        """Index `volume` under `key`; a key already present is an error (remove it first)."""
        if key in self._slot:
            raise KeyError(f"key {key!r} is already indexed")
        self._put([key], [volume])

    def _put(self, keys: list[str], volumes: list[Volume]) -> None:
        count = len(keys)
        self._reserve(self._size + count)
        ext = extents([v.footprint for v in volumes])
        at = slice(self._size, self._size + count)
        self._start_us[at] = [micros(v.window.start) for v in volumes]
        self._end_us[at] = [micros(v.window.end) for v in volumes]
        self._lower_m[at] = [v.altitude.lower_m for v in volumes]
        self._upper_m[at] = [v.altitude.upper_m for v in volumes]
        self._reference[at] = [_REFERENCES.index(v.altitude.reference) for v in volumes]
        self._anchors[at] = ext.anchors
        self._caps[at] = ext.cap_rad
        self._alive[at] = True
        for i, key in enumerate(keys):
            self._slot[key] = self._size + i
        self._keys.extend(keys)
        self._volumes.extend(volumes)
        self._size += count

    def remove(self, key: str) -> None:
        """Forget `key`; an unknown key is a `KeyError`."""
        slot = self._slot.pop(key)
        self._alive[slot] = False
        self._keys[slot] = None
        self._volumes[slot] = None

    @classmethod
    def build(cls, items: Iterable[tuple[str, Volume]]) -> StrategicIndex:
        """An index loaded in bulk (vectorised summaries); duplicate keys are an error."""
        index = cls()
        keys: list[str] = []
        volumes: list[Volume] = []
        for key, volume in items:
            keys.append(key)
            volumes.append(volume)
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                raise KeyError(f"key {key!r} is given twice")
            seen.add(key)
        if keys:
            index._put(keys, volumes)
        return index

    def _candidates(self, slots: npt.NDArray[np.intp]) -> list[tuple[str, Volume]]:
        out = []
        for s in slots:
            key, volume = self._keys[s], self._volumes[s]
            if key is not None and volume is not None:
                out.append((key, volume))
        return out

    def conflicts_with(self, volume: Volume, buffers: Buffers, *, key: str = "") -> list[Conflict]:
        """Every indexed volume in conflict with `volume`, by indexed key; `first` is `key`."""
        query = PreparedQuery.of(volume)
        n = self._size
        limit_us = buffers.time_s * 1e6
        vertical_m = buffers.vertical_m + buffers.datum_margin_m
        keep = (
            self._alive[:n]
            & ((self._start_us[:n] - query.end_us) < limit_us)
            & ((query.start_us - self._end_us[:n]) < limit_us)
            & ((self._lower_m[:n] - volume.altitude.upper_m) < vertical_m)
            & ((volume.altitude.lower_m - self._upper_m[:n]) < vertical_m)
        )
        slots = np.flatnonzero(keep)
        gap_m = (
            angle_between(self._anchors[slots], query.anchor_xyz)
            - self._caps[slots]
            - query.cap_rad
        ) * SPHERE_TO_GEODESIC_MIN_M
        slots = slots[gap_m < buffers.horizontal_m + _PRUNE_SLACK_M]
        found = evaluate(
            query, key, self._candidates(slots), self._anchors[slots], self._caps[slots], buffers
        )
        return sorted(found, key=lambda c: c.second)

    def active(self, area: Footprint, window: TimeWindow) -> list[str]:
        """Keys of volumes whose footprint meets `area` (touching counts) during `window`.

        Windows are half-open, so a volume ending exactly at `window.start` is not active.
        """
        start_us, end_us = micros(window.start), micros(window.end)
        n = self._size
        keep = self._alive[:n] & (self._start_us[:n] < end_us) & (self._end_us[:n] > start_us)
        slots = np.flatnonzero(keep)
        ext = extents([area])
        gap_m = (
            angle_between(self._anchors[slots], ext.anchors[0]) - self._caps[slots] - ext.cap_rad[0]
        ) * SPHERE_TO_GEODESIC_MIN_M
        slots = slots[gap_m < _PRUNE_SLACK_M]
        candidates = self._candidates(slots)
        if not candidates:
            return []
        sep = separation(anchor(area), [v.footprint for _, v in candidates])
        return sorted(k for (k, _), d in zip(candidates, sep.distance_m, strict=True) if d == 0.0)
