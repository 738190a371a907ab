"""Stored signed checkpoints and the parties' cosignatures of them.

Two cosignatures are kept per (size, party): the latest (served with the checkpoint, for
freshness) and the first, never replaced by a later one, so a proof bundle's bound does not
move later while the log idles.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from deconflict.storage import tables as t

__all__ = ["CheckpointStore", "CosignatureRow", "StoredCheckpoint", "StoredCosignature"]

k = t.checkpoints.c
c = t.cosignatures.c


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """When a party's kept cosignatures of one checkpoint were made, by its own clock."""

    timestamp: datetime
    first_timestamp: datetime


@dataclass(frozen=True, slots=True)
class CosignatureRow:
    """Every stored column of one party's kept cosignatures of one checkpoint."""

    size: int
    party: str
    line: str
    timestamp: datetime
    received_at: datetime
    first_line: str
    first_timestamp: datetime
    first_received_at: datetime


class CheckpointStore:
    """Checkpoints and cosignatures on one connection."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    def latest(self) -> StoredCheckpoint | None:
        row = self._conn.execute(
            sa.select(k.size, k.note, k.created_at).order_by(k.size.desc()).limit(1)
        ).one_or_none()
        return None if row is None else StoredCheckpoint(int(row.size), row.note, row.created_at)

    def note(self, size: int, *, lock: bool = False) -> str | None:
        """The signed note of the checkpoint at `size`; with `lock`, its row is held until
        commit, so cosignatures of one checkpoint queue on it."""
        query = sa.select(k.note).where(k.size == size)
        if lock:
            query = query.with_for_update()
        return self._conn.execute(query).scalar_one_or_none()

    def add(self, size: int, note: str, at: datetime) -> None:
        self._conn.execute(t.checkpoints.insert().values(size=size, note=note, created_at=at))

    def all(self) -> Iterator[tuple[int, str]]:
        """(size, note) of every checkpoint, smallest first."""
        for size, note in self._conn.execute(sa.select(k.size, k.note).order_by(k.size)):
            yield int(size), note

    def cosignatures(self) -> Iterator[CosignatureRow]:
        """Every stored cosignature row, by checkpoint size then party."""
        for row in self._conn.execute(
            sa.select(
                c.size,
                c.party_id,
                c.line,
                c.timestamp,
                c.received_at,
                c.first_line,
                c.first_timestamp,
                c.first_received_at,
            ).order_by(c.size, c.party_id)
        ):
            yield CosignatureRow(int(row[0]), *row[1:])

    def lines(self, size: int, *, first: bool = False) -> list[str]:
        """The latest (or first) cosignature line of each party for the checkpoint, by party."""
        column = c.first_line if first else c.line
        return list(
            self._conn.execute(
                sa.select(column).where(c.size == size).order_by(c.party_id)
            ).scalars()
        )

    def cosignature(self, size: int, party: str) -> StoredCosignature | None:
        row = self._conn.execute(
            sa.select(c.timestamp, c.first_timestamp)
            .where(c.size == size)
            .where(c.party_id == party)
        ).one_or_none()
        return None if row is None else StoredCosignature(row.timestamp, row.first_timestamp)

    def add_cosignature(
        self, size: int, party: str, line: str, timestamp: datetime, received_at: datetime
    ) -> None:
        """The party's first cosignature of the checkpoint: both the latest and the first."""
        self._conn.execute(
            t.cosignatures.insert().values(
                size=size,
                party_id=party,
                line=line,
                timestamp=timestamp,
                received_at=received_at,
                first_line=line,
                first_timestamp=timestamp,
                first_received_at=received_at,
            )
        )

    def replace_cosignature(
        self,
        size: int,
        party: str,
        line: str,
        timestamp: datetime,
        received_at: datetime,
        *,
        latest: bool,
        first: bool,
    ) -> None:
        """Keep a newer cosignature as the latest and/or an earlier-stamped one as the first."""
        changes: dict[str, object] = {}
        if latest:
            changes |= {"line": line, "timestamp": timestamp, "received_at": received_at}
        if first:
            changes |= {
                "first_line": line,
                "first_timestamp": timestamp,
                "first_received_at": received_at,
            }
        if changes:
            self._conn.execute(
                t.cosignatures.update()
                .where(c.size == size)
                .where(c.party_id == party)
                .values(changes)
            )

    def newest_cosigned(self, party: str) -> int | None:
        """The largest checkpoint size the party co-signed."""
        size = self._conn.execute(
            sa.select(sa.func.max(c.size)).where(c.party_id == party)
        ).scalar_one()
        return None if size is None else int(size)

    def bracket(self, party: str, idx: int, size: int) -> tuple[int | None, int | None]:
        """The last checkpoint `party` co-signed without entry `idx`, and the first (up to
        `size`) with it."""
        before = self._conn.execute(
            sa.select(sa.func.max(c.size)).where(c.party_id == party).where(c.size <= idx)
        ).scalar_one()
        after = self._conn.execute(
            sa.select(sa.func.min(c.size))
            .where(c.party_id == party)
            .where(c.size > idx)
            .where(c.size <= size)
        ).scalar_one()
        return (None if before is None else int(before), None if after is None else int(after))
