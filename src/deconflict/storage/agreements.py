"""Stored agreements: their versions' terms, their members, and each one's change sequence."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from deconflict.domain import Agreement, AgreementTerms
from deconflict.storage import tables as t

__all__ = ["AgreementHead", "AgreementStore"]


@dataclass(frozen=True, slots=True)
class AgreementHead:
    """An agreement's current version and how many index changes it has logged."""

    current_version: int
    seq: int


class AgreementStore:
    """Agreements on one connection."""

    def __init__(self, conn: sa.Connection, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres

    def head(self, agreement_id: str, *, lock: bool = False) -> AgreementHead | None:
        """The agreement's head row; with `lock`, held (on PostgreSQL) until commit."""
        query = sa.select(t.agreements.c.current_version, t.agreements.c.seq).where(
            t.agreements.c.id == agreement_id
        )
        if lock and self._postgres:
            query = query.with_for_update()
        row = self._conn.execute(query).one_or_none()
        return None if row is None else AgreementHead(row.current_version, row.seq)

    def ids(self) -> list[str]:
        return list(
            self._conn.execute(sa.select(t.agreements.c.id).order_by(t.agreements.c.id)).scalars()
        )

    def terms(self, agreement_id: str, version: int) -> AgreementTerms:
        data = self._conn.execute(
            sa.select(t.agreement_versions.c.terms)
            .where(t.agreement_versions.c.agreement_id == agreement_id)
            .where(t.agreement_versions.c.version == version)
        ).scalar_one()
        return AgreementTerms.from_dict(data)

    def get(self, agreement_id: str, version: int | None = None) -> Agreement | None:
        """One version of the agreement, the current one by default."""
        v = t.agreement_versions.c
        query = sa.select(v.agreement_id, v.version, v.terms, v.created_at).where(
            v.agreement_id == agreement_id
        )
        if version is None:
            query = query.join(
                t.agreements,
                (t.agreements.c.id == v.agreement_id)
                & (t.agreements.c.current_version == v.version),
            )
        else:
            query = query.where(v.version == version)
        row = self._conn.execute(query).one_or_none()
        if row is None:
            return None
        return Agreement(
            row.agreement_id, row.version, AgreementTerms.from_dict(row.terms), row.created_at
        )

    def add(self, agreement_id: str, created_at: datetime) -> None:
        self._conn.execute(
            t.agreements.insert().values(
                id=agreement_id, current_version=1, seq=0, created_at=created_at
            )
        )

    def add_version(
        self, agreement_id: str, version: int, terms: AgreementTerms, created_at: datetime
    ) -> None:
        """Store a version's terms and members, and make it current."""
        self._conn.execute(
            t.agreement_versions.insert().values(
                agreement_id=agreement_id,
                version=version,
                terms=terms.as_dict(),
                created_at=created_at,
            )
        )
        self._conn.execute(
            t.agreement_members.insert(),
            [
                {"agreement_id": agreement_id, "version": version, "party_id": p}
                for p in terms.members
            ],
        )
        if version > 1:
            self._conn.execute(
                sa.update(t.agreements)
                .where(t.agreements.c.id == agreement_id)
                .values(current_version=version)
            )

    def members(self, agreement_id: str) -> list[str]:
        """The members of the agreement's current version."""
        return list(
            self._conn.execute(
                sa.select(t.agreement_members.c.party_id)
                .join(t.agreements, t.agreements.c.id == t.agreement_members.c.agreement_id)
                .where(t.agreement_members.c.agreement_id == agreement_id)
                .where(t.agreement_members.c.version == t.agreements.c.current_version)
                .order_by(t.agreement_members.c.party_id)
            ).scalars()
        )

    def of_member(self, party_id: str) -> list[str]:
        """Agreements whose current version lists the party."""
        return list(
            self._conn.execute(
                sa.select(t.agreement_members.c.agreement_id)
                .join(t.agreements, t.agreements.c.id == t.agreement_members.c.agreement_id)
                .where(t.agreement_members.c.party_id == party_id)
                .where(t.agreement_members.c.version == t.agreements.c.current_version)
                .order_by(t.agreement_members.c.agreement_id)
            ).scalars()
        )

    def partners(self, party_id: str) -> set[str]:
        """The party and everyone it shares an agreement with."""
        found = {party_id}
        for agreement_id in self.of_member(party_id):
            found.update(self.members(agreement_id))
        return found
