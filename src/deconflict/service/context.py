"""What every use case shares: the engine, the clock, the locks, the agreements' indexes and the
transaction that records facts.

A use case opens `Context.transaction()`, reads and writes through the repositories it holds,
and states what happened with `tx.record(fact)`: the log entry, the events and who may see
them are written in that same transaction, so the record and the state never disagree.
"""

from __future__ import annotations

import functools
import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import ParamSpec, TypeVar

import sqlalchemy as sa

from deconflict.alerting import ChannelWatch
from deconflict.clock import Clock
from deconflict.domain import AgreementTerms
from deconflict.domain.facts import Fact
from deconflict.errors import Unavailable
from deconflict.geometry import Volume
from deconflict.log import ENTRY_VERSION, Ed25519Signer, LogEntry, new_salt
from deconflict.service.indexing import (
    AgreementIndex,
    IndexChange,
    apply_own_changes,
    catch_up,
    load_index,
)
from deconflict.storage.agreements import AgreementHead
from deconflict.storage.database import is_retryable, is_unavailable
from deconflict.storage.indexed import IndexKey
from deconflict.storage.log_entries import PendingEntry
from deconflict.storage.repositories import Repositories

__all__ = ["Context", "Tx"]

P = ParamSpec("P")
R = TypeVar("R")
ATTEMPTS = 5
RETRY_AFTER_S = 5
"""What a caller is told to wait when the database is out of reach."""
log = logging.getLogger(__name__)


class Tx(Repositories):
    """One database transaction: the repositories on its connection, one `now`, and what it
    hands the context to do once it has committed."""

    def __init__(self, conn: sa.Connection, now: datetime, *, postgres: bool) -> None:
        super().__init__(conn, postgres=postgres)
        self.postgres = postgres
        self.now = now
        self.events_recorded = 0
        self.locks: list[threading.Lock] = []
        self.pending: list[PendingEntry] = []
        self.heads: dict[str, AgreementHead] = {}
        """Each locked agreement's head as read when it was locked."""
        self.index_changes: dict[str, list[IndexChange]] = {}
        self.new_notices: set[str] = set()
        """Notices created in this transaction: their chains start here."""

    def new_id(self, prefix: str) -> str:
        """A time-ordered id, so ordering by id is ordering by creation."""
        millis = int(self.now.timestamp() * 1000)
        return f"{prefix}_{millis:013d}{secrets.token_hex(4)}"

    def record(self, fact: Fact) -> PendingEntry:
        """Write what happened: its log entry (appended at commit), its events and audience."""
        refs: tuple[str, ...] = ()
        if fact.cites is not None:
            leaf = self.notice_entry(*fact.cites, grant_to=fact.grantee)
            refs = (leaf,) if leaf else ()
        notice_id, version = fact.filed_under
        entry = LogEntry(
            type=fact.entry_type,
            party=fact.actor,
            received_at=self.now,
            salt=new_salt(),
            refs=refs,
            body=fact.body(),
            prev=None if notice_id is None else self._chain_head(notice_id),
            v=ENTRY_VERSION,
        )
        audience = fact.audience
        pending = PendingEntry(entry, set(audience), notice_id, version)
        self.pending.append(pending)
        for draft in fact.events():
            self.events.add(draft, self.now, audience)
            self.events_recorded += 1
        return pending

    def _chain_head(self, notice_id: str) -> str | None:
        """The leaf hash (hex) of the entry filed under the notice just before the next one.

        The notice's row is locked first (on PostgreSQL), so transactions that file under one
        notice append to its chain one after another and never fork it."""
        for pending in reversed(self.pending):
            if pending.notice_id == notice_id:
                return pending.entry.leaf_hash().hex()
        if notice_id in self.new_notices:
            return None
        if self.postgres:
            self.notices.get(notice_id, lock=True)
        head = self.entries.last_filed(notice_id)
        return None if head is None else head.hex()

    def notice_entry(
        self, notice_id: str, version: int, *, grant_to: str | None = None
    ) -> str | None:
        """The leaf hash (hex) of the entry that recorded a notice version, if it was published.

        With `grant_to`, that party may also read the entry from now on (it was disclosed to it),
        and the entry must exist."""
        for pending in self.pending:
            if (pending.entry.type, pending.notice_id, pending.version) == (
                "notice.version",
                notice_id,
                version,
            ):
                if grant_to is not None:
                    pending.concerns.add(grant_to)
                return pending.entry.leaf_hash().hex()
        found = self.entries.filed("notice.version", notice_id, version)
        if grant_to is None:
            return found[0][1].hex() if found else None
        ((idx, leaf),) = found
        self.entries.grant(idx, grant_to)
        return leaf.hex()

    def record_index_change(
        self,
        agreement_ids: Iterable[str],
        op: str,
        source: str,
        source_id: str,
        version: int | None = None,
        volumes: Iterable[tuple[IndexKey, Volume, str | None]] | None = None,
    ) -> None:
        """Log a change to the agreements' indexes; kept to apply in memory after commit."""
        held = None if volumes is None else tuple(volumes)
        seqs = self.indexed.record(agreement_ids, op, source, source_id, version)
        for agreement_id, seq in seqs.items():
            self.index_changes.setdefault(agreement_id, []).append(
                IndexChange(seq, op, source, source_id, version, held)
            )


def _unavailable(exc: Exception) -> Unavailable:
    """The caller's answer (no internals in it); the database's own words go to the log."""
    log.warning("database unavailable: %s", exc)
    return Unavailable("the database is unavailable; try again later", RETRY_AFTER_S)


@dataclass
class Context:
    """The engine, clock, signer, locks and indexes the use cases share."""

    engine: sa.Engine
    clock: Clock
    log_signer: Ed25519Signer
    checkpoint_interval_s: float = 2.0
    indexes: dict[str, AgreementIndex] = field(default_factory=dict)
    events_changed: threading.Condition = field(default_factory=threading.Condition)
    stopping: threading.Event = field(default_factory=threading.Event)
    _agreement_locks: dict[str, threading.Lock] = field(default_factory=dict)
    _locks_guard: threading.Lock = field(default_factory=threading.Lock)
    _terms_cache: dict[tuple[str, int], AgreementTerms] = field(default_factory=dict)
    _writer_lock: threading.Lock | None = None
    """SQLite admits one writer at a time: queue them here rather than in its busy handler."""
    _calls: threading.local = field(default_factory=threading.local)
    """Per thread: how many transactions the current use-case call has committed."""
    channels: ChannelWatch = field(init=False)
    """When each party was last heard from (a call, an open stream), on the service clock."""

    def __post_init__(self) -> None:
        if not self.postgres:
            self._writer_lock = threading.Lock()
        self.channels = ChannelWatch(self.clock.now().timestamp())

    def heard_from(self, party_id: str | None) -> None:
        """The party is alive now: it made an authenticated call, or its stream is open."""
        if party_id is not None:
            self.channels.seen(party_id, self.clock.now().timestamp())

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A writing transaction stamped with one `now`; agreement locks are released, and
        waiting streams woken, after commit."""
        tx: Tx | None = None
        if self._writer_lock is not None:
            self._writer_lock.acquire()
        try:
            with self.engine.connect().execution_options(writer=True) as conn, conn.begin():
                tx = Tx(conn, self.clock.now(), postgres=self.postgres)
                yield tx
                if tx.pending:
                    tx.entries.append(tx.pending)
            self._calls.commits = getattr(self._calls, "commits", 0) + 1
            for agreement_id, changes in tx.index_changes.items():
                index = self.indexes.get(agreement_id)
                if index is not None:
                    apply_own_changes(index, tx.heads[agreement_id].seq, changes)
        finally:
            if tx is not None:
                for lock in reversed(tx.locks):
                    lock.release()
            if self._writer_lock is not None:
                self._writer_lock.release()
            if tx is not None and tx.events_recorded:
                with self.events_changed:
                    self.events_changed.notify_all()

    def retrying(self, use_case: Callable[P, R]) -> Callable[P, R]:
        """`use_case`, run again when the database rolled its transaction back for losing a race
        (a serialisation failure or a deadlock), as long as none of its transactions had
        committed: then nothing of the first run remains, and the caller never sees the race.
        A database out of reach (or still losing races) is `Unavailable`: try again later."""

        @functools.wraps(use_case)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            attempt = 1
            while True:
                self._calls.commits = 0
                try:
                    return use_case(*args, **kwargs)
                except sa.exc.DBAPIError as exc:
                    if is_retryable(exc) and not self._calls.commits and attempt < ATTEMPTS:
                        pass
                    elif is_unavailable(exc):
                        raise _unavailable(exc) from exc
                    else:
                        raise
                except sa.exc.TimeoutError as exc:  # every pooled connection busy
                    raise _unavailable(exc) from exc
                time.sleep(random.uniform(0, 0.005 * 2**attempt))
                attempt += 1

        return call

    @contextmanager
    def read(self) -> Iterator[Repositories]:
        """The repositories on a reading connection (a snapshot on SQLite's WAL)."""
        with self.engine.connect() as conn:
            yield Repositories(conn, postgres=self.postgres)

    def lock_agreements(self, tx: Tx, agreement_ids: Iterable[str]) -> None:
        """Serialise check-and-insert per agreement: a row lock in the database, a lock in here.

        The transaction's `now` is taken again once the locks are held, so times recorded
        under them follow the order in which the transactions commit."""
        for agreement_id in sorted(set(agreement_ids)):
            head = tx.agreements.head(agreement_id, lock=True)
            if head is not None:
                tx.heads[agreement_id] = head
            with self._locks_guard:
                lock = self._agreement_locks.setdefault(agreement_id, threading.Lock())
            lock.acquire()
            tx.locks.append(lock)
        tx.now = self.clock.now()

    def current_version(self, tx: Tx, agreement_id: str) -> int:
        head = tx.heads.get(agreement_id) or tx.agreements.head(agreement_id)
        if head is None:
            raise LookupError(f"agreement {agreement_id!r} is not stored")
        return head.current_version

    def terms(self, repos: Repositories, agreement_id: str, version: int) -> AgreementTerms:
        """An agreement version's terms; versions never change, so they are read once."""
        key = (agreement_id, version)
        terms = self._terms_cache.get(key)
        if terms is None:
            terms = self._terms_cache[key] = repos.agreements.terms(agreement_id, version)
        return terms

    def index(self, tx: Tx, agreement_id: str) -> AgreementIndex:
        """The agreement's index, caught up; call with the agreement locked."""
        index = self.indexes.get(agreement_id)
        head = tx.heads.get(agreement_id)
        if index is not None and head is not None and head.seq == index.seq:
            return index
        index = catch_up(tx.indexed, agreement_id, index)
        self.indexes[agreement_id] = index
        return index

    def load_indexes(self) -> None:
        """Rebuild every agreement's strategic index from the database."""
        with self.read() as repos:
            self.indexes = {
                agreement_id: load_index(repos.indexed, agreement_id)
                for agreement_id in repos.agreements.ids()
            }
