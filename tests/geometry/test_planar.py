"""Footprints in a local plane: made together, each is what it is made alone."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Polygon, box

from deconflict.geometry import Outline
from deconflict.geometry.geodesy import LocalPlane, unit_vectors
from deconflict.geometry.planar import planar_lonlat_outlines, planar_outline


def test_outlines_made_planar_together_equal_each_made_alone() -> None:
    holed = Polygon(box(30, 30, 32, 32).exterior.coords, [box(30.5, 30.5, 31, 31).exterior.coords])
    outlines = [
        Outline(box(30.0, 31.0, 30.3, 31.9)),
        Outline(holed),
        Outline(MultiPolygon([box(31.0, 29.0, 31.5, 29.5), box(31.6, 29.0, 32.0, 29.5)])),
        Outline(Polygon([(29.0, 29.0), (29.5, 28.7), (29.9, 29.4), (29.2, 29.9)])),
    ]
    plane = LocalPlane.at(unit_vectors(31.0, 30.5))
    shapes, pieces = planar_lonlat_outlines(outlines, plane)
    for outline, shape, piece in zip(outlines, shapes, pieces, strict=True):
        alone = planar_outline(outline, plane)
        assert alone.shape.equals_exact(shape, 0.0)
        assert alone.pieces.equals_exact(piece, 0.0)
