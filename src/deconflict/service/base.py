"""What every use case shares: the caller, the transaction, ids, tokens and event recording."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from deconflict.clock import Clock
from deconflict.domain import EventKind
from deconflict.errors import Forbidden, InvalidInput
from deconflict.geometry import Volume
from deconflict.log import LogEntry, new_salt
from deconflict.service.indexing import (
    AgreementIndex,
    IndexChange,
    IndexKey,
    apply_own_changes,
    record_change,
)
from deconflict.service.logbook import PendingEntry, append_entries, grant_entry
from deconflict.storage import tables as t
from deconflict.times import format_time

__all__ = [
    "ADMIN",
    "Caller",
    "IdempotencyMismatch",
    "ServiceBase",
    "Tx",
    "hash_token",
    "new_token",
    "stamp",
]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a party, or the admin (party_id None) who sets the mechanism up."""

    party_id: str | None

    @property
    def is_admin(self) -> bool:
        return self.party_id is None


ADMIN = Caller(None)


class IdempotencyMismatch(InvalidInput):
    """An Idempotency-Key reused with a different request body."""


def stamp(when: datetime | None) -> str | None:
    """A time as the log writes it (RFC 3339 UTC, microseconds, Z)."""
    return None if when is None else format_time(when)


def new_token() -> str:
    """A 256-bit random bearer token."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough to keep them unusable if the DB leaks."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Tx:
    """One database transaction and what to do once it has committed."""

    conn: sa.Connection
    now: datetime
    events_recorded: int = 0
    locks: list[threading.Lock] = field(default_factory=list)
    log: list[PendingEntry] = field(default_factory=list)
    agreement_seq: dict[str, int] = field(default_factory=dict)
    """Each locked agreement's index sequence number as read when it was locked."""
    agreement_version: dict[str, int] = field(default_factory=dict)
    index_changes: dict[str, list[IndexChange]] = field(default_factory=dict)


class ServiceBase:
    """State shared by the use-case mixins."""

    clock: Clock
    _engine: Engine
    _is_postgres: bool
    _agreement_locks: dict[str, threading.Lock]
    _locks_guard: threading.Lock
    _events_changed: threading.Condition
    _indexes: dict[str, AgreementIndex]
    _writer_lock: threading.Lock | None
    """SQLite admits one writer at a time: queue them here rather than in its busy handler."""

    @contextmanager
    def _tx(self) -> Iterator[Tx]:
        """A transaction stamped with one `now`; agreement locks are released after commit."""
        tx: Tx | None = None
        if self._writer_lock is not None:
            self._writer_lock.acquire()
        try:
            with self._engine.connect().execution_options(writer=True) as conn, conn.begin():
                tx = Tx(conn, self.clock.now())
                yield tx
                if tx.log:
                    append_entries(conn, tx.log, lock=self._is_postgres)
            for agreement_id, changes in tx.index_changes.items():
                index = self._indexes.get(agreement_id)
                if index is not None:
                    apply_own_changes(index, tx.agreement_seq[agreement_id], changes)
        finally:
            if tx is not None:
                for lock in reversed(tx.locks):
                    lock.release()
            if self._writer_lock is not None:
                self._writer_lock.release()
            if tx is not None and tx.events_recorded:
                with self._events_changed:
                    self._events_changed.notify_all()

    def _lock_agreements(self, tx: Tx, agreement_ids: Iterable[str]) -> None:
        """Serialise check-and-insert per agreement: a row lock in the database, a lock in here.

        The transaction's `now` is taken again once the locks are held, so times recorded
        under them follow the order in which the transactions commit."""
        for agreement_id in sorted(set(agreement_ids)):
            query = sa.select(t.agreements.c.seq, t.agreements.c.current_version).where(
                t.agreements.c.id == agreement_id
            )
            if self._is_postgres:
                query = query.with_for_update()
            row = tx.conn.execute(query).one_or_none()
            if row is not None:
                tx.agreement_seq[agreement_id] = row.seq
                tx.agreement_version[agreement_id] = row.current_version
            with self._locks_guard:
                lock = self._agreement_locks.setdefault(agreement_id, threading.Lock())
            lock.acquire()
            tx.locks.append(lock)
        tx.now = self.clock.now()

    def _record_change(
        self,
        tx: Tx,
        agreement_ids: Iterable[str],
        op: str,
        source: str,
        source_id: str,
        version: int | None = None,
        volumes: Iterable[tuple[IndexKey, Volume, str | None]] | None = None,
    ) -> None:
        """Log a change to the agreements' indexes; kept to apply in memory after commit."""
        held = None if volumes is None else tuple(volumes)
        seqs = record_change(tx.conn, agreement_ids, op, source, source_id, version)
        for agreement_id, seq in seqs.items():
            tx.index_changes.setdefault(agreement_id, []).append(
                IndexChange(seq, op, source, source_id, version, held)
            )

    def _current_version(self, tx: Tx, agreement_id: str) -> int:
        version = tx.agreement_version.get(agreement_id)
        if version is None:
            version = tx.conn.execute(
                sa.select(t.agreements.c.current_version).where(t.agreements.c.id == agreement_id)
            ).scalar_one()
        return version

    def _new_id(self, prefix: str, tx: Tx) -> str:
        """A time-ordered id, so ordering by id is ordering by creation."""
        millis = int(tx.now.timestamp() * 1000)
        return f"{prefix}_{millis:013d}{secrets.token_hex(4)}"

    def _record_event(
        self,
        tx: Tx,
        kind: EventKind,
        agreement_id: str,
        audience: Iterable[str | None],
        *,
        notice_id: str | None = None,
        version: int | None = None,
        party_id: str | None = None,
        due_at: datetime | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        result = tx.conn.execute(
            t.events.insert().values(
                kind=kind.value,
                at=tx.now,
                agreement_id=agreement_id,
                notice_id=notice_id,
                version=version,
                party_id=party_id,
                due_at=due_at,
                data=data or {},
            )
        )
        event_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        parties = sorted({p for p in audience if p is not None})
        if parties:
            tx.conn.execute(
                t.event_audience.insert(), [{"event_id": event_id, "party_id": p} for p in parties]
            )
        tx.events_recorded += 1
        return event_id

    def _log(
        self,
        tx: Tx,
        kind: str,
        party: str | None,
        body: dict[str, Any],
        concerns: Iterable[str | None] = (),
        *,
        notice_id: str | None = None,
        version: int | None = None,
        refs: Iterable[str] = (),
    ) -> PendingEntry:
        """Record a state change in the Merkle log; it is appended when `tx` commits."""
        entry = LogEntry(
            type=kind,
            party=party,
            received_at=tx.now,
            salt=new_salt(),
            refs=tuple(refs),
            body=body,
        )
        pending = PendingEntry(
            entry, {p for p in (party, *concerns) if p is not None}, notice_id, version
        )
        tx.log.append(pending)
        return pending

    def _notice_entry(
        self, tx: Tx, notice_id: str, version: int, *, grant_to: str | None = None
    ) -> str | None:
        """The leaf hash (hex) of the entry that recorded a notice version, if it was published.

        With `grant_to`, that party may also read the entry from now on (it was disclosed to it),
        and the entry must exist.
        """
        for pending in tx.log:
            if (pending.entry.type, pending.notice_id, pending.version) == (
                "notice.version",
                notice_id,
                version,
            ):
                if grant_to is not None:
                    pending.concerns.add(grant_to)
                return pending.entry.leaf_hash().hex()
        query = (
            sa.select(t.log_entries.c.idx, t.log_entries.c.leaf_hash)
            .where(t.log_entries.c.type == "notice.version")
            .where(t.log_entries.c.notice_id == notice_id)
            .where(t.log_entries.c.version == version)
        )
        if grant_to is None:
            row = tx.conn.execute(query).one_or_none()
            return None if row is None else bytes(row.leaf_hash).hex()
        row = tx.conn.execute(query).one()
        grant_entry(tx.conn, row.idx, grant_to)
        return bytes(row.leaf_hash).hex()

    @staticmethod
    def _require_party(caller: Caller) -> str:
        if caller.party_id is None:
            raise Forbidden("this action belongs to a party; the admin token only sets things up")
        return caller.party_id

    @staticmethod
    def _require_admin(caller: Caller) -> None:
        if not caller.is_admin:
            raise Forbidden("only the admin may do this")
