"""Footprints in a local plane, one or many at a time: densified rings, planar shapes, their
boundaries as lines, and the nearest boundary point seen from a circle's centre.

The batched forms (`lines_of`, `gaps_in_circle_planes`) do
point by point the arithmetic of the one-at-a-time forms, so a pair gets the same answer
whether it is compared alone or with many (tests check it bit for bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from deconflict.arrays import Floats, Geometries, Ints
from deconflict.geometry.extents import ring_coordinates
from deconflict.geometry.geodesy import (
    MAX_PIECE_M,
    PLANE_RADIUS_M,
    LocalPlane,
    circle_ring,
    densify_geodesic,
    densify_lonlat_rings,
    geodesic_distance_m,
    lonlat_of,
    unit_vectors,
)
from deconflict.geometry.volume import Circle, Edges, Outline

__all__ = [
    "DenseRings",
    "circle_planes",
    "dense_rings",
    "gaps_in_circle_planes",
    "lines_of",
    "lonlat_outline",
    "lonlat_outlines",
    "merged",
    "planar_circle",
    "planar_outline",
    "planar_shapes",
    "project_each",
    "turns_to",
    "unwrapped_shift",
]


def dense_rings(outline: Outline) -> list[list[tuple[Floats, Floats]]]:
    """Each polygon part's rings (exterior first) as closed (lon, lat) arrays, densified."""
    dense = DenseRings.of(outline)
    bounds = np.cumsum(dense.sizes)
    out: list[list[tuple[Floats, Floats]]] = [[] for _ in range(int(dense.part[-1]) + 1)]
    for part, end, size in zip(
        dense.part.tolist(), bounds.tolist(), dense.sizes.tolist(), strict=True
    ):
        out[part].append((dense.lon[end - size : end], dense.lat[end - size : end]))
    return out


@dataclass(frozen=True, slots=True)
class DenseRings:
    """An outline's rings densified by its edge rule, all concatenated.

    Points in lon/lat and as unit vectors; `sizes` points per closed ring (exteriors before
    their holes), `part` the polygon part of each ring.
    """

    lon: Floats
    lat: Floats
    xyz: Floats
    sizes: Ints
    part: Ints

    @classmethod
    def of(cls, outline: Outline) -> DenseRings:
        coords, ring, part, _ = ring_coordinates(np.array([outline.shape], dtype=object))
        sizes = np.bincount(ring, minlength=part.size).astype(np.int64)
        if outline.edges is Edges.LONLAT:
            lon, lat, sizes = densify_lonlat_rings(coords[:, 0], coords[:, 1], sizes)
        else:
            ends = np.cumsum(sizes)
            pieces = [
                densify_geodesic(coords[end - size : end, 0], coords[end - size : end, 1])
                for end, size in zip(ends.tolist(), sizes.tolist(), strict=True)
            ]
            lon = np.concatenate([p[0] for p in pieces])
            lat = np.concatenate([p[1] for p in pieces])
            sizes = np.array([p[0].size for p in pieces], dtype=np.int64)
        return cls(lon, lat, unit_vectors(lon, lat), sizes, part)

    def polygon(self, planar: Floats) -> BaseGeometry:
        """The shape these rings bound, given each point's planar coordinates."""
        shape: BaseGeometry = planar_shapes([self], planar)[0]
        return shape


def planar_shapes(dense: Sequence[DenseRings], planar: Floats) -> Geometries:
    """The shape each outline's rings bound, given all their points' planar coordinates in
    order: rings and polygons built in one call each, parts of one outline merged."""
    sizes = np.concatenate([d.sizes for d in dense])
    rings = shapely.linearrings(planar, indices=np.repeat(np.arange(sizes.size), sizes))
    counts = np.array([int(d.part[-1]) + 1 for d in dense], dtype=np.int64)
    first_part = np.cumsum(counts) - counts
    part = np.concatenate([d.part + offset for d, offset in zip(dense, first_part, strict=True)])
    polygons = shapely.polygons(rings, indices=part)
    shapes = np.empty(len(dense), dtype=object)
    single = counts == 1
    shapes[single] = polygons[first_part[single]]
    for i in np.flatnonzero(~single).tolist():
        shapes[i] = merged(list(polygons[first_part[i] : first_part[i] + counts[i]]))
    return shapes


_SEGMENT_REACH_RAD = 2.0 * MAX_PIECE_M / PLANE_RADIUS_M


def planar_outline(outline: Outline, plane: LocalPlane) -> BaseGeometry:
    """The outline, densified by its edge rule, as a shape in `plane`."""
    dense = DenseRings.of(outline)
    return dense.polygon(plane.project(dense.xyz))


def lines_of(xy: Floats, sizes: Ints, owner: Ints | None = None, count: int = 1) -> Geometries:
    """Polylines of `sizes` points each, concatenated, as one MultiLineString per owner."""
    lines = shapely.linestrings(xy, indices=np.repeat(np.arange(sizes.size), sizes))
    owners = np.zeros(sizes.size, dtype=np.int64) if owner is None else owner
    found: Geometries = shapely.multilinestrings(lines, indices=owners)
    if found.size < count:
        raise ValueError(f"lines for {found.size} shapes, expected {count}")
    return found


def merged(polygons: list[Polygon]) -> BaseGeometry:
    """Parts of one footprint as one valid shape (parts split at the antimeridian rejoin)."""
    if len(polygons) == 1:
        return polygons[0]
    merged = shapely.union_all(polygons)
    return merged if merged.is_valid else shapely.make_valid(merged)


def planar_circle(circle: Circle, plane: LocalPlane) -> Polygon:
    lon, lat = circle_ring(circle.lon_deg, circle.lat_deg, circle.radius_m)
    return Polygon(plane.project(unit_vectors(lon, lat)))


def turns_to(lon: float, centre_lon: float) -> float:
    """The multiple of 360 that brings `lon` within 180 degrees of `centre_lon`."""
    return float(round((centre_lon - lon) / 360.0) * 360.0)


def unwrapped_shift(lon: Floats, centre_lon: float) -> Floats:
    """Multiples of 360 that bring longitudes within 180 degrees of `centre_lon`."""
    return np.asarray(np.round((centre_lon - lon) / 360.0) * 360.0, dtype=np.float64)


def lonlat_outline(outline: Outline, centre_lon: float) -> BaseGeometry:
    """A lon/lat outline with each part moved by whole turns next to `centre_lon`.

    Edges straight in lon/lat are straight here, so overlap and touching are decided exactly.
    """
    parts = (
        list(outline.shape.geoms) if isinstance(outline.shape, MultiPolygon) else [outline.shape]
    )
    moved = []
    for part in parts:
        minx, _, maxx, _ = part.bounds
        shift = turns_to((minx + maxx) / 2.0, centre_lon)
        moved.append(
            shapely.transform(part, lambda xy, s=shift: xy + np.array([s, 0.0])) if shift else part
        )
    return merged(moved)


def lonlat_outlines(outlines: Sequence[Outline], centre_lon: float) -> Geometries:
    """`lonlat_outline` of many: single polygons already next to `centre_lon` (found with one
    vectorised bounds call) are their own shape; the rest go one by one."""
    shapes = np.empty(len(outlines), dtype=object)
    shapes[:] = [o.shape for o in outlines]
    bounds = shapely.bounds(shapes)
    moved = (
        np.round((centre_lon - (bounds[:, 0] + bounds[:, 2]) / 2.0) / 360.0) != 0.0
    ) | np.asarray(shapely.get_type_id(shapes) != shapely.GeometryType.POLYGON)
    for i in np.flatnonzero(moved).tolist():
        shapes[i] = lonlat_outline(outlines[i], centre_lon)
    return shapes


def gaps_in_circle_planes(
    circles: Sequence[Circle],
    xyz: Floats,
    sizes: Ints,
    ring_owner: Ints,
) -> Floats:
    """For circles whose centres lie outside an outline: the geodesic distance from each centre to
    the nearest point of the outline's boundary found in the circle's own plane, minus its radius.

    Circle k's rings are unit vectors, closed rings of `sizes` points concatenated, `ring_owner`
    k. In k's plane (azimuthal equidistant around its centre) planar distance from the origin is
    the central angle, so the nearest boundary point is the nearest point of the projected
    polyline. Only segments that can hold it are measured: a segment's points are all within half
    its length of an endpoint, so one whose nearer endpoint is farther than the nearest vertex by
    more than that is skipped (first by central angle, before projecting, with room for pieces
    of up to twice `MAX_PIECE_M`; then exactly in the plane). Each circle is computed alone,
    whatever else is in the batch.
    """
    lon_c = np.array([c.lon_deg for c in circles])
    lat_c = np.array([c.lat_deg for c in circles])
    centre, east, north = circle_planes(circles)
    owner = np.repeat(ring_owner, sizes)
    opens = np.ones(owner.size, dtype=np.bool_)
    opens[np.cumsum(sizes) - 1] = False
    starts = np.flatnonzero(opens)
    seg_owner = owner[starts]
    chord = np.linalg.norm(xyz - centre[owner], axis=1)
    angle = 2.0 * np.arcsin(np.minimum(chord / 2.0, 1.0))
    nearest_rad = np.full(len(circles), np.inf)
    np.minimum.at(nearest_rad, owner, angle)
    limit_rad = nearest_rad[seg_owner] + _SEGMENT_REACH_RAD
    close = (np.minimum(angle[starts], angle[starts + 1]) <= limit_rad) | (limit_rad > 1.0)
    starts, seg_owner = starts[close], seg_owner[close]
    frame = centre[seg_owner], east[seg_owner], north[seg_owner]
    a = project_each(xyz[starts], *frame)
    b = project_each(xyz[starts + 1], *frame)
    radial_a, radial_b = np.hypot(a[:, 0], a[:, 1]), np.hypot(b[:, 0], b[:, 1])
    nearest_vertex = np.full(len(circles), np.inf)
    np.minimum.at(nearest_vertex, seg_owner, np.minimum(radial_a, radial_b))
    span = b - a
    length = np.hypot(span[:, 0], span[:, 1])
    reach = np.minimum(radial_a, radial_b) - length / 2.0
    keep = reach <= nearest_vertex[seg_owner] * (1.0 + 1e-9) + 1e-6
    a, span, seg_owner = a[keep], span[keep], seg_owner[keep]
    squared = np.einsum("ij,ij->i", span, span)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(squared > 0.0, -np.einsum("ij,ij->i", a, span) / squared, 0.0)
    point = a + np.clip(t, 0.0, 1.0)[:, None] * span
    order = np.lexsort((np.hypot(point[:, 0], point[:, 1]), seg_owner))
    first = order[np.searchsorted(seg_owner[order], np.arange(len(circles)))]
    near = point[first]
    r = np.hypot(near[:, 0], near[:, 1])
    turn = r / PLANE_RADIUS_M
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(r > 0.0, np.sin(turn) / r, 1.0 / PLANE_RADIUS_M)
    back = (
        np.cos(turn)[:, None] * centre
        + (factor * near[:, 0])[:, None] * east
        + (factor * near[:, 1])[:, None] * north
    )
    lon_p, lat_p = lonlat_of(back)
    radius = np.array([c.radius_m for c in circles])
    return np.asarray(geodesic_distance_m(lon_c, lat_c, lon_p, lat_p) - radius, dtype=np.float64)


def circle_planes(circles: Sequence[Circle]) -> tuple[Floats, Floats, Floats]:
    """Each circle's own `LocalPlane` (around its centre) as rows: centre, east, north."""
    lon = np.array([c.lon_deg for c in circles])
    lat = np.array([c.lat_deg for c in circles])
    planes = [LocalPlane.at(u) for u in unit_vectors(lon, lat)]
    return (
        np.stack([p.centre for p in planes]),
        np.stack([p.east for p in planes]),
        np.stack([p.north for p in planes]),
    )


def project_each(xyz: Floats, centre: Floats, east: Floats, north: Floats) -> Floats:
    """`LocalPlane.project`, point by point into each point's own plane (given row by row)."""
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    e = x * east[:, 0] + y * east[:, 1]
    n = x * north[:, 0] + y * north[:, 1] + z * north[:, 2]
    sin_angle = np.hypot(e, n)
    angle = np.arctan2(sin_angle, x * centre[:, 0] + y * centre[:, 1] + z * centre[:, 2])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(sin_angle > 0.0, PLANE_RADIUS_M * angle / sin_angle, PLANE_RADIUS_M)
    return np.stack([e * scale, n * scale], axis=-1)
