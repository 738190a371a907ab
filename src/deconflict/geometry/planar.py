"""Footprints in a local plane, one or many at a time: densified rings, planar shapes, the
boundary cut into short pieces, and the nearest boundary point seen from a circle's centre.

The batched forms (`planar_lonlat_outlines`, `pieces_of_rings`, `gaps_in_circle_planes`) do
point by point the arithmetic of the one-at-a-time forms, so a pair gets the same answer
whether it is compared alone or with many (tests check it bit for bit).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from deconflict.geometry.geodesy import (
    PLANE_RADIUS_M,
    LocalPlane,
    circle_ring,
    densify_geodesic,
    densify_lonlat,
    densify_lonlat_rings,
    geodesic_distance_m,
    lonlat_of,
    unit_vectors,
)
from deconflict.geometry.volume import Circle, Edges, Outline

__all__ = [
    "PIECE_SEGMENTS",
    "PlanarOutline",
    "boundary_pieces",
    "dense_rings",
    "dense_xyz",
    "gaps_in_circle_planes",
    "lonlat_outline",
    "lonlat_outlines",
    "merged",
    "pieces_of_rings",
    "planar_circle",
    "planar_lonlat_outlines",
    "planar_outline",
    "rings_of",
    "turns_to",
    "unwrapped_shift",
]

Floats = npt.NDArray[np.float64]


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
class PlanarOutline:
    """An outline in a local plane: the polygon, and its boundary cut into short pieces.

    Distance queries run on the pieces: GEOS skips a piece whose envelope is already farther
    than the best distance found, which a single long ring does not allow.
    """

    shape: BaseGeometry
    pieces: BaseGeometry


PIECE_SEGMENTS = 16


def boundary_pieces(rings: list[Floats]) -> BaseGeometry:
    """The rings as one MultiLineString of pieces of `PIECE_SEGMENTS` segments each."""
    coords, owners = [], []
    first = 0
    for ring in rings:
        segments = len(ring) - 1
        starts = np.arange(0, segments, PIECE_SEGMENTS)
        ends = np.minimum(starts + PIECE_SEGMENTS, segments)
        lengths = ends - starts + 1
        at = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(lengths.sum())
        coords.append(ring[at])
        owners.append(np.repeat(np.arange(first, first + starts.size), lengths))
        first += starts.size
    lines = shapely.linestrings(np.concatenate(coords), indices=np.concatenate(owners))
    return shapely.multilinestrings(lines)


def planar_outline(outline: Outline, plane: LocalPlane) -> PlanarOutline:
    polygons = []
    all_rings: list[Floats] = []
    for rings in dense_rings(outline):
        planar = [plane.project(unit_vectors(lon, lat)) for lon, lat in rings]
        polygons.append(Polygon(planar[0], planar[1:]))
        all_rings.extend(planar)
    return PlanarOutline(merged(polygons), boundary_pieces(all_rings))


def planar_lonlat_outlines(
    outlines: Sequence[Outline], plane: LocalPlane
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """`planar_outline` of many lon/lat outlines in one plane, in a few vectorised calls:
    the planar shapes and their boundary pieces (the same points, rings and pieces)."""
    shapes = np.empty(len(outlines), dtype=object)
    shapes[:] = [o.shape for o in outlines]
    parts, part_shape = shapely.get_parts(shapes, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    sizes = np.bincount(coord_ring, minlength=rings.size).astype(np.int64)
    lon, lat, dense_sizes = densify_lonlat_rings(coords[:, 0], coords[:, 1], sizes)
    planar = plane.project(unit_vectors(lon, lat))
    ring_of_point = np.repeat(np.arange(rings.size), dense_sizes)
    planar_parts = shapely.polygons(
        shapely.linearrings(planar, indices=ring_of_point), indices=ring_part
    )
    out = np.empty(len(outlines), dtype=object)
    single = np.bincount(part_shape, minlength=len(outlines)) == 1
    out[part_shape[single[part_shape]]] = planar_parts[single[part_shape]]
    for k in np.flatnonzero(~single).tolist():
        out[k] = merged(list(planar_parts[part_shape == k]))
    return out, pieces_of_rings(planar, dense_sizes, part_shape[ring_part], len(outlines))


def pieces_of_rings(
    xy: Floats, sizes: npt.NDArray[np.int64], owner: npt.NDArray[np.int64], count: int
) -> npt.NDArray[np.object_]:
    """`boundary_pieces` of many shapes at once: closed rings concatenated (`sizes` points
    each, `owner` the shape of each ring), one MultiLineString of pieces per shape."""
    segments = sizes - 1
    per_ring = (segments + PIECE_SEGMENTS - 1) // PIECE_SEGMENTS
    piece_ring = np.repeat(np.arange(sizes.size), per_ring)
    first_piece = np.cumsum(per_ring) - per_ring
    starts = (np.arange(piece_ring.size) - first_piece[piece_ring]) * PIECE_SEGMENTS
    ends = np.minimum(starts + PIECE_SEGMENTS, segments[piece_ring])
    lengths = ends - starts + 1
    ring_start = np.cumsum(sizes) - sizes
    first_point = np.cumsum(lengths) - lengths
    at = np.repeat(ring_start[piece_ring] + starts - first_point, lengths) + np.arange(
        int(lengths.sum())
    )
    lines = shapely.linestrings(xy[at], indices=np.repeat(np.arange(piece_ring.size), lengths))
    found: npt.NDArray[np.object_] = shapely.multilinestrings(lines, indices=owner[piece_ring])
    if found.size < count:
        raise ValueError(f"pieces for {found.size} shapes, expected {count}")
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


def lonlat_outlines(outlines: Sequence[Outline], centre_lon: float) -> npt.NDArray[np.object_]:
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


def dense_xyz(outline: Outline) -> list[list[Floats]]:
    """Each part's densified rings as unit vectors."""
    return [[unit_vectors(lon, lat) for lon, lat in rings] for rings in dense_rings(outline)]


def gaps_in_circle_planes(
    circles: Sequence[Circle],
    xyz: Floats,
    sizes: npt.NDArray[np.int64],
    ring_owner: npt.NDArray[np.int64],
) -> Floats:
    """`_circle_in_own_plane` for many circles at once (centres known to be outside): the rings
    of circle k (unit vectors, closed rings of `sizes` points, concatenated; `ring_owner` k)
    projected into k's own plane; geodesic distance from k's centre to the nearest boundary
    point found there, minus its radius. The same arithmetic, point by point."""
    lon_c = np.array([c.lon_deg for c in circles])
    lat_c = np.array([c.lat_deg for c in circles])
    planes = [LocalPlane.at(u) for u in unit_vectors(lon_c, lat_c)]
    centre = np.stack([p.centre for p in planes])
    east = np.stack([p.east for p in planes])
    north = np.stack([p.north for p in planes])
    at = np.repeat(ring_owner, sizes)
    c, e_, n_ = centre[at], east[at], north[at]
    x, y, z = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    e = x * e_[:, 0] + y * e_[:, 1]
    n = x * n_[:, 0] + y * n_[:, 1] + z * n_[:, 2]
    sin_angle = np.hypot(e, n)
    angle = np.arctan2(sin_angle, x * c[:, 0] + y * c[:, 1] + z * c[:, 2])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(sin_angle > 0.0, PLANE_RADIUS_M * angle / sin_angle, PLANE_RADIUS_M)
    planar = np.stack([e * scale, n * scale], axis=-1)
    pieces = pieces_of_rings(planar, sizes, ring_owner, len(circles))
    lines = shapely.shortest_line(pieces, shapely.points(np.zeros((len(circles), 2))))
    near = shapely.get_coordinates(lines).reshape(-1, 2, 2)[:, 0, :]
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


def rings_of(rings_xyz: list[list[Floats]]) -> tuple[Floats, npt.NDArray[np.int64]]:
    flat = [ring for rings in rings_xyz for ring in rings]
    return np.concatenate(flat), np.array([len(r) for r in flat], dtype=np.int64)
