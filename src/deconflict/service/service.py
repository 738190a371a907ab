"""The service: every use case over one database, one clock and the agreements' indexes."""

from __future__ import annotations

import threading
from typing import Self

import sqlalchemy as sa

from deconflict.clock import Clock, SystemClock
from deconflict.service.agreements import AgreementUseCases
from deconflict.service.base import hash_token
from deconflict.service.events import EventUseCases
from deconflict.service.indexing import AgreementIndex, load_index
from deconflict.service.parties import PartyUseCases
from deconflict.service.timers import TimerUseCases
from deconflict.storage import tables as t
from deconflict.storage.database import create_engine, migrate

__all__ = ["Service"]


class Service(PartyUseCases, AgreementUseCases, TimerUseCases, EventUseCases):
    """The deconfliction mechanism. Open it with `Service.open`; close it when done."""

    def __init__(self, engine: sa.Engine, clock: Clock) -> None:
        self.clock = clock
        self._engine = engine
        self._is_postgres = engine.dialect.name == "postgresql"
        self._agreement_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._events_changed = threading.Condition()
        self._indexes: dict[str, AgreementIndex] = {}
        self._scheduler = None
        self._stopping = threading.Event()

    @classmethod
    def open(
        cls, database_url: str, *, clock: Clock | None = None, admin_token: str | None = None
    ) -> Self:
        """Migrate the database, set the admin token if given, and load every agreement's index."""
        engine = create_engine(database_url)
        migrate(engine)
        service = cls(engine, clock or SystemClock())
        if admin_token is not None:
            service.set_admin_token(admin_token)
        service.load_indexes()
        return service

    def set_admin_token(self, token: str) -> None:
        if len(token) < 16:
            raise ValueError("the admin token must have at least 16 characters")
        with self._tx() as tx:
            tx.conn.execute(t.settings.delete().where(t.settings.c.key == "admin_token_sha256"))
            tx.conn.execute(
                t.settings.insert().values(key="admin_token_sha256", value=hash_token(token))
            )

    def load_indexes(self) -> None:
        """Rebuild every agreement's strategic index from the database."""
        with self._engine.connect() as conn:
            ids = list(conn.execute(sa.select(t.agreements.c.id)).scalars())
            self._indexes = {agreement_id: load_index(conn, agreement_id) for agreement_id in ids}

    def close(self) -> None:
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
            self._scheduler = None
        with self._events_changed:
            self._events_changed.notify_all()
        self._engine.dispose()
