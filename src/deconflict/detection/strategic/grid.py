"""Where indexed footprints are: a loose grid on the sphere with one layer per cap size.

A footprint is summarised by a cap (anchor + angular radius, see `geometry.separation`). Caps
are sorted into size classes (class k holds radii up to `BASE_CAP_RAD * 2**k`; the last class
everything, up to the whole sphere); each class has its own lat/lon grid of cells about as
large as its caps, and a footprint is filed once, in the cell of its anchor. A query for
"everything that could come within `reach` of this cap" visits, in each class, the cells of
the latitude/longitude box around the query cap widened by the class's largest radius: a
conservative superset, from which the caller's exact tests keep what matters.

Time comes first: the grid is repeated for each time bucket of `BUCKET_US`, an item filed in
every bucket its window meets (long-lived ones in a slot every query visits), so a query over
a few hours skips the rest of the week without looking at it.

All entries of all slots and classes sit in one array sorted by key, so a query is two binary
searches per row of cells it covers. Building is vectorised numpy; the query is one compiled
(numba) pass, since a query touches a few dozen rows and numpy's per-call overhead would
cost more than the search itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from deconflict.arrays import Floats, Ints
from deconflict.compiled import kernel
from deconflict.geometry.geodesy import SPHERE_TO_GEODESIC_MIN_M

__all__ = ["BASE_CAP_RAD", "BUCKET_US", "MAX_BUCKETS", "CellGrid", "lonlat_rad", "near_positions"]


BASE_CAP_RAD = 8_000.0 / SPHERE_TO_GEODESIC_MIN_M
"""Largest cap of the smallest class (8 km)."""
_MIN_CELL_RAD = math.radians(0.05)
_MAX_CELL_RAD = math.radians(30.0)
_EPS_RAD = 1e-9


@dataclass(frozen=True, slots=True)
class _Layout:
    """The fixed cell layout of every class: rows of latitude, columns per row, cell ids."""

    bound_rad: Floats
    """Largest cap radius of each class (the last is pi)."""
    cell_rad: Floats
    rows: Ints
    first_row: Ints
    """Index of each class's first row in the flat row tables."""
    columns: Ints
    """Columns of each flat row."""
    first_cell: Ints
    """Cell id of each flat row's first column; one extra entry closes the last row."""

    @property
    def cell_count(self) -> int:
        return int(self.first_cell[-1])

    @classmethod
    def build(cls) -> _Layout:
        count = math.ceil(math.log2((math.pi / 2.0) / BASE_CAP_RAD)) + 1
        bounds = np.asarray(BASE_CAP_RAD * 2.0 ** np.arange(count), dtype=np.float64)
        bounds[-1] = math.pi
        cells = np.clip(bounds, _MIN_CELL_RAD, _MAX_CELL_RAD)
        rows = np.ceil(math.pi / cells).astype(np.int64)
        columns: list[int] = []
        for k in range(count):
            lat_low = -math.pi / 2.0 + np.arange(rows[k]) * cells[k]
            lat_high = np.minimum(lat_low + cells[k], math.pi / 2.0)
            widest = np.where(
                lat_low * lat_high <= 0.0, 0.0, np.minimum(abs(lat_low), abs(lat_high))
            )
            per_row = np.maximum(1, np.floor(2.0 * math.pi * np.cos(widest) / cells[k]))
            columns.extend(int(c) for c in per_row)
        cols = np.array(columns, dtype=np.int64)
        first_row = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(np.int64)
        first_cell = np.concatenate([[0], np.cumsum(cols)]).astype(np.int64)
        return cls(bounds, cells, rows, first_row, cols, first_cell)

    def size_class(self, cap_rad: Floats) -> Ints:
        return np.minimum(
            np.searchsorted(self.bound_rad, cap_rad, side="left"), self.bound_rad.size - 1
        ).astype(np.int64)

    def cell_of(self, size_class: Ints, lon_rad: Floats, lat_rad: Floats) -> Ints:
        row = np.clip(
            np.floor((lat_rad + math.pi / 2.0) / self.cell_rad[size_class]).astype(np.int64),
            0,
            self.rows[size_class] - 1,
        )
        flat = self.first_row[size_class] + row
        cols = self.columns[flat]
        col = np.clip(
            np.floor((lon_rad + math.pi) / (2.0 * math.pi) * cols).astype(np.int64), 0, cols - 1
        )
        return np.asarray(self.first_cell[flat] + col, dtype=np.int64)


LAYOUT = _Layout.build()
_BOUND_RAD, _CELL_RAD = LAYOUT.bound_rad, LAYOUT.cell_rad
_ROWS, _FIRST_ROW, _COLUMNS, _FIRST_CELL = (
    LAYOUT.rows,
    LAYOUT.first_row,
    LAYOUT.columns,
    LAYOUT.first_cell,
)
"""The layout's tables as module globals: compiled code reads them as constants, so a query
does not pass them in (the cache of compiled code follows this module's source)."""


BUCKET_US = 6 * 3600 * 1_000_000
"""Time is cut into buckets this long; an item is filed in each bucket its window meets."""
MAX_BUCKETS = 8
"""Items meeting more buckets than this (windows over two days) are filed once, in a time
slot of their own that every query visits."""


@dataclass(frozen=True, slots=True)
class CellGrid:
    """Items (by position in the arrays they were built from) filed by time, size class and cell.

    Keys are `slot * LAYOUT.cell_count + cell`: slot 0 holds the long-lived items, slot k >= 1
    the time bucket `first_bucket + k - 1`. A short item sits once in every bucket its window
    meets, so positions may repeat an item.
    """

    cell: Ints
    """Sorted keys."""
    item: Ints
    """The item in each sorted position."""
    classes: Ints
    """Size classes that hold at least one item."""
    first_bucket: int
    last_bucket: int
    class_start: Ints
    """Where each (slot, size class) begins in `cell`, at `slot * classes + class` (one more
    entry closes the last), so a query searches only the few keys of its own slot and class."""

    @classmethod
    def build(cls, anchors: Floats, cap_rad: Floats, start_us: Ints, end_us: Ints) -> CellGrid:
        lon = np.arctan2(anchors[:, 1], anchors[:, 0])
        lat = np.arctan2(anchors[:, 2], np.hypot(anchors[:, 0], anchors[:, 1]))
        size_class = LAYOUT.size_class(cap_rad)
        cell = LAYOUT.cell_of(size_class, lon, lat)
        first = start_us // BUCKET_US
        last = np.maximum(first, (end_us - 1) // BUCKET_US)
        long = last - first >= MAX_BUCKETS
        first_bucket = int(first[~long].min()) if (~long).any() else 0
        last_bucket = int(last[~long].max()) if (~long).any() else -1
        copies = np.where(long, 1, last - first + 1)
        item = np.repeat(np.arange(cell.size, dtype=np.int64), copies)
        step = np.arange(item.size) - np.repeat(np.cumsum(copies) - copies, copies)
        slot = np.where(long[item], 0, first[item] - first_bucket + 1 + step)
        key = slot * LAYOUT.cell_count + cell[item]
        order = np.argsort(key, kind="stable")
        key = key[order]
        slot_count = last_bucket - first_bucket + 2
        class_cell = LAYOUT.first_cell[LAYOUT.first_row]
        bounds = np.append(
            (np.arange(slot_count)[:, None] * LAYOUT.cell_count + class_cell).ravel(),
            slot_count * LAYOUT.cell_count,
        )
        class_start = np.searchsorted(key, bounds, side="left").astype(np.int64)
        return cls(key, item[order], np.unique(size_class), first_bucket, last_bucket, class_start)

    def __len__(self) -> int:
        return int(self.item.size)

    @property
    def search_args(self) -> tuple[Ints, Ints, Ints, int, int]:
        """The grid's side of `near_positions`."""
        return self.cell, self.classes, self.class_start, self.first_bucket, self.last_bucket

    def near(self, anchor: Floats, reach_rad: float, start_us: int, end_us: int) -> Ints:
        """Sorted positions of items whose cap could come within `reach_rad` of `anchor` and
        whose window could meet [start_us, end_us] (an item may come more than once)."""
        found: Ints = near_positions(
            *self.search_args, *lonlat_rad(anchor), reach_rad, start_us, end_us
        )
        return found


def lonlat_rad(anchor: Floats) -> tuple[float, float]:
    """Longitude and latitude in radians of a unit vector, as `near_positions` takes them."""
    return (
        math.atan2(anchor[1], anchor[0]),
        math.atan2(anchor[2], math.hypot(anchor[0], anchor[1])),
    )


@kernel(
    "int64[:](int64[:], int64[:], int64[:], int64, int64, float64, float64, float64, int64, int64)"
)
def near_positions(
    keys: Ints,
    classes: Ints,
    class_start: Ints,
    first_bucket: int,
    last_bucket: int,
    lon: float,
    lat: float,
    reach_rad: float,
    start_us: int,
    end_us: int,
) -> Ints:
    """`CellGrid.near` on the arrays (`CellGrid.search_args`), compiled: a query costs
    microseconds, not a hundred numpy calls.

    In each class, the cap of reach + the class's largest radius around the point covers a
    latitude band of rows; each row gets one column range, or two across +-180. A class's
    ranges ascend, so in each slot its keys are first narrowed to the whole band (often empty,
    which skips every row), then each range is searched from where the one before ended.
    """
    bound_rad, cell_rad, rows, first_row = _BOUND_RAD, _CELL_RAD, _ROWS, _FIRST_ROW
    columns, first_cell = _COLUMNS, _FIRST_CELL
    cell_count = first_cell[-1]
    first = max(start_us // BUCKET_US, first_bucket)
    last = min(end_us // BUCKET_US, last_bucket)
    slot_count = 1 + max(0, last - first + 1)
    ranges = 0
    for k in classes:
        ranges += 2 * rows[k]
    low = np.empty(ranges, dtype=np.int64)
    high = np.empty(ranges, dtype=np.int64)
    class_ranges = np.zeros(classes.size + 1, dtype=np.int64)
    used = 0
    turn = 2.0 * math.pi
    for c, k in enumerate(classes):
        class_ranges[c] = used
        radius = reach_rad + bound_rad[k] + _EPS_RAD
        lat_low = max(lat - radius, -math.pi / 2.0)
        lat_high = min(lat + radius, math.pi / 2.0)
        cell = cell_rad[k]
        row_low = int(min(max(math.floor((lat_low + math.pi / 2.0) / cell), 0), rows[k] - 1))
        row_high = int(min(max(math.floor((lat_high + math.pi / 2.0) / cell), 0), rows[k] - 1))
        polar = (lat + radius >= math.pi / 2.0) or (lat - radius <= -math.pi / 2.0)
        ratio = math.sin(min(radius, math.pi / 2.0)) / max(math.cos(lat), 1e-300)
        whole = polar or ratio >= 1.0
        width = math.pi if whole else math.asin(min(ratio, 1.0)) + _EPS_RAD
        whole = width >= math.pi
        west, east = lon - width, lon + width
        for row in range(row_low, row_high + 1):
            flat = first_row[k] + row
            cols = columns[flat]
            base = first_cell[flat]
            if whole:
                low[used], high[used] = base, base + cols - 1
                used += 1
                continue
            col_west = min(max(math.floor(((west + math.pi) % turn) / turn * cols), 0), cols - 1)
            col_east = min(max(math.floor(((east + math.pi) % turn) / turn * cols), 0), cols - 1)
            if west < -math.pi or east >= math.pi or col_west > col_east:
                low[used], high[used] = base, base + col_east
                low[used + 1], high[used + 1] = base + col_west, base + cols - 1
                used += 2
            else:
                low[used], high[used] = base + col_west, base + col_east
                used += 1
    class_ranges[classes.size] = used
    begin = np.zeros(used * slot_count, dtype=np.int64)
    end = np.zeros(used * slot_count, dtype=np.int64)
    class_count = bound_rad.size
    total = 0
    for s in range(slot_count):
        slot = 0 if s == 0 else first + s - first_bucket
        offset = slot * cell_count
        for c, k in enumerate(classes):
            at = slot * class_count + k
            lo, hi = class_start[at], class_start[at + 1]
            r0, r1 = class_ranges[c], class_ranges[c + 1]
            if lo == hi or r0 == r1:
                continue
            lo += np.searchsorted(keys[lo:hi], offset + low[r0], side="left")
            hi = lo + np.searchsorted(keys[lo:hi], offset + high[r1 - 1], side="right")
            for r in range(r0, r1):
                if lo == hi:
                    break
                i = s * used + r
                begin[i] = lo + np.searchsorted(keys[lo:hi], offset + low[r], side="left")
                end[i] = lo + np.searchsorted(keys[lo:hi], offset + high[r], side="right")
                total += end[i] - begin[i]
                lo = max(lo, end[i])
    out = np.empty(total, dtype=np.int64)
    at = 0
    for i in range(begin.size):
        for p in range(begin[i], end[i]):
            out[at] = p
            at += 1
    return out
