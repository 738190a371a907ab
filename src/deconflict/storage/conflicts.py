"""Stored strategic conflicts, as each notice version's check found them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from deconflict.domain import ConflictReport
from deconflict.storage import tables as t

__all__ = ["ConflictStore"]

c = t.conflicts.c


class ConflictStore:
    """Conflicts on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add(
        self, notice_id: str, version: int, reports: Sequence[ConflictReport], at: datetime
    ) -> None:
        if not reports:
            return
        self._conn.execute(
            t.conflicts.insert(),
            [
                {
                    "notice_id": notice_id,
                    "version": version,
                    "volume_index": r.volume_index,
                    "other_kind": r.other_kind,
                    "other_id": r.other_id,
                    "other_version": r.other_version,
                    "other_volume_index": r.other_volume_index,
                    "other_party": r.other_party,
                    "overlap_start": r.overlap_start,
                    "overlap_end": r.overlap_end,
                    "altitude_overlap_lower_m": (
                        r.altitude_overlap_m[0] if r.altitude_overlap_m else None
                    ),
                    "altitude_overlap_upper_m": (
                        r.altitude_overlap_m[1] if r.altitude_overlap_m else None
                    ),
                    "vertical_gap_m": r.vertical_gap_m,
                    "min_distance_m": r.min_distance_m,
                    "overlap": r.overlap_geojson,
                    "detected_at": at,
                }
                for r in reports
            ],
        )

    def of_version(self, notice_id: str, version: int) -> list[ConflictReport]:
        """A version's conflicts in the order found."""
        query = sa.select(t.conflicts).where(c.notice_id == notice_id).where(c.version == version)
        reports = []
        for row in self._conn.execute(query.order_by(c.id)):
            band = None
            if row.altitude_overlap_lower_m is not None:
                band = (row.altitude_overlap_lower_m, row.altitude_overlap_upper_m)
            reports.append(
                ConflictReport(
                    volume_index=row.volume_index,
                    other_kind=row.other_kind,
                    other_id=row.other_id,
                    other_version=row.other_version,
                    other_volume_index=row.other_volume_index,
                    other_party=row.other_party,
                    overlap_start=row.overlap_start,
                    overlap_end=row.overlap_end,
                    altitude_overlap_m=band,
                    vertical_gap_m=row.vertical_gap_m,
                    min_distance_m=row.min_distance_m,
                    overlap_geojson=row.overlap,
                )
            )
        return reports

    def versions_against(self, notice_id: str) -> list[tuple[str, int]]:
        """(notice id, version) of every other notice version found in conflict with it."""
        rows = self._conn.execute(
            sa.select(c.notice_id, c.version)
            .where(c.other_kind == "notice")
            .where(c.other_id == notice_id)
            .distinct()
        )
        return [(other, version) for other, version in rows]
