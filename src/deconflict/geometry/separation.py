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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.geometry.base import BaseGeometry

from deconflict.arrays import Bools, Floats, Geometries, Ints
from deconflict.geometry.bounds import (
    PieceCaps,
    Squeezed,
    SqueezedMany,
    circles_bounds_m,
    lonlat_apart,
    nearest_cap_rad,
    piece_caps,
    point_caps_gap_m,
)
from deconflict.geometry.extents import Extents, extents, ring_coordinates
from deconflict.geometry.geodesy import (
    MAX_PIECE_M,
    PLANE_RADIUS_M,
    SPHERE_TO_GEODESIC_MIN_M,
    LocalPlane,
    angle_between,
    densify_lonlat_edges,
    geodesic_distance_m,
    lonlat_edge_bound_rad,
    lonlat_of,
    unit_vectors,
)
from deconflict.geometry.planar import (
    DenseRings,
    circle_planes,
    dense_rings,
    gaps_in_circle_planes,
    lines_of,
    lonlat_outline,
    lonlat_outlines,
    planar_circle,
    planar_outline,
    planar_shapes,
    project_each,
    unwrapped_shift,
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


_INSIDE_MARGIN_M = 1e-3
"""A vertex must lie this far inside the other shape before it proves an overlap on its own."""


class Anchored:
    """A footprint made ready to be the first of many comparisons.

    Holds its local plane and, for outlines, the planar shape (made on first use) and, for
    lon/lat outlines, the shape in lon/lat unwrapped around its anchor.
    """

    __slots__ = (
        "_boundary",
        "_caps",
        "_dense",
        "_lines",
        "_planar",
        "_shape",
        "_squeezed",
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
            self.lonlat = lonlat_outline(footprint, self.centre_lon)
            shapely.prepare(self.lonlat)
        self._planar: Floats | None = None
        self._shape: BaseGeometry | None = None
        self._lines: BaseGeometry | None = None
        self._boundary: BaseGeometry | None = None
        self._caps: PieceCaps | None = None
        self._dense: DenseRings | None = None
        self._squeezed: Squeezed | None = None

    @property
    def squeezed(self) -> Squeezed | None:
        """The lon/lat outline in its squeezed plane, for cheap bounds (lon/lat outlines only)."""
        if self._squeezed is None and self.lonlat is not None:
            self._squeezed = Squeezed.of(self.lonlat)
        return self._squeezed

    def dense(self) -> DenseRings:
        """The outline's densified rings (outlines only; made on first use)."""
        if self._dense is None:
            if not isinstance(self.footprint, Outline):
                raise TypeError("a circle has no rings")
            self._dense = DenseRings.of(self.footprint)
        return self._dense

    @property
    def caps(self) -> PieceCaps | None:
        """Small caps covering a lon/lat outline's boundary (None for other footprints)."""
        if self._caps is None and self.lonlat is not None:
            self._caps = piece_caps(self.dense())
        return self._caps

    def _projected(self) -> Floats:
        if self._planar is None:
            self._planar = self.plane.project(self.dense().xyz)
        return self._planar

    @property
    def planar(self) -> BaseGeometry:
        """The densified outline in the plane, prepared (outlines only; made on first use)."""
        if self._shape is None:
            self._shape = self.dense().polygon(self._projected())
            shapely.prepare(self._shape)
        return self._shape

    @property
    def lines(self) -> BaseGeometry:
        """The planar outline's boundary as prepared lines, for distances."""
        if self._lines is None:
            self._lines = lines_of(self._projected(), self.dense().sizes)[0]
            shapely.prepare(self._lines)
        return self._lines

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


def _circles_in_own_planes(
    circles: Sequence[Circle], rings: Sequence[DenseRings]
) -> tuple[Floats, Bools]:
    """The exact path, pair by pair but in one batch: circle k against outline rings k, in the
    circle's own plane, where planar distance from the centre is the central angle. A pair
    overlaps when the centre is inside the outline (decided there) or the nearest boundary
    point is closer than the radius; (geodesic distance to that point - radius, or 0; overlap).
    """
    point_owner = np.repeat(np.arange(len(rings)), [r.xyz.shape[0] for r in rings])
    frame = (rows[point_owner] for rows in circle_planes(circles))
    planar = project_each(np.concatenate([r.xyz for r in rings]), *frame)
    inside = np.asarray(shapely.contains_xy(planar_shapes(rings, planar), 0.0, 0.0), dtype=bool)
    distance_m = np.zeros(len(circles))
    overlaps = inside.copy()
    at = np.flatnonzero(~inside)
    if at.size:
        gap_m = gaps_in_circle_planes(
            [circles[i] for i in at.tolist()],
            np.concatenate([rings[i].xyz for i in at.tolist()]),
            np.concatenate([rings[i].sizes for i in at.tolist()]),
            np.repeat(np.arange(at.size), [rings[i].sizes.size for i in at.tolist()]),
        )
        distance_m[at], overlaps[at] = np.maximum(gap_m, 0.0), gap_m < 0.0
    return distance_m, overlaps


def _settle_circles(
    lon_deg: Floats,
    lat_deg: Floats,
    radius_m: Floats,
    shapes_ll: BaseGeometry | Geometries,
    squeezed: Squeezed | SqueezedMany,
    beyond_m: float,
) -> tuple[Bools, Bools]:
    """Circles against lon/lat outlines (one for all, or one each), settled cheaply where that
    is exact: (overlaps, far). Overlap when the centre (longitude unwrapped next to the
    outline) is inside, decided in lon/lat; far or overlap where `circles_bounds_m` proves it.
    """
    inside = np.asarray(shapely.contains_xy(shapes_ll, lon_deg, lat_deg), dtype=np.bool_)
    far = np.zeros(lon_deg.size, dtype=np.bool_)
    at = np.flatnonzero(~inside)
    if at.size == 0:
        return inside, far
    if isinstance(squeezed, SqueezedMany):
        scale, low, high = squeezed.scale[at], squeezed.min_lat[at], squeezed.max_lat[at]
        boundary = squeezed.boundary[at]
    else:
        scale, low, high = (
            np.full(at.size, v) for v in (squeezed.scale, squeezed.min_lat, squeezed.max_lat)
        )
        boundary = np.full(at.size, squeezed.boundary, dtype=object)
    radius = radius_m[at]
    lower_m, upper_m = circles_bounds_m(
        lon_deg[at], lat_deg[at], scale, low, high, boundary, beyond_m + radius
    )
    far[at] = lower_m - radius >= beyond_m
    inside[at] = ~far[at] & (upper_m < radius)
    return inside, far


def _circles_and_outline(
    circles: Sequence[Circle],
    outline_ll: BaseGeometry | None,
    squeezed: Squeezed | None,
    centre_lon: float,
    rings: Callable[[], DenseRings],
    beyond_m: float,
) -> tuple[Floats, Bools, Bools]:
    """Circles against one outline, whichever comes first: each in its own circle's plane.

    A circle overlaps the outline when its centre is inside (decided in lon/lat for a lon/lat
    outline: exact) or the nearest boundary point is closer than the radius; otherwise the
    distance is geodesic(centre, nearest boundary point) - radius. For lon/lat outlines,
    `_settle_circles` settles most circles at once without the exact path.
    """
    distance_m = np.zeros(len(circles))
    overlaps = np.zeros(len(circles), dtype=np.bool_)
    far = np.zeros(len(circles), dtype=np.bool_)
    if outline_ll is not None and squeezed is not None:
        lon = np.array([c.lon_deg for c in circles])
        lat = np.array([c.lat_deg for c in circles])
        radius = np.array([c.radius_m for c in circles])
        overlaps, far = _settle_circles(
            lon + unwrapped_shift(lon, centre_lon), lat, radius, outline_ll, squeezed, beyond_m
        )
        distance_m[far] = _NOT_COMPUTED
    open_at = np.flatnonzero(~(overlaps | far))
    if outline_ll is not None and open_at.size:
        dense = rings()
        xyz, sizes = dense.xyz, dense.sizes
        gap_m = gaps_in_circle_planes(
            [circles[i] for i in open_at.tolist()],
            np.tile(xyz, (open_at.size, 1)),
            np.tile(sizes, open_at.size),
            np.repeat(np.arange(open_at.size), sizes.size),
        )
        distance_m[open_at], overlaps[open_at] = np.maximum(gap_m, 0.0), gap_m < 0.0
        return distance_m, overlaps, far
    if open_at.size:
        dense = rings()
        distance_m[open_at], overlaps[open_at] = _circles_in_own_planes(
            [circles[i] for i in open_at.tolist()], [dense] * open_at.size
        )
    return distance_m, overlaps, far


def _circle_and_outlines(
    circle: Circle, outlines: Sequence[Outline], beyond_m: float
) -> tuple[Floats, Bools, Bools]:
    """One circle against many outlines, each pair exactly as `_circles_and_outline` decides it;
    lon/lat outlines are settled together where the cheap bounds allow, and only their edges
    that can hold the point nearest the centre (by central angle from their midpoints, as in
    `_near_edges`) are densified."""
    count = len(outlines)
    distance_m = np.zeros(count)
    overlaps = np.zeros(count, dtype=np.bool_)
    far = np.zeros(count, dtype=np.bool_)
    lonlat_at = np.array(
        [i for i, o in enumerate(outlines) if o.edges is Edges.LONLAT], dtype=np.int64
    )
    if lonlat_at.size:
        shapes = lonlat_outlines([outlines[i] for i in lonlat_at.tolist()], circle.lon_deg)
        ones = np.ones(lonlat_at.size)
        overlaps[lonlat_at], far[lonlat_at] = _settle_circles(
            ones * circle.lon_deg,
            ones * circle.lat_deg,
            ones * circle.radius_m,
            shapes,
            SqueezedMany.of(shapes),
            beyond_m,
        )
        distance_m[far] = _NOT_COMPUTED
    is_lonlat = np.zeros(count, dtype=np.bool_)
    is_lonlat[lonlat_at] = True
    open_at = np.flatnonzero(~(overlaps | far) & is_lonlat)
    if open_at.size:
        lon1, lat1, lon2, lat2, owner = _edges_of([outlines[i] for i in open_at.tolist()])
        middle = unit_vectors((lon1 + lon2) / 2.0, (lat1 + lat2) / 2.0)
        to_middle = angle_between(middle, unit_vectors(circle.lon_deg, circle.lat_deg))
        upper_rad = np.full(open_at.size, np.inf)
        np.minimum.at(upper_rad, owner, to_middle)
        half_rad = lonlat_edge_bound_rad(lon1, lat1, lon2, lat2) / 2.0
        near = to_middle - half_rad <= upper_rad[owner] + 2.0 * _CHORD_SLACK_M / PLANE_RADIUS_M
        lon, lat, sizes = densify_lonlat_edges(lon1[near], lat1[near], lon2[near], lat2[near])
        gap_m = gaps_in_circle_planes(
            [circle] * open_at.size, unit_vectors(lon, lat), sizes, owner[near]
        )
        distance_m[open_at], overlaps[open_at] = np.maximum(gap_m, 0.0), gap_m < 0.0
    rest = np.flatnonzero(~(overlaps | far) & ~is_lonlat)
    if rest.size:
        distance_m[rest], overlaps[rest] = _circles_in_own_planes(
            [circle] * rest.size, [DenseRings.of(outlines[i]) for i in rest.tolist()]
        )
    return distance_m, overlaps, far


def _outlines_in_plane(first: Anchored, outlines: Sequence[Outline]) -> tuple[Floats, Bools]:
    """Outlines against the first outline in its plane, where either has geodesic edges, in
    one batch: each densified by its own edge rule and projected; interiors that intersect
    overlap (intersecting, not only touching); otherwise the distance is geodesic between the
    nearest points of the two densified boundaries found in the plane.

    A single-part outline with a vertex clearly inside the first's interior overlaps it (that
    vertex is a point of its densified boundary), so it is settled without being densified.
    """
    overlaps = _vertex_inside(first, outlines)
    distance_m = np.zeros(len(outlines))
    open_at = np.flatnonzero(~overlaps)
    if open_at.size == 0:
        return distance_m, overlaps
    dense = [DenseRings.of(outlines[i]) for i in open_at.tolist()]
    planar = first.plane.project(np.concatenate([d.xyz for d in dense]))
    shapes = planar_shapes(dense, planar)
    meets = np.asarray(shapely.intersects(first.planar, shapes), dtype=np.bool_)
    at = np.flatnonzero(meets)
    if at.size:
        touching = np.asarray(shapely.touches(first.planar, shapes[at]), dtype=np.bool_)
        overlaps[open_at[at]] = ~touching
    apart = np.flatnonzero(~meets)
    if apart.size:
        sizes = np.concatenate([d.sizes for d in dense])
        owner = np.repeat(np.arange(len(dense)), [d.sizes.size for d in dense])
        lines = lines_of(planar, sizes, owner, len(dense))[apart]
        ends = shapely.get_coordinates(shapely.shortest_line(first.lines, lines)).reshape(-1, 2, 2)
        distance_m[open_at[apart]] = _geodesic_between_planar(first.plane, ends[:, 0], ends[:, 1])
    return distance_m, overlaps


def _vertex_inside(first: Anchored, outlines: Sequence[Outline]) -> Bools:
    """Which single-part outlines have a vertex more than `_INSIDE_MARGIN_M` inside the first
    outline's planar interior."""
    shapes = np.empty(len(outlines), dtype=object)
    shapes[:] = [o.shape for o in outlines]
    single = np.asarray(shapely.get_type_id(shapes) == shapely.GeometryType.POLYGON)
    found = np.zeros(len(outlines), dtype=np.bool_)
    corners, owner = shapely.get_coordinates(shapes[single], return_index=True)
    if owner.size == 0:
        return found
    planar = first.plane.project(unit_vectors(corners[:, 0], corners[:, 1]))
    inside = shapely.contains_xy(first.planar, planar[:, 0], planar[:, 1])
    if inside.any():
        depth_m = shapely.distance(first.boundary, shapely.points(planar[inside]))
        deep = owner[inside][depth_m > _INSIDE_MARGIN_M]
        found[np.flatnonzero(single)[deep]] = True
    return found


_CHORD_SLACK_M = 1.01 * MAX_PIECE_M
"""Twice how far a densified chord strays from its edge (half a piece), with the plane's scale
over geodesic metres: chords on both sides move each bound of `_near_edges` by this much,
times the plane's stretch."""


def _edges_of(
    outlines: Sequence[Outline],
) -> tuple[Floats, Floats, Floats, Floats, Ints]:
    """Every edge of the outlines' rings: (lon1, lat1, lon2, lat2, outline) of each."""
    shapes = np.empty(len(outlines), dtype=object)
    shapes[:] = [o.shape for o in outlines]
    coords, coord_ring, ring_part, part_shape = ring_coordinates(shapes)
    at = np.flatnonzero(coord_ring[1:] == coord_ring[:-1])
    owner = part_shape[ring_part[coord_ring[at]]]
    return coords[at, 0], coords[at, 1], coords[at + 1, 0], coords[at + 1, 1], owner


def _near_edges(
    first: Anchored, outlines: Sequence[Outline]
) -> tuple[Floats, Floats, Floats, Floats, Ints]:
    """The edges of lon/lat outlines that can hold their point nearest the first's boundary in
    the first's plane: (lon1, lat1, lon2, lat2, outline) of each.

    Plane distances are at least the central angle and at most it times the plane's stretch
    over both shapes; every boundary point lies within a piece cap of the first, whose centres
    lie on it. So an
    edge whose midpoint is farther from every cap centre than the outline's nearest edge
    midpoint, by more than the edge's half-length, the caps' radius and the chords' slack,
    cannot hold the nearest point and is skipped.
    """
    lon1, lat1, lon2, lat2, owner = _edges_of(outlines)
    caps = first.caps
    if caps is None:
        return lon1, lat1, lon2, lat2, owner
    half_rad = lonlat_edge_bound_rad(lon1, lat1, lon2, lat2) / 2.0
    middle = unit_vectors((lon1 + lon2) / 2.0, (lat1 + lat2) / 2.0)
    own_reach_rad = float(np.max(angle_between(caps.centres, first.plane.centre)))
    reach_rad = np.full(len(outlines), own_reach_rad + float(caps.radius_rad))
    np.maximum.at(reach_rad, owner, angle_between(middle, first.plane.centre) + 2.0 * half_rad)
    with np.errstate(invalid="ignore", divide="ignore"):
        stretch = np.where(reach_rad > 0.0, reach_rad / np.sin(reach_rad), 1.0)
    to_middle = nearest_cap_rad(caps, middle)
    upper_m = np.full(len(outlines), np.inf)
    np.minimum.at(upper_m, owner, to_middle * PLANE_RADIUS_M)
    upper_m = np.where(reach_rad < math.pi / 2.0, upper_m * stretch, np.inf)
    lower_m = (to_middle - half_rad - caps.radius_rad) * PLANE_RADIUS_M
    keep = lower_m <= upper_m[owner] + 2.0 * _CHORD_SLACK_M * stretch[owner]
    return lon1[keep], lat1[keep], lon2[keep], lat2[keep], owner[keep]


def _disjoint_lonlat_outlines(first: Anchored, outlines: Sequence[Outline]) -> Floats:
    """Distances from the first outline to lon/lat outlines found disjoint from it in lon/lat
    (both with lon/lat edges): the geodesic distance between the nearest points of the two
    densified boundaries found in the first's plane (0 where they meet there).

    Disjoint in lon/lat, their interiors cannot meet in the plane without their boundaries
    meeting, so boundaries alone are compared, and of the others only the edges that can hold
    the nearest point (`_near_edges`), densified as in their rings.
    """
    lon1, lat1, lon2, lat2, owner = _near_edges(first, outlines)
    lon, lat, sizes = densify_lonlat_edges(lon1, lat1, lon2, lat2)
    planar = first.plane.project(unit_vectors(lon, lat))
    lines = shapely.shortest_line(first.lines, lines_of(planar, sizes, owner, len(outlines)))
    ends = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    return _geodesic_between_planar(first.plane, ends[:, 0], ends[:, 1])


def _lonlat_outlines_meet(
    first: Anchored, outlines: list[Outline]
) -> tuple[Geometries, Bools, Bools]:
    """Lon/lat outlines against the first (a lon/lat outline), with vectorised GEOS
    predicates: each unwrapped next to it, whether they meet, whether interiors overlap.

    A vertex of the other inside the first's interior proves an overlap (interior points of
    the other lie around it); only the rest need the full `touches` test.
    """
    shapes = lonlat_outlines(outlines, first.centre_lon)
    meets = np.asarray(shapely.intersects(first.lonlat, shapes), dtype=np.bool_)
    overlaps = np.zeros(len(shapes), dtype=np.bool_)
    at = np.flatnonzero(meets)
    if at.size:
        xy, owner = shapely.get_coordinates(shapes[at], return_index=True)
        inside = shapely.contains_xy(first.lonlat, xy[:, 0], xy[:, 1])
        deep = np.bincount(owner[inside], minlength=at.size) > 0
        overlaps[at[deep]] = True
        rest = at[~deep]
        overlaps[rest] = ~np.asarray(shapely.touches(first.lonlat, shapes[rest]), dtype=np.bool_)
    return shapes, meets, overlaps


def _settled_by_caps(
    first: Anchored, others: Sequence[Footprint], extents_: Extents, beyond_m: float
) -> tuple[Bools, Bools]:
    """Which others with geodesic edges are settled by caps alone: (inside, far).

    When an other's whole cap stays `beyond_m` clear of the first outline's boundary (by the
    piece caps), it lies either inside the outline (overlap: its anchor is inside) or outside
    and at least `beyond_m` away. The piece caps densify the first (lon/lat) outline, which
    costs more than the lon/lat bounds that settle circles and lon/lat outlines, so only
    outlines with geodesic edges, which would otherwise be densified themselves, are tried.
    """
    inside = np.zeros(len(others), dtype=np.bool_)
    far = np.zeros(len(others), dtype=np.bool_)
    geodesic = [
        i for i, o in enumerate(others) if isinstance(o, Outline) and o.edges is Edges.GEODESIC
    ]
    caps = first.caps if geodesic else None
    if caps is None or first.lonlat is None:
        return inside, far
    anchors, cap_rad = extents_.anchors[geodesic], extents_.cap_rad[geodesic]
    clear = point_caps_gap_m(caps, anchors) - cap_rad * SPHERE_TO_GEODESIC_MIN_M
    clear_at = np.flatnonzero(clear >= beyond_m)
    if clear_at.size == 0:
        return inside, far
    lon, lat = lonlat_of(anchors[clear_at])
    inside_at = shapely.contains_xy(first.lonlat, lon + unwrapped_shift(lon, first.centre_lon), lat)
    at = np.asarray(geodesic, dtype=np.int64)[clear_at]
    inside[at[inside_at]] = True
    far[at[~inside_at]] = True
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
        overlaps, far = _settled_by_caps(first, others, others_extents, beyond_m)
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
            distance_m[circle_at], overlaps[circle_at], far[circle_at] = _circles_and_outline(
                circles, first.lonlat, first.squeezed, first.centre_lon, first.dense, beyond_m
            )
    lonlat_at: list[int] = []
    if first.lonlat is not None:
        lonlat_at = [
            i for i in open_at if isinstance(fp := others[i], Outline) and fp.edges is Edges.LONLAT
        ]
    if lonlat_at:
        shapes, meets, touching_free = _lonlat_outlines_meet(
            first, [o for o in (others[i] for i in lonlat_at) if isinstance(o, Outline)]
        )
        apart = np.zeros(len(lonlat_at), dtype=np.bool_)
        squeezed = first.squeezed
        if squeezed is not None and not meets.all():
            at = np.flatnonzero(~meets)
            apart[at] = lonlat_apart(squeezed, shapes[at], beyond_m)
        at_lonlat = np.asarray(lonlat_at, dtype=np.int64)
        overlaps[at_lonlat[meets]] = touching_free[meets]
        far[at_lonlat[apart]] = True
        distance_m[at_lonlat[apart]] = _NOT_COMPUTED
        near = at_lonlat[~meets & ~apart]
        if near.size:
            distance_m[near] = _disjoint_lonlat_outlines(
                first, [o for o in (others[i] for i in near.tolist()) if isinstance(o, Outline)]
            )
    done = set(lonlat_at)
    rest_at = [i for i in open_at if isinstance(others[i], Outline) and i not in done]
    rest = [o for o in (others[i] for i in rest_at) if isinstance(o, Outline)]
    if rest and isinstance(first.footprint, Circle):
        (distance_m[rest_at], overlaps[rest_at], far[rest_at]) = _circle_and_outlines(
            first.footprint, rest, beyond_m
        )
    elif rest:
        distance_m[rest_at], overlaps[rest_at] = _outlines_in_plane(first, rest)
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
        common = shapely.intersection(anchored.lonlat, lonlat_outline(second, anchored.centre_lon))
        parts = [p for p in shapely.get_parts(common) if isinstance(p, Polygon) and p.area > 0.0]
        return _split_at_antimeridian(shapely.union_all(parts)) if parts else None
    plane = anchored.plane

    def planar(f: Footprint) -> BaseGeometry:
        if isinstance(f, Circle):
            return planar_circle(f, plane)
        return planar_outline(f, plane)

    common = shapely.intersection(planar(first), planar(second))
    parts = [p for p in shapely.get_parts(common) if isinstance(p, Polygon) and p.area > 0.0]
    if not parts:
        return None

    def to_lonlat(xy: Floats) -> Floats:
        lon, lat = lonlat_of(plane.unproject(xy))
        return np.stack([lon + unwrapped_shift(lon, anchored.centre_lon), lat], axis=-1)

    return _split_at_antimeridian(shapely.transform(shapely.union_all(parts), to_lonlat))
