"""Stored protected areas and third-party hazards."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from deconflict.domain import Hazard, ProtectedArea
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.storage import tables as t

__all__ = ["AirspaceStore"]


class AirspaceStore:
    """Protected areas and hazards on one connection; removed ones are kept, marked."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def add_area(self, area: ProtectedArea) -> None:
        self._conn.execute(
            t.protected_areas.insert().values(
                id=area.id,
                owner=area.owner,
                name=area.name,
                volume=volume_to_geojson(area.volume),
                created_at=area.created_at,
            )
        )

    def remove_area(self, area_id: str, owner: str, at: datetime) -> bool:
        """Mark the owner's live area removed; False if it has none by that id."""
        a = t.protected_areas.c
        return bool(
            self._conn.execute(
                sa.update(t.protected_areas)
                .where(a.id == area_id)
                .where(a.owner == owner)
                .where(a.removed_at.is_(None))
                .values(removed_at=at)
            ).rowcount
        )

    def areas(self, owners: Collection[str] | None = None) -> list[ProtectedArea]:
        """Live areas, of the given owners only if `owners` is not None."""
        a = t.protected_areas.c
        query = sa.select(t.protected_areas).where(a.removed_at.is_(None))
        if owners is not None:
            query = query.where(a.owner.in_(list(owners)))
        return [_area(row) for row in self._conn.execute(query.order_by(a.id))]

    def add_hazard(self, hazard: Hazard) -> None:
        self._conn.execute(
            t.hazards.insert().values(
                id=hazard.id,
                agreement_id=hazard.agreement_id,
                entered_by=hazard.entered_by,
                name=hazard.name,
                volume=volume_to_geojson(hazard.volume),
                created_at=hazard.created_at,
            )
        )

    def hazard_agreement(self, hazard_id: str) -> str | None:
        """The agreement a live hazard belongs to."""
        h = t.hazards.c
        return self._conn.execute(
            sa.select(h.agreement_id).where(h.id == hazard_id).where(h.removed_at.is_(None))
        ).scalar_one_or_none()

    def remove_hazard(self, hazard_id: str, at: datetime) -> None:
        self._conn.execute(
            sa.update(t.hazards).where(t.hazards.c.id == hazard_id).values(removed_at=at)
        )

    def hazards(
        self, agreement_ids: Collection[str] | None = None, agreement_id: str | None = None
    ) -> list[Hazard]:
        """Live hazards, within `agreement_ids` if given, of `agreement_id` if given."""
        h = t.hazards.c
        query = sa.select(t.hazards).where(h.removed_at.is_(None))
        if agreement_ids is not None:
            query = query.where(h.agreement_id.in_(list(agreement_ids)))
        if agreement_id is not None:
            query = query.where(h.agreement_id == agreement_id)
        return [_hazard(row) for row in self._conn.execute(query.order_by(h.id))]


def _area(row: sa.Row[Any]) -> ProtectedArea:
    return ProtectedArea(
        row.id, row.owner, row.name, volume_from_geojson(row.volume), row.created_at
    )


def _hazard(row: sa.Row[Any]) -> Hazard:
    return Hazard(
        row.id,
        row.agreement_id,
        row.entered_by,
        row.name,
        volume_from_geojson(row.volume),
        row.created_at,
    )
