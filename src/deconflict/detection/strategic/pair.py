"""The strategic pair predicate: when two 4D volumes conflict, and the explanation of it.

Definitions (all gaps are "how far apart", negative when the two overlap):

- Time windows are half-open [start, end). Time gap = max(starts) - min(ends).
- Vertical gap = max(lowers) - min(uppers). When the two bands' `AltitudeReference`s differ
  (W84 metres against pressure altitude) the vertical buffer grows by `datum_margin_m`.
- Horizontal: the minimum geodesic distance between the footprints (0 when they touch), and
  "overlap" when their interiors intersect, as defined in `deconflict.geometry.separation`.
- Two volumes conflict iff time gap < `time_s` AND vertical gap < `vertical_m` (+ margin) AND
  (footprints overlap OR distance < `horizontal_m`): every comparison is strict. With zero
  buffers, touching boundaries, windows that only meet (zero-duration overlap) and bands that
  meet exactly do not conflict; any overlap of positive measure in all three does.

A `Conflict` explains itself: the overlapping time window (with a time buffer, a conflict may
have `overlap_end <= overlap_start`: that is the gap the buffer bridged), the altitude overlap
or vertical gap, the minimum distance and, when footprints overlap, the overlap polygon
(computed when asked for, since most callers never look at it).

`pair_conflict` is the only predicate: the index evaluates exactly this code on the pairs it
cannot rule out, so it only ever prunes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from deconflict.arrays import Floats, Ints
from deconflict.compiled import kernel
from deconflict.errors import FieldError, InvalidInput
from deconflict.geometry.bounds import caps_clear_of_outline
from deconflict.geometry.extents import box_cap
from deconflict.geometry.geodesy import SPHERE_TO_GEODESIC_MIN_M
from deconflict.geometry.separation import (
    Anchored,
    Extents,
    anchor,
    extents,
    overlap_polygon,
    separation,
)
from deconflict.geometry.volume import (
    AltitudeBand,
    AltitudeReference,
    Edges,
    Footprint,
    Outline,
    Volume,
)

__all__ = [
    "REFERENCES",
    "Buffers",
    "Conflict",
    "PreparedQuery",
    "Summaries",
    "evaluate",
    "may_conflict",
    "may_conflict_rows",
    "micros",
    "pair_conflict",
]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def micros(when: datetime) -> int:
    """Microseconds since the Unix epoch: exact integer time for comparisons."""
    return (when - _EPOCH) // _MICRO


@dataclass(frozen=True, slots=True)
class Buffers:
    """Separation an agreement requires, each >= 0: metres on the ground, metres up, seconds."""

    horizontal_m: float = 0.0
    vertical_m: float = 0.0
    time_s: float = 0.0
    datum_margin_m: float = 0.0
    """Added to `vertical_m` when the two bands' `AltitudeReference`s differ."""

    def __post_init__(self) -> None:
        errors = []
        for name in ("horizontal_m", "vertical_m", "time_s", "datum_margin_m"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                errors.append(FieldError(f"/{name}", f"must be a number, not {value!r}"))
            elif not (math.isfinite(value) and value >= 0.0):
                errors.append(FieldError(f"/{name}", f"must be finite and >= 0, not {value!r}"))
        if errors:
            raise InvalidInput("invalid buffers", errors)

    def vertical_limit_m(self, same_reference: bool) -> float:
        return self.vertical_m if same_reference else self.vertical_m + self.datum_margin_m


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two volumes closer than the buffers in time, altitude and on the ground, and by how much."""

    first: str
    second: str
    overlap_start: datetime
    """max(starts); `overlap_end` = min(ends). A time buffer may leave a gap (end <= start)."""
    overlap_end: datetime
    altitude_overlap_m: tuple[float, float] | None
    """(lower, upper) of the common band, or None when the bands do not overlap."""
    vertical_gap_m: float
    """0 when the bands overlap."""
    min_distance_m: float
    """Geodesic metres between the footprints, 0 when they touch or overlap."""
    footprints_overlap: bool
    footprints: tuple[Footprint, Footprint] = field(compare=False, repr=False)

    @property
    def overlap(self) -> BaseGeometry | None:
        """The lon/lat polygon where the footprints overlap (split at the antimeridian), or None."""
        if not self.footprints_overlap:
            return None
        return overlap_polygon(*self.footprints)


REFERENCES = tuple(AltitudeReference)
"""Altitude references by code, as stored in `Summaries.reference`."""
_REFERENCE_CODES = {r: i for i, r in enumerate(REFERENCES)}


@dataclass(frozen=True, slots=True)
class Summaries:
    """What the predicate's cheap tests read of many volumes, as arrays.

    Integer microseconds, altitude band and reference code, and the footprint's cap on the unit
    sphere (`deconflict.geometry.separation.Extents`).
    """

    start_us: Ints
    end_us: Ints
    lower_m: Floats
    upper_m: Floats
    reference: npt.NDArray[np.int8]
    anchors: Floats
    cap_rad: Floats

    @classmethod
    def of(cls, volumes: Sequence[Volume]) -> Summaries:
        ext = extents([v.footprint for v in volumes])
        return cls(
            np.array([micros(v.window.start) for v in volumes], dtype=np.int64),
            np.array([micros(v.window.end) for v in volumes], dtype=np.int64),
            np.array([v.altitude.lower_m for v in volumes], dtype=np.float64),
            np.array([v.altitude.upper_m for v in volumes], dtype=np.float64),
            np.array([_REFERENCE_CODES[v.altitude.reference] for v in volumes], dtype=np.int8),
            ext.anchors,
            ext.cap_rad,
        )

    @property
    def columns(
        self,
    ) -> tuple[Ints, Ints, Floats, Floats, npt.NDArray[np.int8], Floats, Floats]:
        """The arrays in field order, as `may_conflict_rows` takes them."""
        return (
            self.start_us,
            self.end_us,
            self.lower_m,
            self.upper_m,
            self.reference,
            self.anchors,
            self.cap_rad,
        )

    def take(self, at: npt.NDArray[np.intp]) -> Summaries:
        return Summaries(
            self.start_us[at],
            self.end_us[at],
            self.lower_m[at],
            self.upper_m[at],
            self.reference[at],
            self.anchors[at],
            self.cap_rad[at],
        )

    def __len__(self) -> int:
        return int(self.start_us.size)


@dataclass(frozen=True, slots=True)
class PreparedQuery:
    """A volume made ready to be compared with many: its summary, then its planar footprint."""

    volume: Volume
    start_us: int
    end_us: int
    reference: int
    """Code of the altitude reference, as in `Summaries.reference`."""
    anchor_xyz: Floats
    cap_rad: float
    exact: bool = True
    """False for a `screening` summary, whose cap only prunes."""
    _planar: list[Anchored] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def of(cls, volume: Volume) -> PreparedQuery:
        ext = extents([volume.footprint])
        return cls._with(volume, ext.anchors[0], float(ext.cap_rad[0]), exact=True)

    @classmethod
    def screening(cls, volume: Volume) -> PreparedQuery:
        """A summary for a first screening: a lon/lat outline gets its `box_cap`, a third of the
        cost of its exact cap and about as tight; other footprints get `of`. It prunes only:
        where something passes, compare shapes with `of`'s summary."""
        footprint = volume.footprint
        box = box_cap(footprint) if isinstance(footprint, Outline) else None
        if box is None:
            return cls.of(volume)
        return cls._with(volume, box[0], box[1], exact=False)

    @classmethod
    def _with(
        cls, volume: Volume, anchor_xyz: Floats, cap_rad: float, exact: bool
    ) -> PreparedQuery:
        return cls(
            volume,
            micros(volume.window.start),
            micros(volume.window.end),
            _REFERENCE_CODES[volume.altitude.reference],
            anchor_xyz,
            cap_rad,
            exact,
        )

    def test_args(
        self, buffers: Buffers
    ) -> tuple[int, int, float, float, int, Floats, float, float, float, float, float]:
        """The query's and the buffers' side of `may_conflict_rows`."""
        band = self.volume.altitude
        return (
            self.start_us,
            self.end_us,
            band.lower_m,
            band.upper_m,
            self.reference,
            self.anchor_xyz,
            self.cap_rad,
            buffers.time_s * 1e6,
            buffers.vertical_m,
            buffers.datum_margin_m,
            buffers.horizontal_m,
        )

    @property
    def anchored(self) -> Anchored:
        """The footprint in its own plane, made on first use (the costly part)."""
        if not self.exact:
            raise ValueError("a screening summary is not for comparing shapes: use of()")
        if not self._planar:
            self._planar.append(anchor(self.volume.footprint, self.anchor_xyz))
        return self._planar[0]


def may_conflict(
    query: PreparedQuery, s: Summaries, buffers: Buffers, at: Ints | None = None
) -> Ints:
    """The rows of `s` (those in `at`, default all) that pass the predicate's time, altitude and
    cap tests; a row left out is proven not to conflict."""
    rows = np.arange(len(s), dtype=np.int64) if at is None else at
    kept: Ints = may_conflict_rows(rows, *(s.columns + query.test_args(buffers)))
    return kept


@kernel(
    "int64[:](int64[:], int64[:], int64[:], float64[:], float64[:], int8[:], float64[:, :],"
    " float64[:], int64, int64, float64, float64, int64, float64[:], float64, float64, float64,"
    " float64, float64)"
)
def may_conflict_rows(
    rows: Ints,
    start_us: Ints,
    end_us: Ints,
    lower_m: Floats,
    upper_m: Floats,
    reference: npt.NDArray[np.int8],
    anchors: Floats,
    cap_rad: Floats,
    q_start_us: int,
    q_end_us: int,
    q_lower_m: float,
    q_upper_m: float,
    q_reference: int,
    q_anchor: Floats,
    q_cap_rad: float,
    time_limit_us: float,
    vertical_m: float,
    datum_margin_m: float,
    horizontal_m: float,
) -> Ints:
    """`may_conflict` on the arrays (`Summaries.columns`, `PreparedQuery.test_args`), compiled:
    one pass over the rows instead of a dozen array operations.

    The cap gap is the central angle between anchors (2 asin(chord / 2), as `angle_between`)
    less both caps, in metres on the smallest radius of curvature.
    """
    kept = np.empty(rows.size, dtype=np.int64)
    count = 0
    for i in rows:
        if not max(start_us[i], q_start_us) - min(end_us[i], q_end_us) < time_limit_us:
            continue
        limit_m = vertical_m if reference[i] == q_reference else vertical_m + datum_margin_m
        if not max(lower_m[i], q_lower_m) - min(upper_m[i], q_upper_m) < limit_m:
            continue
        dx = anchors[i, 0] - q_anchor[0]
        dy = anchors[i, 1] - q_anchor[1]
        dz = anchors[i, 2] - q_anchor[2]
        angle = 2.0 * math.asin(min(math.sqrt(dx * dx + dy * dy + dz * dz) / 2.0, 1.0))
        if not (angle - cap_rad[i] - q_cap_rad) * SPHERE_TO_GEODESIC_MIN_M < horizontal_m:
            continue
        kept[count] = i
        count += 1
    return kept[:count]


def _altitude_overlap(a: AltitudeBand, b: AltitudeBand) -> tuple[float, float] | None:
    lower, upper = max(a.lower_m, b.lower_m), min(a.upper_m, b.upper_m)
    return (lower, upper) if lower < upper else None


def _conflict(first: str, second: str, a: Volume, b: Volume, dist_m: float, over: bool) -> Conflict:
    wa, wb = a.window, b.window
    gap_v = max(a.altitude.lower_m, b.altitude.lower_m) - min(
        a.altitude.upper_m, b.altitude.upper_m
    )
    return Conflict(
        first=first,
        second=second,
        overlap_start=max(wa.start, wb.start),
        overlap_end=min(wa.end, wb.end),
        altitude_overlap_m=_altitude_overlap(a.altitude, b.altitude),
        vertical_gap_m=max(gap_v, 0.0),
        min_distance_m=0.0 if over else dist_m,
        footprints_overlap=over,
        footprints=(a.footprint, b.footprint),
    )


def evaluate(
    query: PreparedQuery,
    first: str,
    keys: Sequence[str],
    volumes: Sequence[Volume],
    summaries: Summaries,
    buffers: Buffers,
    *,
    screened: bool = False,
) -> list[Conflict]:
    """The pair predicate of `query` against each volume (with its summary), batched.

    Element by element this is exactly `pair_conflict`; batching only shares the query's
    preparation and the vectorised arithmetic. `screened` says every row already passed
    `may_conflict` (the index's own pass), which is then not repeated. With a lon/lat outline
    query, volumes whose caps clear it (`caps_clear_of_outline`) are settled before any shape
    is compared.
    """
    if not volumes:
        return []
    rows = np.arange(len(volumes)) if screened else may_conflict(query, summaries, buffers)
    caps = Extents(summaries.anchors[rows], summaries.cap_rad[rows])
    footprint = query.volume.footprint
    if isinstance(footprint, Outline) and footprint.edges is Edges.LONLAT and rows.size:
        near = np.flatnonzero(~caps_clear_of_outline(footprint, caps, buffers.horizontal_m))
        rows, caps = rows[near], Extents(caps.anchors[near], caps.cap_rad[near])
    if rows.size == 0:
        return []
    kept = rows.tolist()
    sep = separation(
        query.anchored,
        [volumes[i].footprint for i in kept],
        beyond_m=buffers.horizontal_m,
        others_extents=caps,
    )
    return [
        _conflict(first, keys[i], query.volume, volumes[i], float(d), bool(o))
        for i, d, o, f in zip(kept, sep.distance_m, sep.overlaps, sep.far, strict=True)
        if o or (not f and d < buffers.horizontal_m)
    ]


def pair_conflict(
    a: Volume, b: Volume, buffers: Buffers, first: str = "a", second: str = "b"
) -> Conflict | None:
    """THE pair predicate: the conflict between `a` and `b` under `buffers`, or None."""
    found = evaluate(PreparedQuery.of(a), first, [second], [b], Summaries.of([b]), buffers)
    return found[0] if found else None
