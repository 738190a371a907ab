"""Stored notices, their versions and the idempotency keys that named them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from deconflict.domain import NoticeKind, NoticeState, StoredNotice, StoredVersion
from deconflict.storage import tables as t

__all__ = ["EndedVersion", "KeyInUse", "NoticeStore", "RememberedKey"]

n = t.notices.c
v = t.notice_versions.c


@dataclass(frozen=True, slots=True)
class EndedVersion:
    """An indexed version whose operation window is over."""

    notice_id: str
    version: int
    time_end: datetime
    agreement_id: str
    originator: str
    latest_version: int


class KeyInUse(Exception):
    """The party's Idempotency-Key was stored meanwhile by another transaction."""


@dataclass(frozen=True, slots=True)
class RememberedKey:
    """What an Idempotency-Key was first used for."""

    digest: str
    notice_id: str
    version: int


class NoticeStore:
    """Notices and notice versions on one connection."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    def get(self, notice_id: str, *, lock: bool = False) -> StoredNotice | None:
        """The notice; with `lock`, its row is held (on PostgreSQL) until commit."""
        query = sa.select(t.notices).where(n.id == notice_id)
        if lock and self._postgres:
            query = query.with_for_update()
        row = self._conn.execute(query).one_or_none()
        return None if row is None else _notice(row)

    def version(self, notice_id: str, version: int) -> StoredVersion:
        row = self._conn.execute(
            sa.select(t.notice_versions).where(v.notice_id == notice_id).where(v.version == version)
        ).one()
        return StoredVersion(
            notice_id=row.notice_id,
            version=row.version,
            kind=NoticeKind(row.kind),
            agreement_version=row.agreement_version,
            purpose=row.purpose,
            features=tuple(row.volumes),
            time_start=row.time_start,
            time_end=row.time_end,
            created_at=row.created_at,
            submitted_at=row.submitted_at,
        )

    def add(self, notice: StoredNotice) -> None:
        self._conn.execute(
            t.notices.insert().values(
                id=notice.id,
                agreement_id=notice.agreement_id,
                originator=notice.originator,
                latest_version=notice.latest_version,
                state=notice.state.value,
                created_at=notice.created_at,
            )
        )

    def add_version(
        self,
        notice_id: str,
        version: int,
        kind: NoticeKind,
        agreement_version: int,
        purpose: str,
        features: Sequence[Mapping[str, Any]],
        time_start: datetime,
        time_end: datetime,
        created_at: datetime,
    ) -> None:
        """Store a version (not yet indexed) and make it the notice's latest."""
        self._conn.execute(
            t.notice_versions.insert().values(
                notice_id=notice_id,
                version=version,
                kind=kind.value,
                agreement_version=agreement_version,
                purpose=purpose,
                volumes=list(features),
                time_start=time_start,
                time_end=time_end,
                created_at=created_at,
                indexed=False,
            )
        )
        if version > 1:
            self._conn.execute(
                sa.update(t.notices).where(n.id == notice_id).values(latest_version=version)
            )

    def set_state(self, notice_id: str, state: NoticeState) -> None:
        self._conn.execute(sa.update(t.notices).where(n.id == notice_id).values(state=state.value))

    def indexed_versions(self, notice_id: str) -> list[int]:
        """The versions of the notice that the strategic check sees."""
        return list(
            self._conn.execute(
                sa.select(v.version).where(v.notice_id == notice_id).where(v.indexed.is_(True))
            ).scalars()
        )

    def set_indexed(
        self, notice_id: str, version: int, indexed: bool, submitted_at: datetime | None = None
    ) -> None:
        """Put a version in or out of the check; `submitted_at` stamps it as submitted too."""
        values: dict[str, Any] = {"indexed": indexed}
        if submitted_at is not None:
            values["submitted_at"] = submitted_at
        self._conn.execute(
            sa.update(t.notice_versions)
            .where(v.notice_id == notice_id)
            .where(v.version == version)
            .values(values)
        )

    def ended(self, now: datetime, limit: int) -> list[EndedVersion]:
        """Indexed versions whose window ended by `now`, earliest end first."""
        rows = self._conn.execute(
            sa.select(
                v.notice_id, v.version, v.time_end, n.agreement_id, n.originator, n.latest_version
            )
            .join(t.notices, n.id == v.notice_id)
            .where(v.indexed.is_(True))
            .where(v.time_end <= now)
            .order_by(v.time_end)
            .limit(limit)
        )
        return [EndedVersion(*row) for row in rows]

    def page(
        self,
        party: str,
        *,
        own: bool,
        received: bool,
        state: NoticeState | None,
        after: str | None,
        limit: int,
    ) -> list[StoredNotice]:
        """Up to `limit` notices the party originated (`own`) or was disclosed (`received`),
        by id after `after`."""
        clauses = []
        if own:
            clauses.append(n.originator == party)
        if received:
            clauses.append(
                n.id.in_(
                    sa.select(t.disclosures.c.notice_id).where(t.disclosures.c.party_id == party)
                )
            )
        query = sa.select(t.notices).where(sa.or_(*clauses))
        if state is not None:
            query = query.where(n.state == state.value)
        if after:
            query = query.where(n.id > after)
        rows = self._conn.execute(query.order_by(n.id).limit(limit))
        return [_notice(row) for row in rows]

    def remembered(self, party: str, key: str) -> RememberedKey | None:
        k = t.idempotency_keys.c
        row = self._conn.execute(
            sa.select(k.digest, k.notice_id, k.version)
            .where(k.party_id == party)
            .where(k.key == key)
        ).one_or_none()
        return None if row is None else RememberedKey(*row)

    def remember(
        self, party: str, key: str, digest: str, notice_id: str, version: int, at: datetime
    ) -> None:
        """Store what the key names; KeyInUse if it was stored meanwhile (the transaction is
        then lost, and the caller replays what the key names)."""
        try:
            self._conn.execute(
                t.idempotency_keys.insert().values(
                    party_id=party,
                    key=key,
                    digest=digest,
                    notice_id=notice_id,
                    version=version,
                    created_at=at,
                )
            )
        except IntegrityError:
            raise KeyInUse(key) from None


def _notice(row: sa.Row[Any]) -> StoredNotice:
    return StoredNotice(
        id=row.id,
        agreement_id=row.agreement_id,
        originator=row.originator,
        latest_version=row.latest_version,
        state=NoticeState(row.state),
        created_at=row.created_at,
    )
