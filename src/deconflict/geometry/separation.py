"""Horizontal separation between footprints: minimum geodesic distance, overlap, overlap polygon.

The one definition, shared by every caller (pair predicate, index, reference):

- Boundaries are densified to pieces of at most `MAX_PIECE_M` by their own edge rule
  (straight in lon/lat for GeoJSON, geodesic for F3548); circles are exact.
- Two circles: distance = geodesic distance between centres - both radii.
- Otherwise shapes are compared in the `LocalPlane` centred on the *first* footprint (a circle's
  centre, or an outline's anchor): with a circle, the nearest boundary point to its centre is found
  there and distance = geodesic(centre, point) - radius; two outlines overlap when their interiors
  intersect, else distance = geodesic distance between the two nearest points found there.
- A negative distance (or intersecting interiors, or a circle centre inside the other shape)
  means the footprints *overlap*; the reported distance is then 0. Touching is distance 0
  without overlap.

Cheap accepts and rejects are used only where they provably give the same answer as the full
computation (see `separation`), so a caller that prunes with `Extent` caps loses nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from deconflict.geometry.geodesy import (
    MAX_PIECE_M,
    SPHERE_TO_GEODESIC_MAX_M,
    SPHERE_TO_GEODESIC_MIN_M,
    LocalPlane,
    angle_between,
    circle_ring,
    densify_geodesic,
    densify_lonlat,
    geodesic_distance_m,
    lonlat_of,
    lonlat_path_bound_rad,
    unit_vectors,
)
from deconflict.geometry.volume import Circle, Edges, Footprint, Outline

__all__ = [
    "Anchored",
    "Extents",
    "Separation",
    "anchor",
    "dense_rings",
    "extents",
    "overlap_polygon",
    "separation",
]

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_CAP_SLACK_RAD = 2.0 * MAX_PIECE_M / SPHERE_TO_GEODESIC_MIN_M
_WHOLE_SPHERE_RAD = math.pi
_INSIDE_MARGIN_M = 1e-3
"""A vertex must lie this far inside the other shape before it proves an overlap on its own."""


@dataclass(frozen=True, slots=True)
class Extents:
    """Where footprints lie on the unit sphere: an anchor each, and a cap around it holding it all.

    `cap_rad` bounds the central angle from the anchor to every point of the (densified)
    footprint, so two footprints whose caps are `g` radians apart are at least
    `g * SPHERE_TO_GEODESIC_MIN_M` metres apart. A cap of pi means "could be anywhere".
    """

    anchors: Floats
    cap_rad: Floats

    def __len__(self) -> int:
        return int(self.cap_rad.size)


def extents(footprints: Sequence[Footprint]) -> Extents:
    """Anchors and caps of many footprints at once (vectorised: used to bulk-load an index)."""
    count = len(footprints)
    anchors = np.zeros((count, 3))
    caps = np.zeros(count)
    circle_at = [i for i, f in enumerate(footprints) if isinstance(f, Circle)]
    circles = [f for f in footprints if isinstance(f, Circle)]
    if circles:
        lon = np.array([c.lon_deg for c in circles])
        lat = np.array([c.lat_deg for c in circles])
        radius = np.array([c.radius_m for c in circles])
        anchors[circle_at] = unit_vectors(lon, lat)
        caps[circle_at] = radius / SPHERE_TO_GEODESIC_MIN_M + _CAP_SLACK_RAD
    for edges in Edges:
        outline_at = [
            i for i, f in enumerate(footprints) if isinstance(f, Outline) and f.edges is edges
        ]
        shapes = np.empty(len(outline_at), dtype=object)
        shapes[:] = [f.shape for f in footprints if isinstance(f, Outline) and f.edges is edges]
        if outline_at:
            anchors[outline_at], caps[outline_at] = _outline_extents(shapes, edges)
    return Extents(anchors, caps)


def _outline_extents(shapes: npt.NDArray[np.object_], edges: Edges) -> tuple[Floats, Floats]:
    parts, part_shape = shapely.get_parts(shapes, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_shape = part_shape[ring_part]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    coord_shape = ring_shape[coord_ring]
    xyz = unit_vectors(coords[:, 0], coords[:, 1])
    sums = np.stack(
        [np.bincount(coord_shape, weights=xyz[:, k], minlength=shapes.size) for k in range(3)],
        axis=-1,
    )
    norms = np.linalg.norm(sums, axis=-1)
    counts = np.bincount(coord_shape, minlength=shapes.size)
    degenerate = norms < 1e-6 * counts
    anchors = sums / np.where(degenerate, 1.0, norms)[:, None]
    anchors[degenerate] = xyz[np.searchsorted(coord_shape, np.flatnonzero(degenerate))]
    starts = np.searchsorted(coord_shape, np.arange(shapes.size))
    far = np.maximum.reduceat(angle_between(xyz, anchors[coord_shape]), starts)
    same_ring = coord_ring[1:] == coord_ring[:-1]
    if edges is Edges.LONLAT:
        edge_rad = lonlat_path_bound_rad(coords[:, 0], coords[:, 1])
    else:
        edge_rad = angle_between(xyz[:-1], xyz[1:]) * (
            SPHERE_TO_GEODESIC_MAX_M / SPHERE_TO_GEODESIC_MIN_M
        )
    edge_rad = np.where(same_ring, edge_rad, 0.0)
    longest = np.maximum.reduceat(np.append(edge_rad, 0.0), starts)
    caps = far + longest / 2.0 + _CAP_SLACK_RAD
    caps = np.where(degenerate | (caps >= math.pi / 2.0), _WHOLE_SPHERE_RAD, caps)
    return anchors, caps


def dense_rings(outline: Outline) -> list[list[tuple[Floats, Floats]]]:
    """Each polygon part's rings (exterior first) as closed (lon, lat) arrays, densified."""
    densify = densify_lonlat if outline.edges is Edges.LONLAT else densify_geodesic
    parts = outline.shape.geoms if isinstance(outline.shape, MultiPolygon) else [outline.shape]
    out: list[list[tuple[Floats, Floats]]] = []
    for part in parts:
        rings = []
        for ring in [part.exterior, *part.interiors]:
            xy = shapely.get_coordinates(ring)
            rings.append(densify(xy[:, 0], xy[:, 1]))
        out.append(rings)
    return out


@dataclass(frozen=True, slots=True)
class _Planar:
    """An outline in a local plane: the polygon, and its boundary cut into short pieces.

    Distance queries run on the pieces: GEOS skips a piece whose envelope is already farther
    than the best distance found, which a single long ring does not allow.
    """

    shape: BaseGeometry
    pieces: BaseGeometry


_PIECE_SEGMENTS = 16


def _boundary_pieces(rings: list[Floats]) -> BaseGeometry:
    """The rings as one MultiLineString of pieces of `_PIECE_SEGMENTS` segments each."""
    coords, owners = [], []
    first = 0
    for ring in rings:
        segments = len(ring) - 1
        starts = np.arange(0, segments, _PIECE_SEGMENTS)
        ends = np.minimum(starts + _PIECE_SEGMENTS, segments)
        lengths = ends - starts + 1
        at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
        coords.append(ring[at])
        owners.append(np.repeat(np.arange(first, first + starts.size), lengths))
        first += starts.size
    lines = shapely.linestrings(np.concatenate(coords), indices=np.concatenate(owners))
    return shapely.multilinestrings(lines)


def _planar_outline(outline: Outline, plane: LocalPlane) -> _Planar:
    polygons = []
    all_rings: list[Floats] = []
    for rings in dense_rings(outline):
        planar = [plane.project(unit_vectors(lon, lat)) for lon, lat in rings]
        polygons.append(Polygon(planar[0], planar[1:]))
        all_rings.extend(planar)
    return _Planar(_merged(polygons), _boundary_pieces(all_rings))


def _merged(polygons: list[Polygon]) -> BaseGeometry:
    """Parts of one footprint as one valid shape (parts split at the antimeridian rejoin)."""
    if len(polygons) == 1:
        return polygons[0]
    merged = shapely.union_all(polygons)
    return merged if merged.is_valid else shapely.make_valid(merged)


def _planar_circle(circle: Circle, plane: LocalPlane) -> Polygon:
    lon, lat = circle_ring(circle.lon_deg, circle.lat_deg, circle.radius_m)
    return Polygon(plane.project(unit_vectors(lon, lat)))


def _unwrapped_shift(lon: Floats, centre_lon: float) -> Floats:
    """Multiples of 360 that bring longitudes within 180 degrees of `centre_lon`."""
    return np.asarray(np.round((centre_lon - lon) / 360.0) * 360.0, dtype=np.float64)


def _lonlat_outline(outline: Outline, centre_lon: float) -> BaseGeometry:
    """A lon/lat outline with each part moved by whole turns next to `centre_lon`.

    Edges straight in lon/lat are straight here, so overlap and touching are decided exactly.
    """
    parts = (
        list(outline.shape.geoms) if isinstance(outline.shape, MultiPolygon) else [outline.shape]
    )
    moved = []
    for part in parts:
        minx, _, maxx, _ = part.bounds
        shift = float(_unwrapped_shift(np.array([(minx + maxx) / 2.0]), centre_lon)[0])
        moved.append(
            shapely.transform(part, lambda xy, s=shift: xy + np.array([s, 0.0])) if shift else part
        )
    return _merged(moved)


_BOUND_PIECE_M = 2_000.0
_BOUND_SLACK_M = 1.0
"""Covers the chords between densified points and rounding: far below any buffer."""


@dataclass(frozen=True, slots=True)
class _PieceCaps:
    """A lon/lat outline's boundary covered by small caps (centre, angular radius).

    Every point of the boundary lies in some cap, so the geodesic distance between two
    boundaries is at least `SPHERE_TO_GEODESIC_MIN_M` x (angle between cap centres - radii)
    for the closest pair of caps: a lower bound that needs no projection and no GEOS. `hub`
    and `hub_rad` are one cap holding them all.
    """

    centres: Floats
    radii_rad: Floats
    hub: Floats
    hub_rad: float


def _piece_caps(outline: Outline) -> _PieceCaps:
    centres, radii = [], []
    parts = outline.shape.geoms if isinstance(outline.shape, MultiPolygon) else [outline.shape]
    for part in parts:
        for ring in [part.exterior, *part.interiors]:
            xy = shapely.get_coordinates(ring)
            lon, lat = xy[:, 0], xy[:, 1]
            length_rad = lonlat_path_bound_rad(lon, lat)
            count = np.maximum(
                1, np.ceil(length_rad * SPHERE_TO_GEODESIC_MAX_M / _BOUND_PIECE_M)
            ).astype(np.int64)
            edge = np.repeat(np.arange(count.size), count)
            step = np.arange(edge.size) - np.repeat(np.cumsum(count) - count, count)
            t = (step + 0.5) / count[edge]
            centres.append(
                unit_vectors(
                    lon[edge] + t * (lon[edge + 1] - lon[edge]),
                    lat[edge] + t * (lat[edge + 1] - lat[edge]),
                )
            )
            radii.append(length_rad[edge] / count[edge] / 2.0)
    all_centres, all_radii = np.concatenate(centres), np.concatenate(radii)
    total = all_centres.sum(axis=0)
    hub = total / np.linalg.norm(total)
    hub_rad = float(np.max(angle_between(all_centres, hub) + all_radii))
    return _PieceCaps(all_centres, all_radii, hub, hub_rad)


def _caps_gap_m(a: _PieceCaps, b: _PieceCaps, limit_m: float) -> float:
    """A lower bound of the geodesic distance between two boundaries; `limit_m` when the
    bound reaches it (closer pairs of pieces are not looked for beyond that)."""
    reach_rad = (limit_m + _BOUND_SLACK_M) / SPHERE_TO_GEODESIC_MIN_M
    near_a = angle_between(a.centres, b.hub) - a.radii_rad - b.hub_rad < reach_rad
    near_b = angle_between(b.centres, a.hub) - b.radii_rad - a.hub_rad < reach_rad
    if not (near_a.any() and near_b.any()):
        return limit_m
    ca, ra = a.centres[near_a], a.radii_rad[near_a]
    cb, rb = b.centres[near_b], b.radii_rad[near_b]
    gap = angle_between(ca[:, None, :], cb[None, :, :]) - ra[:, None] - rb[None, :]
    return min(limit_m, float(gap.min()) * SPHERE_TO_GEODESIC_MIN_M - _BOUND_SLACK_M)


def _point_caps_gap_m(caps: _PieceCaps, points: Floats) -> Floats:
    """For each point (unit vector), a lower bound of its distance to the boundary."""
    gap = angle_between(points[:, None, :], caps.centres[None, :, :]) - caps.radii_rad[None, :]
    return np.asarray(gap.min(axis=1) * SPHERE_TO_GEODESIC_MIN_M - _BOUND_SLACK_M)


class Anchored:
    """A footprint made ready to be the first of many comparisons.

    Holds its local plane and, for outlines, the planar shape (made on first use) and, for
    lon/lat outlines, the shape in lon/lat unwrapped around its anchor.
    """

    __slots__ = (
        "_boundary",
        "_caps",
        "_planar",
        "centre_lon",
        "footprint",
        "lonlat",
        "plane",
    )

    def __init__(self, footprint: Footprint, centre: Floats | None = None) -> None:
        self.footprint = footprint
        self.plane = LocalPlane.at(extents([footprint]).anchors[0] if centre is None else centre)
        self.centre_lon = float(lonlat_of(self.plane.centre)[0])
        self.lonlat: BaseGeometry | None = None
        if isinstance(footprint, Outline) and footprint.edges is Edges.LONLAT:
            self.lonlat = _lonlat_outline(footprint, self.centre_lon)
            shapely.prepare(self.lonlat)
        self._planar: _Planar | None = None
        self._boundary: BaseGeometry | None = None
        self._caps: _PieceCaps | None = None

    @property
    def caps(self) -> _PieceCaps | None:
        """Small caps covering a lon/lat outline's boundary (None for other footprints)."""
        if self._caps is None and self.lonlat is not None and isinstance(self.footprint, Outline):
            self._caps = _piece_caps(self.footprint)
        return self._caps

    def _outline(self) -> _Planar:
        if self._planar is None:
            if not isinstance(self.footprint, Outline):
                raise TypeError("a circle has no planar outline here")
            self._planar = _planar_outline(self.footprint, self.plane)
            shapely.prepare(self._planar.shape)
        return self._planar

    @property
    def planar(self) -> BaseGeometry:
        """The densified outline in the plane, prepared (outlines only; made on first use)."""
        return self._outline().shape

    @property
    def pieces(self) -> BaseGeometry:
        """The planar outline's boundary in short pieces, for distances."""
        return self._outline().pieces

    @property
    def boundary(self) -> BaseGeometry:
        if self._boundary is None:
            self._boundary = self.planar.boundary
            shapely.prepare(self._boundary)
        return self._boundary


def anchor(footprint: Footprint, centre: Floats | None = None) -> Anchored:
    """The footprint ready to be compared with many others (`centre`: its anchor, if known)."""
    return Anchored(footprint, centre)


@dataclass(frozen=True, slots=True)
class Separation:
    """Minimum geodesic distance in metres (0 if touching or overlapping), and overlap flags.

    Where `far` is set, the footprints are proven at least `beyond_m` apart and the distance
    was not computed (NaN).
    """

    distance_m: Floats
    overlaps: Bools
    far: Bools


def _geodesic_between_planar(plane: LocalPlane, p: Floats, q: Floats) -> Floats:
    lon1, lat1 = lonlat_of(plane.unproject(p))
    lon2, lat2 = lonlat_of(plane.unproject(q))
    return geodesic_distance_m(lon1, lat1, lon2, lat2)


def _nearest_on(shape: BaseGeometry, points: Floats) -> Floats:
    """For each planar point, the nearest point of `shape` (planar coordinates)."""
    lines = shapely.shortest_line(shape, shapely.points(points))
    ends: Floats = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    return ends[:, 0, :]


_NOT_COMPUTED = math.nan


def _circles_vs_circle(first: Circle, others: Sequence[Circle]) -> tuple[Floats, Bools]:
    lon = np.array([c.lon_deg for c in others])
    lat = np.array([c.lat_deg for c in others])
    radius = np.array([c.radius_m for c in others])
    centres_m = geodesic_distance_m(
        np.full(lon.size, first.lon_deg), np.full(lon.size, first.lat_deg), lon, lat
    )
    gap_m = centres_m - radius - first.radius_m
    return np.maximum(gap_m, 0.0), gap_m < 0.0


def _circles_vs_outline(
    first: Anchored, others: Sequence[Circle], beyond_m: float
) -> tuple[Floats, Bools, Bools]:
    """Circles against the first outline: centre inside, else nearest boundary point - radius."""
    lon = np.array([c.lon_deg for c in others])
    lat = np.array([c.lat_deg for c in others])
    radius = np.array([c.radius_m for c in others])
    far = np.zeros(lon.size, dtype=np.bool_)
    if first.lonlat is not None:
        shifted = lon + _unwrapped_shift(lon, first.centre_lon)
        inside = shapely.contains_xy(first.lonlat, shifted, lat)
        caps = first.caps
        if caps is not None:
            bound_m = _point_caps_gap_m(caps, unit_vectors(lon, lat)) - radius
            far = ~inside & (bound_m >= beyond_m)
    else:
        centres = first.plane.project(unit_vectors(lon, lat))
        inside = shapely.contains_xy(first.planar, centres[:, 0], centres[:, 1])
    gap_m = np.zeros(lon.size)
    outside = np.flatnonzero(~inside & ~far)
    if outside.size:
        centres = first.plane.project(unit_vectors(lon[outside], lat[outside]))
        nearest = _nearest_on(first.pieces, centres)
        lon_p, lat_p = lonlat_of(first.plane.unproject(nearest))
        gap_m[outside] = (
            geodesic_distance_m(lon_p, lat_p, lon[outside], lat[outside]) - radius[outside]
        )
    overlaps = inside | (gap_m < 0.0)
    distance_m = np.where(overlaps, 0.0, np.maximum(gap_m, 0.0))
    return np.where(far, _NOT_COMPUTED, distance_m), overlaps, far


def _outline_vs_circle(
    first: Anchored, other: Outline, beyond_m: float
) -> tuple[float, bool, bool]:
    """An outline against the first circle, in the circle's plane (exact distance from centre)."""
    circle = first.footprint
    if not isinstance(circle, Circle):
        raise TypeError("first footprint is not a circle")
    centre = first.plane.centre
    if other.edges is Edges.LONLAT:
        other_ll = _lonlat_outline(other, circle.lon_deg)
        if shapely.contains_xy(other_ll, circle.lon_deg, circle.lat_deg):
            return 0.0, True, False
        bound_m = float(_point_caps_gap_m(_piece_caps(other), centre[None, :])[0])
        if bound_m - circle.radius_m >= beyond_m:
            return _NOT_COMPUTED, False, True
    corners = shapely.get_coordinates(other.shape)
    nearest_corner_rad = float(
        np.min(angle_between(unit_vectors(corners[:, 0], corners[:, 1]), centre))
    )
    if nearest_corner_rad * SPHERE_TO_GEODESIC_MAX_M * (1.0 + 1e-9) < circle.radius_m:
        return 0.0, True, False
    planar = _planar_outline(other, first.plane)
    if other.edges is not Edges.LONLAT and shapely.contains_xy(planar.shape, 0.0, 0.0):
        return 0.0, True, False
    nearest = _nearest_on(planar.pieces, np.zeros((1, 2)))
    lon_p, lat_p = lonlat_of(first.plane.unproject(nearest))
    gap_m = float(
        geodesic_distance_m(circle.lon_deg, circle.lat_deg, lon_p, lat_p)[0] - circle.radius_m
    )
    return max(gap_m, 0.0), gap_m < 0.0, False


def _outline_vs_outline(
    first: Anchored, other: Outline, beyond_m: float
) -> tuple[float, bool, bool]:
    """Two outlines: overlap and touching decided in lon/lat when both are lon/lat outlines
    (exact), else in the plane; the distance between disjoint ones always in the plane, unless
    the boundaries' piece caps already prove them `beyond_m` apart."""
    first_caps = first.caps
    if first.lonlat is not None and first_caps is not None and other.edges is Edges.LONLAT:
        other_ll = _lonlat_outline(other, first.centre_lon)
        if shapely.intersects(first.lonlat, other_ll):
            return 0.0, not shapely.touches(first.lonlat, other_ll), False
        if _caps_gap_m(first_caps, _piece_caps(other), beyond_m) >= beyond_m:
            return _NOT_COMPUTED, False, True
    elif not isinstance(other.shape, MultiPolygon) and _corner_inside(first, other):
        return 0.0, True, False
    other_planar = _planar_outline(other, first.plane)
    if shapely.intersects(first.planar, other_planar.shape):
        if first.lonlat is not None and other.edges is Edges.LONLAT:
            return 0.0, False, False
        return 0.0, not shapely.touches(first.planar, other_planar.shape), False
    line = shapely.get_coordinates(shapely.shortest_line(first.pieces, other_planar.pieces))
    return float(_geodesic_between_planar(first.plane, line[:1], line[1:])[0]), False, False


def _corner_inside(first: Anchored, other: Outline) -> bool:
    """Whether a vertex of `other` lies clearly inside the first outline (so interiors meet)."""
    corners = shapely.get_coordinates(other.shape)
    planar = first.plane.project(unit_vectors(corners[:, 0], corners[:, 1]))
    inside = shapely.contains_xy(first.planar, planar[:, 0], planar[:, 1])
    if not inside.any():
        return False
    depth_m = shapely.distance(first.boundary, shapely.points(planar[inside]))
    return bool(np.any(depth_m > _INSIDE_MARGIN_M))


def _settled_by_caps(first: Anchored, others: Extents, beyond_m: float) -> tuple[Bools, Bools]:
    """Which others are settled by caps alone: (inside, far).

    When an other's whole cap stays `beyond_m` clear of the first outline's boundary (by the
    piece caps), it lies either inside the outline (overlap: its anchor is inside) or outside
    and at least `beyond_m` away.
    """
    caps = first.caps
    inside = np.zeros(len(others), dtype=np.bool_)
    far = np.zeros(len(others), dtype=np.bool_)
    if caps is None or first.lonlat is None:
        return inside, far
    clear = _point_caps_gap_m(caps, others.anchors) - others.cap_rad * SPHERE_TO_GEODESIC_MIN_M
    clear_at = np.flatnonzero(clear >= beyond_m)
    if clear_at.size == 0:
        return inside, far
    lon, lat = lonlat_of(others.anchors[clear_at])
    inside_at = shapely.contains_xy(
        first.lonlat, lon + _unwrapped_shift(lon, first.centre_lon), lat
    )
    inside[clear_at[inside_at]] = True
    far[clear_at[~inside_at]] = True
    return inside, far


def separation(
    first: Anchored,
    others: Sequence[Footprint],
    beyond_m: float = math.inf,
    others_extents: Extents | None = None,
) -> Separation:
    """Separation of `first` from each of `others`, by the module's one definition.

    Pairs proven at least `beyond_m` apart by cheap bounds are marked `far`, their distance
    left uncomputed: pass the largest distance that still matters (a buffer). Passing the
    others' `extents` (exactly as `extents` computes them) lets whole caps be settled at once.
    """
    count = len(others)
    distance_m = np.zeros(count)
    overlaps = np.zeros(count, dtype=np.bool_)
    far = np.zeros(count, dtype=np.bool_)
    if others_extents is not None and math.isfinite(beyond_m):
        overlaps, far = _settled_by_caps(first, others_extents, beyond_m)
        distance_m[far] = _NOT_COMPUTED
    open_at = [i for i in range(count) if not (overlaps[i] or far[i])]
    circle_at = [i for i in open_at if isinstance(others[i], Circle)]
    circles = [c for c in (others[i] for i in circle_at) if isinstance(c, Circle)]
    if circles:
        if isinstance(first.footprint, Circle):
            distance_m[circle_at], overlaps[circle_at] = _circles_vs_circle(
                first.footprint, circles
            )
        else:
            distance_m[circle_at], overlaps[circle_at], far[circle_at] = _circles_vs_outline(
                first, circles, beyond_m
            )
    for i in open_at:
        other = others[i]
        if isinstance(other, Outline):
            if isinstance(first.footprint, Circle):
                distance_m[i], overlaps[i], far[i] = _outline_vs_circle(first, other, beyond_m)
            else:
                distance_m[i], overlaps[i], far[i] = _outline_vs_outline(first, other, beyond_m)
    return Separation(distance_m, overlaps, far)


def _split_at_antimeridian(shape: BaseGeometry) -> BaseGeometry | None:
    """A lon/lat shape whose longitudes may run past +-180, cut there and wrapped back."""
    pieces: list[Polygon] = []
    for shift_deg in (0.0, -360.0, 360.0):
        window = box(-180.0 - shift_deg, -90.0, 180.0 - shift_deg, 90.0)
        clipped = shapely.intersection(shape, window)
        if clipped.is_empty or clipped.area <= 0.0:
            continue

        def wrap(xy: Floats, s: float = shift_deg) -> Floats:
            return np.stack([np.clip(xy[:, 0] + s, -180.0, 180.0), xy[:, 1]], axis=-1)

        moved = shapely.transform(clipped, wrap)
        pieces.extend(p for p in shapely.get_parts(moved) if isinstance(p, Polygon) and p.area > 0)
    if not pieces:
        return None
    return pieces[0] if len(pieces) == 1 else MultiPolygon(pieces)


def overlap_polygon(first: Footprint, second: Footprint) -> BaseGeometry | None:
    """The lon/lat polygon where two footprints overlap (split at the antimeridian), or None."""
    anchored = anchor(first)
    if anchored.lonlat is not None and isinstance(second, Outline) and second.edges is Edges.LONLAT:
        common = shapely.intersection(anchored.lonlat, _lonlat_outline(second, anchored.centre_lon))
        parts = [p for p in shapely.get_parts(common) if isinstance(p, Polygon) and p.area > 0.0]
        return _split_at_antimeridian(shapely.union_all(parts)) if parts else None
    plane = anchored.plane

    def planar(f: Footprint) -> BaseGeometry:
        if isinstance(f, Circle):
            return _planar_circle(f, plane)
        return _planar_outline(f, plane).shape

    common = shapely.intersection(planar(first), planar(second))
    parts = [p for p in shapely.get_parts(common) if isinstance(p, Polygon) and p.area > 0.0]
    if not parts:
        return None

    def to_lonlat(xy: Floats) -> Floats:
        lon, lat = lonlat_of(plane.unproject(xy))
        return np.stack([lon + _unwrapped_shift(lon, anchored.centre_lon), lat], axis=-1)

    return _split_at_antimeridian(shapely.transform(shapely.union_all(parts), to_lonlat))
