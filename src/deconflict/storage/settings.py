"""Service settings kept in the database: the admin token's digest and the log's signing key."""

from __future__ import annotations

import sqlalchemy as sa

from deconflict.storage import tables as t

__all__ = ["SettingStore"]


class SettingStore:
    """Named text values on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, key: str) -> str | None:
        return self._conn.execute(
            sa.select(t.settings.c.value).where(t.settings.c.key == key)
        ).scalar_one_or_none()

    def put(self, key: str, value: str) -> None:
        self._conn.execute(t.settings.delete().where(t.settings.c.key == key))
        self._conn.execute(t.settings.insert().values(key=key, value=value))
