"""Appending a transaction's log entries to the Merkle log, inside that same transaction.

Leaf indices are gap-free and in commit order because every appending transaction locks the
single `log_head` row (and SQLite serialises writers anyway) until it commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from deconflict.log import LogEntry, MerkleTree
from deconflict.storage import tables as t
from deconflict.storage.lognodes import SqlNodeStore

__all__ = ["PendingEntry", "append_entries", "grant_entry"]


@dataclass
class PendingEntry:
    """An entry written by a use case, not yet appended; `concerns` may still grow."""

    entry: LogEntry
    concerns: set[str] = field(default_factory=set)
    notice_id: str | None = None
    version: int | None = None


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


def grant_entry(conn: sa.Connection, idx: int, party: str) -> None:
    """Let `party` see (and so check the inclusion of) an entry already in the log."""
    exists = conn.execute(
        sa.select(t.log_entry_parties.c.idx)
        .where(t.log_entry_parties.c.idx == idx)
        .where(t.log_entry_parties.c.party_id == party)
    ).first()
    if exists is None:
        conn.execute(t.log_entry_parties.insert().values(idx=idx, party_id=party))
