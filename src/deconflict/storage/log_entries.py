"""The Merkle log's entries as stored: appended inside the transaction that made them, with the
parties each one concerns (who may read it).

Leaf indices are gap-free and in commit order because every appending transaction locks the
single `log_head` row (and SQLite serialises writers anyway) until it commits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from deconflict.log import LogEntry, MerkleTree
from deconflict.storage import tables as t
from deconflict.storage.lognodes import SqlNodeStore

__all__ = ["LogEntryStore", "PendingEntry", "StoredEntry", "append_entries"]

e = t.log_entries.c
p = t.log_entry_parties.c


@dataclass
class PendingEntry:
    """An entry written by a use case, not yet appended; `concerns` may still grow."""

    entry: LogEntry
    concerns: set[str] = field(default_factory=set)
    notice_id: str | None = None
    version: int | None = None


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """Every stored column of one `log_entries` row: the entry and the index columns beside it."""

    idx: int
    leaf_hash: bytes
    entry: bytes
    type: str
    notice_id: str | None
    version: int | None
    created_at: datetime


def append_entries(conn: sa.Connection, pending: Iterable[PendingEntry], lock: bool) -> int:
    """Append in order; returns the new tree size."""
    entries = list(pending)
    query = sa.select(t.log_head.c.size).where(t.log_head.c.id == 1)
    if lock:
        query = query.with_for_update()
    size = conn.execute(query).scalar_one_or_none()
    if size is None:
        conn.execute(t.log_head.insert().values(id=1, size=0))
        size = 0
    rows: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    for offset, pending_entry in enumerate(entries):
        idx = size + offset
        entry = pending_entry.entry
        rows.append(
            {
                "idx": idx,
                "leaf_hash": entry.leaf_hash(),
                "entry": entry.canonical(),
                "type": entry.type,
                "notice_id": pending_entry.notice_id,
                "version": pending_entry.version,
                "created_at": entry.received_at,
            }
        )
        grants.extend({"idx": idx, "party_id": p} for p in sorted(pending_entry.concerns))
    conn.execute(t.log_entries.insert(), rows)
    if grants:
        conn.execute(t.log_entry_parties.insert(), grants)
    new_size = MerkleTree(SqlNodeStore(conn, size)).append([e.entry.leaf_hash() for e in entries])
    conn.execute(sa.update(t.log_head).where(t.log_head.c.id == 1).values(size=new_size))
    return new_size


class LogEntryStore:
    """Reads of the stored entries, and grants of them to more parties, on one connection."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    def append(self, pending: Iterable[PendingEntry]) -> int:
        return append_entries(self._conn, pending, lock=self._postgres)

    def lock_head(self) -> None:
        """Take now the lock `append` takes at commit (on PostgreSQL; SQLite's one writer holds
        it already), so that nothing is logged between what this transaction reads and its
        own entries."""
        if self._postgres:
            self._conn.execute(
                sa.select(t.log_head.c.size).where(t.log_head.c.id == 1).with_for_update()
            )

    def tree(self, size: int | None = None) -> MerkleTree:
        """The stored tree (at `size`, if given, without reading the head)."""
        return MerkleTree(SqlNodeStore(self._conn, size))

    def size(self) -> int:
        return SqlNodeStore(self._conn).size()

    def grant(self, idx: int, party: str) -> None:
        """Let `party` see (and so check the inclusion of) an entry already in the log."""
        exists = self._conn.execute(
            sa.select(p.idx).where(p.idx == idx).where(p.party_id == party)
        ).first()
        if exists is None:
            self._conn.execute(t.log_entry_parties.insert().values(idx=idx, party_id=party))

    def filed(self, entry_type: str, notice_id: str, version: int) -> list[tuple[int, bytes]]:
        """(index, leaf hash) of the entries of a type filed under a notice version."""
        rows = self._conn.execute(
            sa.select(e.idx, e.leaf_hash)
            .where(e.type == entry_type)
            .where(e.notice_id == notice_id)
            .where(e.version == version)
        )
        return [(int(idx), bytes(leaf)) for idx, leaf in rows]

    def filed_entries(
        self, entry_type: str, notice_id: str, version: int
    ) -> list[tuple[int, bytes]]:
        """(index, canonical entry) of the entries of a type filed under a notice version."""
        rows = self._conn.execute(
            sa.select(e.idx, e.entry)
            .where(e.type == entry_type)
            .where(e.notice_id == notice_id)
            .where(e.version == version)
        )
        return [(int(idx), bytes(entry)) for idx, entry in rows]

    def of_notice(self, entry_type: str, notice_id: str) -> list[tuple[int, bytes]]:
        """(index, canonical entry) of the entries of a type filed under any version of a
        notice."""
        rows = self._conn.execute(
            sa.select(e.idx, e.entry).where(e.type == entry_type).where(e.notice_id == notice_id)
        )
        return [(int(idx), bytes(entry)) for idx, entry in rows]

    def last_filed(self, notice_id: str) -> bytes | None:
        """The leaf hash of the newest entry filed under the notice, if any: the head of its
        chain."""
        leaf = self._conn.execute(
            sa.select(e.leaf_hash).where(e.notice_id == notice_id).order_by(e.idx.desc()).limit(1)
        ).scalar_one_or_none()
        return None if leaf is None else bytes(leaf)

    def under_notice(self, notice_id: str) -> set[int]:
        """Indices of every entry filed under the notice."""
        return {
            int(idx)
            for idx in self._conn.execute(
                sa.select(e.idx).where(e.notice_id == notice_id)
            ).scalars()
        }

    def of_type(self, entry_type: str, before: int) -> list[tuple[int, bytes]]:
        """(index, canonical entry) of every entry of a type below index `before`."""
        rows = self._conn.execute(
            sa.select(e.idx, e.entry).where(e.type == entry_type).where(e.idx < before)
        )
        return [(int(idx), bytes(entry)) for idx, entry in rows]

    def entries(self, indices: Collection[int]) -> dict[int, bytes]:
        rows = self._conn.execute(sa.select(e.idx, e.entry).where(e.idx.in_(sorted(indices))))
        return {int(idx): bytes(entry) for idx, entry in rows}

    def readers(self, indices: Collection[int]) -> set[str]:
        """Every party that may read one of the entries."""
        return set(
            self._conn.execute(sa.select(p.party_id).where(p.idx.in_(sorted(indices)))).scalars()
        )

    def readable(self, party: str | None, start: int, limit: int) -> list[tuple[int, bytes]]:
        """Entries from `start` that `party` may read (all, for None), in index order.

        A party's page walks its own `log_entry_parties` rows from `start` by primary key and
        joins the entries: the cost is the page, not every entry the party was ever shown."""
        if party is None:
            query = sa.select(e.idx, e.entry).where(e.idx >= start).order_by(e.idx)
        else:
            query = (
                sa.select(p.idx, e.entry)
                .join_from(t.log_entry_parties, t.log_entries, p.idx == e.idx)
                .where(p.party_id == party)
                .where(p.idx >= start)
                .order_by(p.idx)
            )
        rows = self._conn.execute(query.limit(limit))
        return [(int(idx), bytes(entry)) for idx, entry in rows]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        rows = self._conn.execute(
            sa.select(e.leaf_hash).where(e.idx >= start).where(e.idx < end).order_by(e.idx)
        ).scalars()
        return [bytes(h) for h in rows]

    def scan(self) -> Iterator[StoredEntry]:
        """Every stored entry with all its columns, streamed in index order."""
        for row in self._conn.execute(
            sa.select(e.idx, e.leaf_hash, e.entry, e.type, e.notice_id, e.version, e.created_at)
            .order_by(e.idx)
            .execution_options(yield_per=10_000)
        ):
            yield StoredEntry(
                int(row.idx),
                bytes(row.leaf_hash),
                bytes(row.entry),
                row.type,
                row.notice_id,
                None if row.version is None else int(row.version),
                row.created_at,
            )

    def reader_rows(self) -> Iterator[tuple[int, str]]:
        """(index, party) of every `log_entry_parties` row, streamed by index then party."""
        for idx, party in self._conn.execute(
            sa.select(p.idx, p.party_id)
            .order_by(p.idx, p.party_id)
            .execution_options(yield_per=10_000)
        ):
            yield int(idx), party

    def head_rows(self) -> list[tuple[int, int]]:
        """(id, size) of every `log_head` row; the log has one, with id 1."""
        h = t.log_head.c
        return [(int(i), int(size)) for i, size in self._conn.execute(sa.select(h.id, h.size))]

    def nodes(self) -> Iterator[tuple[int, int, bytes]]:
        """(level, index, hash) of every stored tree node, streamed in order."""
        n = t.log_nodes.c
        for level, idx, node in self._conn.execute(
            sa.select(n.level, n.idx, n.hash)
            .order_by(n.level, n.idx)
            .execution_options(yield_per=10_000)
        ):
            yield int(level), int(idx), bytes(node)
