"""What the agreements' strategic indexes are built from: the stored volumes each check must
see, and the change log that keeps every service instance's index in step.

Every change to what an agreement's check must see (a notice version submitted, amended,
cancelled or expired; a protected area or hazard added or removed) appends a row to
`index_changes` in the same transaction, numbered by the agreement's `seq`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from deconflict.geometry import Volume
from deconflict.geometry.stored import volumes_from_stored_geojson
from deconflict.storage import tables as t

__all__ = ["IndexKey", "IndexedStore", "StoredChange"]


@dataclass(frozen=True, slots=True)
class IndexKey:
    """What an indexed volume belongs to: a notice version, a protected area or a hazard."""

    source: str
    """notice, protected_area or hazard."""
    source_id: str
    version: int | None
    volume_index: int

    def encode(self) -> str:
        return f"{self.source}|{self.source_id}|{self.version or 0}|{self.volume_index}"

    @classmethod
    def decode(cls, key: str) -> IndexKey:
        source, source_id, version, volume_index = key.split("|")
        return cls(source, source_id, int(version) or None, int(volume_index))


@dataclass(frozen=True, slots=True)
class StoredChange:
    """One row of an agreement's index change log."""

    seq: int
    op: str
    """add, remove or rebuild."""
    source: str
    source_id: str
    version: int | None


class IndexedStore:
    """The index change log and the indexed volumes, on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def record(
        self,
        agreement_ids: Iterable[str],
        op: str,
        source: str,
        source_id: str,
        version: int | None = None,
    ) -> dict[str, int]:
        """Append one change to each agreement's log; each agreement's new sequence number."""
        seqs: dict[str, int] = {}
        for agreement_id in agreement_ids:
            seq = seqs[agreement_id] = self._conn.execute(
                sa.update(t.agreements)
                .where(t.agreements.c.id == agreement_id)
                .values(seq=t.agreements.c.seq + 1)
                .returning(t.agreements.c.seq)
            ).scalar_one()
            self._conn.execute(
                t.index_changes.insert().values(
                    agreement_id=agreement_id,
                    seq=seq,
                    op=op,
                    source=source,
                    source_id=source_id,
                    source_version=version,
                )
            )
        return seqs

    def seq(self, agreement_id: str) -> int:
        return int(
            self._conn.execute(
                sa.select(t.agreements.c.seq).where(t.agreements.c.id == agreement_id)
            ).scalar_one()
        )

    def changes_after(self, agreement_id: str, seq: int) -> list[StoredChange]:
        c = t.index_changes.c
        rows = self._conn.execute(
            sa.select(c.seq, c.op, c.source, c.source_id, c.source_version)
            .where(c.agreement_id == agreement_id)
            .where(c.seq > seq)
            .order_by(c.seq)
        )
        return [StoredChange(*row) for row in rows]

    def source_volumes(
        self, source: str, source_id: str, version: int | None
    ) -> Iterator[tuple[IndexKey, Volume, str | None]]:
        """The stored volumes of one indexed source, read on the same trusted path as start-up."""
        if source == "notice":
            nv, n = t.notice_versions.c, t.notices.c
            row = self._conn.execute(
                sa.select(nv.volumes, n.originator)
                .join(t.notices, n.id == nv.notice_id)
                .where(nv.notice_id == source_id)
                .where(nv.version == version)
            ).one()
            features, owner = list(row.volumes), row.originator
        elif source == "protected_area":
            row = self._conn.execute(
                sa.select(t.protected_areas.c.volume, t.protected_areas.c.owner).where(
                    t.protected_areas.c.id == source_id
                )
            ).one()
            features, owner = [row.volume], row.owner
        elif source == "hazard":
            row = self._conn.execute(
                sa.select(t.hazards.c.volume).where(t.hazards.c.id == source_id)
            ).one()
            features, owner = [row.volume], None
        else:
            raise ValueError(f"unknown index source {source!r}")
        for i, volume in enumerate(volumes_from_stored_geojson(features)):
            yield IndexKey(source, source_id, version, i), volume, owner

    def active_features(
        self, agreement_id: str
    ) -> Iterator[tuple[IndexKey, Mapping[str, Any], str | None]]:
        """Every stored volume feature the agreement's check must see, in three streamed queries.

        Notices' volumes are read as JSON text and parsed with orjson (about 4x the standard
        library's speed: at a million rows that is most of start-up).
        """
        nv, n = t.notice_versions.c, t.notices.c
        notices = self._conn.execute(
            sa.select(nv.notice_id, nv.version, sa.cast(nv.volumes, sa.Text), n.originator)
            .join(t.notices, n.id == nv.notice_id)
            .where(n.agreement_id == agreement_id)
            .where(nv.indexed.is_(True))
            .execution_options(yield_per=5000)
        )
        for notice_id, version, text, originator in notices:
            for i, feature in enumerate(orjson.loads(text)):
                yield IndexKey("notice", notice_id, version, i), feature, originator
        members = (
            sa.select(t.agreement_members.c.party_id)
            .join(t.agreements, t.agreements.c.id == t.agreement_members.c.agreement_id)
            .where(t.agreement_members.c.agreement_id == agreement_id)
            .where(t.agreement_members.c.version == t.agreements.c.current_version)
        )
        a = t.protected_areas.c
        areas = self._conn.execute(
            sa.select(a.id, a.volume, a.owner)
            .where(a.owner.in_(members))
            .where(a.removed_at.is_(None))
        )
        for area_id, feature, owner in areas:
            yield IndexKey("protected_area", area_id, None, 0), feature, owner
        h = t.hazards.c
        hazards = self._conn.execute(
            sa.select(h.id, h.volume)
            .where(h.agreement_id == agreement_id)
            .where(h.removed_at.is_(None))
        )
        for hazard_id, feature in hazards:
            yield IndexKey("hazard", hazard_id, None, 0), feature, None
