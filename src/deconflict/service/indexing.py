"""One strategic index per agreement, kept in step with the database's change log.

Every change to what an agreement's check must see (a notice version submitted, amended,
cancelled or expired; a protected area or hazard added or removed) appends a row to
`index_changes` in the same transaction. An index catches up by replaying the rows after
its own sequence number, under the agreement's lock, so several service instances sharing
one PostgreSQL database check against the same state.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deconflict.detection.strategic import Buffers, StrategicIndex
from deconflict.domain import AgreementTerms
from deconflict.geometry import Volume
from deconflict.geometry.stored import volumes_from_stored_geojson
from deconflict.storage.indexed import IndexedStore, IndexKey

__all__ = [
    "AgreementIndex",
    "IndexChange",
    "apply_own_changes",
    "buffers_of",
    "catch_up",
    "load_index",
]


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


_LOAD_BATCH = 10_000


def load_index(store: IndexedStore, agreement_id: str) -> AgreementIndex:
    """Build an agreement's index from scratch at its current sequence number.

    The stored features were written by the service from volumes it had validated, so they
    are read back in batches on the trusted path (`volumes_from_stored_geojson`). The cyclic
    garbage collector is paused meanwhile: loading allocates millions of containers, none of
    them cyclic garbage, and each full collection would walk all those already loaded.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _load_index(store, agreement_id)
    finally:
        if enabled:
            gc.enable()


def _load_index(store: IndexedStore, agreement_id: str) -> AgreementIndex:
    seq = store.seq(agreement_id)
    keys: list[str] = []
    volumes: list[Volume] = []
    owners: dict[str, str | None] = {}
    batch: list[Mapping[str, Any]] = []
    for key, feature, owner in store.active_features(agreement_id):
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
    store: IndexedStore, agreement_id: str, index: AgreementIndex | None
) -> AgreementIndex:
    """The index brought up to the database's state (rebuilt if it is missing or told to)."""
    if index is None:
        return load_index(store, agreement_id)
    for change in store.changes_after(agreement_id, index.seq):
        if change.op == "rebuild":
            return load_index(store, agreement_id)
        if change.op == "add":
            for key, volume, owner in store.source_volumes(
                change.source, change.source_id, change.version
            ):
                index.add(key, volume, owner)
        else:
            index.drop_source(change.source, change.source_id, change.version)
        index.seq = change.seq
    return index
