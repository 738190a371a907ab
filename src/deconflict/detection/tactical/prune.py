"""The tactical engine's broad phase: every pair that could be in conflict, and few others.

Each aircraft gets a box holding everything it can reach over [0, T], grown by half the
separation in each dimension, so two aircraft closer than R and H at some instant in [0, T]
have overlapping boxes. The boxes live in one frame that serves every pair:

- north: y = R_e * latitude, exactly the pair metric's north difference;
- east: an arc of longitude. The pair metric scales the wrapped longitude difference by the
  cosine of the pair's mean latitude, which depends on the partner. Each aircraft's arc is
  sized with a lower bound of that cosine over every partner whose north extent can reach its
  own, so the arc is wide enough for any of them; overlap is tested on the circle, so the
  +-180 degree meridian is nothing special;
- up: altitude.

Boxes go into a grid of rows (north), columns (a whole number per row, so longitude wraps onto
the grid) and layers (altitude). Pairs are generated within cells, and each overlapping pair is
kept once, in one canonical cell of the two boxes' intersection, without sorting or
de-duplicating pairs. Memory grows with the aircraft, the cells they cover, and the pairs
sharing a cell, a fixed multiple of the candidates; never with the square of the aircraft.

The boxes are grown by a relative margin of 1e-6 (plus a micrometre) beyond R and H, so that
floating-point rounding in either stage cannot drop a pair that is a conflict in exact
arithmetic.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deconflict.arrays import Bools, Floats, Ints
from deconflict.detection.tactical.types import (
    DEFAULT_HPZ_M,
    DEFAULT_LOOKAHEAD_S,
    DEFAULT_RPZ_M,
    EARTH_RADIUS_M,
    States,
    check_separation,
    east_north_mps,
)

__all__ = ["SweptBoxes", "candidate_pairs", "swept_boxes"]

_MARGIN = 1e-6
_MARGIN_M = 1e-6
_LATITUDE_PAD_RAD = 1e-9
_MAX_ROWS = 1 << 21
_MAX_COLUMNS = 1 << 21
_MAX_LAYERS = 1 << 20
_ENTRIES_PER_AIRCRAFT = 32
_PAIRS_PER_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, eq=False)
class SweptBoxes:
    """Per aircraft, the box it can reach over [0, T], grown by half the separation.

    North extent [`south_m`, `north_m`] in metres of y = R_e * latitude; an arc of longitude
    `mid_rad` +- `half_rad` (a half-width of pi is the whole circle); altitude extent
    [`low_m`, `high_m`].
    """

    south_m: Floats
    north_m: Floats
    mid_rad: Floats
    half_rad: Floats
    low_m: Floats
    high_m: Floats

    def overlap(self, a: Ints, b: Ints) -> Bools:
        """Whether the boxes of aircraft `a[k]` and `b[k]` overlap, for each k."""
        apart = self.mid_rad[b] - self.mid_rad[a]
        apart = np.abs(apart - 2.0 * math.pi * np.round(apart / (2.0 * math.pi)))
        return (
            (self.south_m[a] <= self.north_m[b])
            & (self.south_m[b] <= self.north_m[a])
            & (self.low_m[a] <= self.high_m[b])
            & (self.low_m[b] <= self.high_m[a])
            & (apart <= self.half_rad[a] + self.half_rad[b])
        )


def swept_boxes(
    states: States,
    rpz_m: float = DEFAULT_RPZ_M,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
    *,
    hpz_m: float = DEFAULT_HPZ_M,
) -> SweptBoxes:
    """The boxes `candidate_pairs` tests; see the module docstring for the frame."""
    check_separation(rpz_m, hpz_m, lookahead_s)
    east_mps, north_mps = east_north_mps(states)
    fastest_mps = float(states.gs_mps.max(initial=0.0))
    steepest_mps = float(np.abs(states.vs_mps).max(initial=0.0))
    grow_m = 0.5 * (rpz_m + _MARGIN * (rpz_m + fastest_mps * lookahead_s) + _MARGIN_M)
    grow_up_m = 0.5 * (hpz_m + _MARGIN * (hpz_m + steepest_mps * lookahead_s) + _MARGIN_M)

    y_m = EARTH_RADIUS_M * np.radians(states.lat_deg)
    run_north_m = north_mps * lookahead_s
    south_m = y_m + np.minimum(run_north_m, 0.0) - grow_m
    north_m = y_m + np.maximum(run_north_m, 0.0) + grow_m

    reach_m = float(np.abs(run_north_m).max(initial=0.0)) + grow_m
    lat_rad = np.radians(states.lat_deg)
    partner_south = np.maximum((south_m - reach_m) / EARTH_RADIUS_M, -0.5 * math.pi)
    partner_north = np.minimum((north_m + reach_m) / EARTH_RADIUS_M, 0.5 * math.pi)
    steepest_mean = np.maximum(
        np.abs(0.5 * (lat_rad + partner_south)), np.abs(0.5 * (lat_rad + partner_north))
    )
    cos_low = np.cos(np.minimum(steepest_mean + _LATITUDE_PAD_RAD, 0.5 * math.pi))
    scale = 1.0 / (EARTH_RADIUS_M * cos_low)
    run_east_m = east_mps * lookahead_s
    mid_rad = np.radians(states.lon_deg) + 0.5 * run_east_m * scale
    half_rad = np.minimum((0.5 * np.abs(run_east_m) + grow_m) * scale, math.pi)

    run_up_m = states.vs_mps * lookahead_s
    low_m = states.alt_m + np.minimum(run_up_m, 0.0) - grow_up_m
    high_m = states.alt_m + np.maximum(run_up_m, 0.0) + grow_up_m
    return SweptBoxes(south_m, north_m, mid_rad, half_rad, low_m, high_m)


def candidate_pairs(
    states: States,
    rpz_m: float = DEFAULT_RPZ_M,
    lookahead_s: float = DEFAULT_LOOKAHEAD_S,
    *,
    hpz_m: float = DEFAULT_HPZ_M,
) -> tuple[Ints, Ints]:
    """Index pairs (first < second) whose swept boxes overlap, each pair once, in no set order.

    Conservative: every pair `detect_reference` finds with the same R, H and T is among them.
    """
    boxes = swept_boxes(states, rpz_m, lookahead_s, hpz_m=hpz_m)
    if len(states) < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cells = _Cells.of(boxes)
    firsts, seconds = [], []
    for first, second in cells.pairs_sharing_a_cell():
        keep = cells.canonical(first, second)
        a, b = cells.aircraft[first[keep]], cells.aircraft[second[keep]]
        keep = boxes.overlap(a, b)
        firsts.append(a[keep])
        seconds.append(b[keep])
    if not firsts:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(firsts), np.concatenate(seconds)


def _spread(counts: Ints) -> tuple[Ints, Ints]:
    """For counts [2, 0, 3]: owners [0, 0, 2, 2, 2] and offsets [0, 1, 0, 1, 2]."""
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner), dtype=np.int64) - starts[owner]


def _floor_index(values: Floats) -> Ints:
    return np.floor(values).astype(np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class _Cells:
    """Grid entries (one per aircraft per cell it covers), sorted by cell.

    Per entry: the aircraft, the cell's key and column, and for the canonical-cell test the
    first column and column count the aircraft covers in that row, the row's column count,
    and `starts`: bit 0 if the aircraft's box starts in this cell's row, bit 1 in its layer,
    bit 2 in its column.
    """

    key: Ints
    aircraft: Ints
    column: Ints
    first_column: Ints
    columns: Ints
    row_columns: Ints
    starts: NDArray[np.uint8]

    @classmethod
    def of(cls, boxes: SweptBoxes) -> _Cells:
        n = len(boxes.south_m)
        mid_lat_rad = np.clip(0.5 * (boxes.south_m + boxes.north_m) / EARTH_RADIUS_M, -1.5, 1.5)
        east_m = 2.0 * boxes.half_rad * EARTH_RADIUS_M * np.cos(mid_lat_rad)
        cell_m = float(np.median(np.maximum(boxes.north_m - boxes.south_m, east_m)))
        layer_m = float(np.median(boxes.high_m - boxes.low_m))
        span_m = float(boxes.north_m.max() - boxes.south_m.min())
        height_m = float(boxes.high_m.max() - boxes.low_m.min())
        rows_cap = min(_MAX_ROWS, 4 * n + 4)
        cell_m = max(cell_m, span_m / (rows_cap - 1), 2.0 * math.pi * EARTH_RADIUS_M / _MAX_COLUMNS)
        layer_m = max(layer_m, height_m / (min(_MAX_LAYERS, 4 * n + 4) - 1), 1e-3)
        while True:
            cells = cls._build(boxes, cell_m, layer_m, budget=_ENTRIES_PER_AIRCRAFT * n + 1024)
            if cells is not None:
                return cells
            cell_m *= 2.0
            layer_m *= 2.0

    @classmethod
    def _build(cls, boxes: SweptBoxes, cell_m: float, layer_m: float, budget: int) -> _Cells | None:
        south0 = float(boxes.south_m.min())
        first_row = _floor_index((boxes.south_m - south0) / cell_m)
        last_row = _floor_index((boxes.north_m - south0) / cell_m)
        low0 = float(boxes.low_m.min())
        first_layer = _floor_index((boxes.low_m - low0) / layer_m)
        layers = _floor_index((boxes.high_m - low0) / layer_m) - first_layer + 1
        rows = last_row - first_row + 1
        if int(rows.sum()) > budget:
            return None

        row_edges = (south0 + cell_m * np.arange(int(last_row.max()) + 2)) / EARTH_RADIUS_M
        edge_cos = np.cos(np.minimum(np.abs(row_edges), 0.5 * math.pi))
        narrowest = np.minimum(edge_cos[:-1], edge_cos[1:])
        row_columns = np.clip(
            _floor_index(2.0 * math.pi * EARTH_RADIUS_M * narrowest / cell_m), 1, _MAX_COLUMNS
        )

        by_row, row_offset = _spread(rows)
        row = first_row[by_row] + row_offset
        n_columns = row_columns[row]
        width = 2.0 * math.pi / n_columns
        west = _floor_index((boxes.mid_rad[by_row] - boxes.half_rad[by_row] + math.pi) / width)
        east = _floor_index((boxes.mid_rad[by_row] + boxes.half_rad[by_row] + math.pi) / width)
        whole = boxes.half_rad[by_row] >= math.pi
        columns = np.where(whole, n_columns, np.minimum(east - west + 1, n_columns))
        first_column = np.where(whole, 0, np.mod(west, n_columns))
        if int((columns * layers[by_row]).sum()) > budget:
            return None

        by_column, column_offset = _spread(columns)
        by_layer, layer_offset = _spread(layers[by_row[by_column]])
        entry = by_column[by_layer]
        aircraft = by_row[entry]
        row = row[entry]
        column = np.mod(first_column[entry] + column_offset[by_layer], n_columns[entry])
        layer = first_layer[aircraft] + layer_offset
        n_layers = int(layer.max()) + 1
        key = (row * int(row_columns.max()) + column) * n_layers + layer
        starts = (
            (row == first_row[aircraft]).astype(np.uint8)
            | ((layer == first_layer[aircraft]).astype(np.uint8) << 1)
            | ((column == first_column[entry]).astype(np.uint8) << 2)
        )
        order = np.argsort(key, kind="stable")
        return cls(
            key=key[order],
            aircraft=aircraft[order],
            column=column[order],
            first_column=first_column[entry][order],
            columns=columns[entry][order],
            row_columns=n_columns[entry][order],
            starts=starts[order],
        )

    def pairs_sharing_a_cell(self) -> Iterator[tuple[Ints, Ints]]:
        """Entry pairs (first, second) in the same cell, first < second, in bounded chunks."""
        count = len(self.key)
        starts = np.flatnonzero(np.r_[True, self.key[1:] != self.key[:-1]])
        sizes = np.diff(np.r_[starts, count])
        ends = np.repeat(starts + sizes, sizes)
        partners = ends - np.arange(count, dtype=np.int64) - 1
        before = np.cumsum(partners) - partners
        total = int(before[-1] + partners[-1])
        if total == 0:
            return
        bounds = np.searchsorted(before, np.arange(0, total, _PAIRS_PER_CHUNK), side="right") - 1
        for lo, hi in zip(bounds.tolist(), [*bounds[1:].tolist(), count], strict=True):
            if lo >= hi:
                continue
            first, offset = _spread(partners[lo:hi])
            first += lo
            yield first, first + 1 + offset

    def canonical(self, first: Ints, second: Ints) -> Bools:
        """Whether the cell of entries `first` and `second` is their aircraft's one cell.

        Both boxes cover the cell. Its row must be where one of the boxes starts (so the later
        start, the first row of the intersection), and the same for its layer and its column.
        Columns wrap round the row, so two boxes can share two runs of columns, each starting
        where one box starts; then the smaller of the two start columns is the canonical one.
        """
        keep: Bools = (self.starts[first] | self.starts[second]) == 7
        first, second = first[keep], second[keep]
        here = self.column[first]
        start_a, start_b = self.first_column[first], self.first_column[second]
        a_here = start_a == here
        other = np.where(a_here, start_b, start_a)
        covering = np.where(a_here, self.columns[first], self.columns[second])
        other_inside = np.mod(other - here, self.row_columns[first]) < covering
        keep[keep] = (start_a == start_b) | ~other_inside | (here < other)
        return keep
