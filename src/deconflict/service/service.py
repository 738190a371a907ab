"""The service: every use case over one database, one clock and the agreements' indexes."""

from __future__ import annotations

import secrets
import threading
from typing import Self

import sqlalchemy as sa

from deconflict.clock import Clock, SystemClock
from deconflict.domain import AgreementTerms
from deconflict.log import Ed25519Signer
from deconflict.service.agreements import AgreementUseCases
from deconflict.service.base import hash_token
from deconflict.service.bundles import BundleUseCases
from deconflict.service.events import EventUseCases
from deconflict.service.indexing import AgreementIndex, load_index
from deconflict.service.ledger import LedgerUseCases
from deconflict.service.parties import PartyUseCases
from deconflict.service.timers import TimerUseCases
from deconflict.storage import tables as t
from deconflict.storage.database import create_engine, migrate

__all__ = ["Service"]


class Service(
    PartyUseCases,
    AgreementUseCases,
    TimerUseCases,
    EventUseCases,
    LedgerUseCases,
    BundleUseCases,
):
    """The deconfliction mechanism. Open it with `Service.open`; close it when done."""

    def __init__(
        self,
        engine: sa.Engine,
        clock: Clock,
        log_signer: Ed25519Signer,
        *,
        checkpoint_interval_s: float = 2.0,
    ) -> None:
        self.clock = clock
        self.log_origin = log_signer.name
        self._log_signer = log_signer
        self.checkpoint_interval_s = checkpoint_interval_s
        self._engine = engine
        self._is_postgres = engine.dialect.name == "postgresql"
        self._agreement_locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._events_changed = threading.Condition()
        self._indexes: dict[str, AgreementIndex] = {}
        self._terms_cache: dict[tuple[str, int], AgreementTerms] = {}
        self._writer_lock = threading.Lock() if engine.dialect.name == "sqlite" else None
        self._scheduler = None
        self._stopping = threading.Event()

    @classmethod
    def open(
        cls,
        database_url: str,
        *,
        clock: Clock | None = None,
        admin_token: str | None = None,
        log_key: str | None = None,
        checkpoint_interval_s: float = 2.0,
    ) -> Self:
        """Migrate the database, set the admin token if given, and load every agreement's index.

        `log_key` is the log's signing key in C2SP skey form (its key name is the log's origin);
        without one, the key stored in the database is used, created on first start.
        """
        engine = create_engine(database_url)
        migrate(engine)
        signer = Ed25519Signer.from_skey(log_key) if log_key else _stored_log_key(engine)
        service = cls(
            engine, clock or SystemClock(), signer, checkpoint_interval_s=checkpoint_interval_s
        )
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

    def tick(self) -> int:
        """Fire due timers, then publish a checkpoint if the log grew."""
        fired = super().tick()
        self.publish_checkpoint()
        return fired

    def close(self) -> None:
        self._stopping.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
            self._scheduler = None
        with self._events_changed:
            self._events_changed.notify_all()
        self._engine.dispose()


def _stored_log_key(engine: sa.Engine) -> Ed25519Signer:
    """The log key kept in the database, made on first start with a fresh origin."""
    with engine.begin() as conn:
        skey = conn.execute(
            sa.select(t.settings.c.value).where(t.settings.c.key == "log_skey")
        ).scalar_one_or_none()
        if skey is None:
            signer = Ed25519Signer.generate(f"deconflict.local/{secrets.token_hex(4)}")
            conn.execute(t.settings.insert().values(key="log_skey", value=signer.skey()))
            return signer
    return Ed25519Signer.from_skey(skey)
