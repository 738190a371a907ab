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

All entries of all slots and classes sit in one array sorted by key, so a query is a handful
of vectorised steps and `searchsorted` calls, whatever the number of classes and rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from deconflict.geometry.geodesy import SPHERE_TO_GEODESIC_MIN_M

__all__ = ["BASE_CAP_RAD", "BUCKET_US", "MAX_BUCKETS", "CellGrid"]

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

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

    def cell_ranges(
        self, classes: Ints, lon_rad: float, lat_rad: float, radius_rad: Floats
    ) -> tuple[Ints, Ints]:
        """Inclusive cell-id ranges covering, in each class, the cap of `radius_rad` around the
        point: a latitude band of rows, each with one or two (across +-180) column ranges."""
        lat_low = np.maximum(lat_rad - radius_rad, -math.pi / 2.0)
        lat_high = np.minimum(lat_rad + radius_rad, math.pi / 2.0)
        cell = self.cell_rad[classes]
        row_low = np.clip(np.floor((lat_low + math.pi / 2.0) / cell), 0, self.rows[classes] - 1)
        row_high = np.clip(np.floor((lat_high + math.pi / 2.0) / cell), 0, self.rows[classes] - 1)
        row_low, row_high = row_low.astype(np.int64), row_high.astype(np.int64)
        polar = (lat_rad + radius_rad >= math.pi / 2.0) | (lat_rad - radius_rad <= -math.pi / 2.0)
        ratio = np.sin(np.minimum(radius_rad, math.pi / 2.0)) / max(math.cos(lat_rad), 1e-300)
        half_width = np.where(
            polar | (ratio >= 1.0), math.pi, np.arcsin(np.minimum(ratio, 1.0)) + _EPS_RAD
        )
        counts = row_high - row_low + 1
        which = np.repeat(np.arange(classes.size), counts)
        starts = np.cumsum(counts) - counts
        flat = (
            self.first_row[classes][which]
            + row_low[which]
            + (np.arange(which.size) - starts[which])
        )
        cols = self.columns[flat]
        width = half_width[which]
        whole = width >= math.pi
        west, east = lon_rad - width, lon_rad + width
        turn = 2.0 * math.pi

        def col(lon: Floats) -> Ints:
            c = np.floor(((lon + math.pi) % turn) / turn * cols).astype(np.int64)
            return np.asarray(np.clip(c, 0, cols - 1), dtype=np.int64)

        col_west, col_east = col(west), col(east)
        wraps = ~whole & ((west < -math.pi) | (east >= math.pi) | (col_west > col_east))
        first_low = np.where(whole | wraps, 0, col_west)
        first_high = np.where(whole, cols - 1, col_east)
        second_low = np.where(wraps, col_west, 1)
        second_high = np.where(wraps, cols - 1, 0)
        base = self.first_cell[flat]
        low = np.concatenate([base + first_low, base + second_low])
        high = np.concatenate([base + first_high, base + second_high])
        keep = low <= high
        return low[keep], high[keep]


LAYOUT = _Layout.build()


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
        return cls(key[order], item[order], np.unique(size_class), first_bucket, last_bucket)

    def __len__(self) -> int:
        return int(self.item.size)

    def near(self, anchor: Floats, reach_rad: float, start_us: int, end_us: int) -> Ints:
        """Sorted positions of items whose cap could come within `reach_rad` of `anchor` and
        whose window could meet [start_us, end_us] (an item may come more than once)."""
        if self.item.size == 0:
            return np.zeros(0, dtype=np.int64)
        lon = math.atan2(anchor[1], anchor[0])
        lat = math.atan2(anchor[2], math.hypot(anchor[0], anchor[1]))
        radius = reach_rad + LAYOUT.bound_rad[self.classes] + _EPS_RAD
        low, high = LAYOUT.cell_ranges(self.classes, lon, lat, radius)
        first = max(start_us // BUCKET_US, self.first_bucket)
        last = min(end_us // BUCKET_US, self.last_bucket)
        slots = np.concatenate(
            [[0], np.arange(first, last + 1, dtype=np.int64) - self.first_bucket + 1]
        )
        offset = (slots * LAYOUT.cell_count)[:, None]
        begin = np.searchsorted(self.cell, (offset + low).ravel(), side="left")
        end = np.searchsorted(self.cell, (offset + high).ravel(), side="right")
        lengths = end - begin
        total = int(lengths.sum())
        offsets = np.repeat(begin - (np.cumsum(lengths) - lengths), lengths)
        return np.asarray(offsets + np.arange(total), dtype=np.int64)
