"""The Merkle tree's complete-subtree hashes in a SQL table, as a `NodeStore`."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from deconflict.log.tree import NodeKey
from deconflict.storage import tables as t

__all__ = ["SqlNodeStore"]


class SqlNodeStore:
    """Reads and writes `log_nodes` on one connection; the size is the locked `log_head` row.

    Lookups are an OR of primary-key equalities, which both SQLite (MULTI-INDEX OR) and
    PostgreSQL (BitmapOr) answer from the primary key, and which the statement cache keeps
    compiled. A row-value IN list made SQLite scan the whole table; a literal VALUES list
    was recompiled on every call.
    """

    def __init__(self, conn: sa.Connection, size: int | None = None) -> None:
        self._conn = conn
        self._size = size

    def size(self) -> int:
        if self._size is not None:
            return self._size
        size = self._conn.execute(
            sa.select(t.log_head.c.size).where(t.log_head.c.id == 1)
        ).scalar_one_or_none()
        return int(size or 0)

    def get_many(self, keys: Sequence[NodeKey]) -> list[bytes]:
        if not keys:
            return []
        level, idx = t.log_nodes.c.level, t.log_nodes.c.idx
        rows = self._conn.execute(
            sa.select(level, idx, t.log_nodes.c.hash).where(
                sa.or_(*[(level == lv) & (idx == ix) for lv, ix in keys])
            )
        ).all()
        found = {(level, idx): bytes(node) for level, idx, node in rows}
        return [found[key] for key in keys]

    def put_many(self, items: Sequence[tuple[int, int, bytes]]) -> None:
        if items:
            self._conn.execute(
                t.log_nodes.insert(),
                [{"level": level, "idx": idx, "hash": node} for level, idx, node in items],
            )
