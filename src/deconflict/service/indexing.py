"""One strategic index per agreement, kept in step with the database's change log.

Every change to what an agreement's check must see (a notice version submitted, amended,
cancelled or expired; a protected area or hazard added or removed) appends a row to
`index_changes` in the same transaction. An index catches up by replaying the rows after
its own sequence number, under the agreement's lock, so several service instances sharing
one PostgreSQL database check against the same state.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from deconflict.detection.strategic import Buffers, StrategicIndex
from deconflict.domain import AgreementTerms
from deconflict.geometry import Volume
from deconflict.geometry.stored import volumes_from_stored_geojson
from deconflict.storage import tables as t

__all__ = [
    "AgreementIndex",
    "IndexChange",
    "IndexKey",
    "apply_own_changes",
    "buffers_of",
    "catch_up",
    "load_index",
    "record_change",
]


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


@dataclass
class AgreementIndex:
    """An agreement's strategic index, each volume's owner, and how far it has read."""

    engine: StrategicIndex
    owners: dict[str, str | None] = field(default_factory=dict)
    seq: int = 0

    def add(self, key: IndexKey, volume: Volume, owner: str | None) -> None:
        encoded = key.encode()
        self.engine.insert(encoded, volume)
        self.owners[encoded] = owner

    def drop_source(self, source: str, source_id: str, version: int | None) -> None:
        prefix = f"{source}|{source_id}|{version or 0}|"
        for encoded in [k for k in self.owners if k.startswith(prefix)]:
            self.engine.remove(encoded)
            del self.owners[encoded]


def buffers_of(terms: AgreementTerms) -> Buffers:
    return Buffers(
        horizontal_m=terms.buffer_h_m,
        vertical_m=terms.buffer_v_m,
        time_s=terms.buffer_t_s,
        datum_margin_m=terms.datum_margin_m,
    )


def record_change(
    conn: sa.Connection,
    agreement_ids: Iterable[str],
    op: str,
    source: str,
    source_id: str,
    version: int | None = None,
) -> dict[str, int]:
    """Append one change to each agreement's log; each agreement's new sequence number."""
    seqs: dict[str, int] = {}
    for agreement_id in agreement_ids:
        seq = seqs[agreement_id] = conn.execute(
            sa.update(t.agreements)
            .where(t.agreements.c.id == agreement_id)
            .values(seq=t.agreements.c.seq + 1)
            .returning(t.agreements.c.seq)
        ).scalar_one()
        conn.execute(
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


@dataclass(frozen=True, slots=True)
class IndexChange:
    """A change a transaction made to an agreement's index, kept to apply after it commits."""

    seq: int
    op: str
    source: str
    source_id: str
    version: int | None
    volumes: tuple[tuple[IndexKey, Volume, str | None], ...] | None
    """What an "add" inserts; None when the transaction did not have it at hand."""


def apply_own_changes(index: AgreementIndex, start_seq: int, changes: list[IndexChange]) -> bool:
    """Apply a committed transaction's own changes in memory, if the index stood exactly where
    the transaction found it and every change can be applied without reading the database."""
    if index.seq != start_seq or any(c.op == "rebuild" for c in changes):
        return False
    if any(c.op == "add" and c.volumes is None for c in changes):
        return False
    for change in sorted(changes, key=lambda c: c.seq):
        if change.op == "add" and change.volumes is not None:
            for key, volume, owner in change.volumes:
                index.add(key, volume, owner)
        else:
            index.drop_source(change.source, change.source_id, change.version)
        index.seq = change.seq
    return True


def _source_volumes(
    conn: sa.Connection, source: str, source_id: str, version: int | None
) -> Iterator[tuple[IndexKey, Volume, str | None]]:
    """The stored volumes of one indexed source, read on the same trusted path as start-up."""
    if source == "notice":
        row = conn.execute(
            sa.select(t.notice_versions.c.volumes, t.notices.c.originator)
            .join(t.notices, t.notices.c.id == t.notice_versions.c.notice_id)
            .where(t.notice_versions.c.notice_id == source_id)
            .where(t.notice_versions.c.version == version)
        ).one()
        features, owner = list(row.volumes), row.originator
    elif source == "protected_area":
        row = conn.execute(
            sa.select(t.protected_areas.c.volume, t.protected_areas.c.owner).where(
                t.protected_areas.c.id == source_id
            )
        ).one()
        features, owner = [row.volume], row.owner
    elif source == "hazard":
        row = conn.execute(sa.select(t.hazards.c.volume).where(t.hazards.c.id == source_id)).one()
        features, owner = [row.volume], None
    else:
        raise ValueError(f"unknown index source {source!r}")
    for i, volume in enumerate(volumes_from_stored_geojson(features)):
        yield IndexKey(source, source_id, version, i), volume, owner


def _active_features(
    conn: sa.Connection, agreement_id: str
) -> Iterator[tuple[IndexKey, Mapping[str, Any], str | None]]:
    """Every stored volume feature the agreement's check must see, in three streamed queries.

    Notices' volumes are read as JSON text and parsed with orjson (about 4x the standard
    library's speed: at a million rows that is most of start-up).
    """
    notices = conn.execute(
        sa.select(
            t.notice_versions.c.notice_id,
            t.notice_versions.c.version,
            sa.cast(t.notice_versions.c.volumes, sa.Text),
            t.notices.c.originator,
        )
        .join(t.notices, t.notices.c.id == t.notice_versions.c.notice_id)
        .where(t.notices.c.agreement_id == agreement_id)
        .where(t.notice_versions.c.indexed.is_(True))
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
    areas = conn.execute(
        sa.select(t.protected_areas.c.id, t.protected_areas.c.volume, t.protected_areas.c.owner)
        .where(t.protected_areas.c.owner.in_(members))
        .where(t.protected_areas.c.removed_at.is_(None))
    )
    for area_id, feature, owner in areas:
        yield IndexKey("protected_area", area_id, None, 0), feature, owner
    hazards = conn.execute(
        sa.select(t.hazards.c.id, t.hazards.c.volume)
        .where(t.hazards.c.agreement_id == agreement_id)
        .where(t.hazards.c.removed_at.is_(None))
    )
    for hazard_id, feature in hazards:
        yield IndexKey("hazard", hazard_id, None, 0), feature, None


_LOAD_BATCH = 10_000


def load_index(conn: sa.Connection, agreement_id: str) -> AgreementIndex:
    """Build an agreement's index from scratch at its current sequence number.

    The stored features were written by the service from volumes it had validated, so they
    are read back in batches on the trusted path (`volumes_from_stored_geojson`). The cyclic
    garbage collector is paused meanwhile: loading allocates millions of containers, none of
    them cyclic garbage, and each full collection would walk all those already loaded.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_index(conn, agreement_id)
    finally:
        if enabled:
            gc.enable()


def _load_index(conn: sa.Connection, agreement_id: str) -> AgreementIndex:
    seq = conn.execute(
        sa.select(t.agreements.c.seq).where(t.agreements.c.id == agreement_id)
    ).scalar_one()
    keys: list[str] = []
    volumes: list[Volume] = []
    owners: dict[str, str | None] = {}
    batch: list[Mapping[str, Any]] = []
    for key, feature, owner in _active_features(conn, agreement_id):
        encoded = key.encode()
        keys.append(encoded)
        owners[encoded] = owner
        batch.append(feature)
        if len(batch) >= _LOAD_BATCH:
            volumes.extend(volumes_from_stored_geojson(batch))
            batch = []
    volumes.extend(volumes_from_stored_geojson(batch))
    return AgreementIndex(StrategicIndex.build(zip(keys, volumes, strict=True)), owners, seq)


def catch_up(
    conn: sa.Connection, agreement_id: str, index: AgreementIndex | None
) -> AgreementIndex:
    """The index brought up to the database's state (rebuilt if it is missing or told to)."""
    if index is None:
        return load_index(conn, agreement_id)
    changes = conn.execute(
        sa.select(
            t.index_changes.c.seq,
            t.index_changes.c.op,
            t.index_changes.c.source,
            t.index_changes.c.source_id,
            t.index_changes.c.source_version,
        )
        .where(t.index_changes.c.agreement_id == agreement_id)
        .where(t.index_changes.c.seq > index.seq)
        .order_by(t.index_changes.c.seq)
    ).all()
    for seq, op, source, source_id, version in changes:
        if op == "rebuild":
            return load_index(conn, agreement_id)
        if op == "add":
            for key, volume, owner in _source_volumes(conn, source, source_id, version):
                index.add(key, volume, owner)
        else:
            index.drop_source(source, source_id, version)
        index.seq = seq
    return index
