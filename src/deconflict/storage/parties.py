"""Stored parties, their token digests (and whether revoked) and their public keys."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa

from deconflict.domain import KeyPurpose, Party, PublicKey
from deconflict.storage import tables as t

__all__ = ["PartyStore"]


class PartyStore:
    """Parties on one connection."""

    def __init__(self, conn: sa.Connection) -> None:
        self._conn = conn

    def get(self, party_id: str) -> Party | None:
        row = self._conn.execute(
            sa.select(t.parties.c.id, t.parties.c.name).where(t.parties.c.id == party_id)
        ).one_or_none()
        if row is None:
            return None
        keys = self._conn.execute(
            sa.select(t.party_keys.c.purpose, t.party_keys.c.key_b64, t.party_keys.c.added_at)
            .where(t.party_keys.c.party_id == party_id)
            .order_by(t.party_keys.c.id)
        ).all()
        return Party(
            row.id,
            row.name,
            tuple(PublicKey(KeyPurpose(purpose), key, added) for purpose, key, added in keys),
        )

    def ids(self) -> list[str]:
        return list(
            self._conn.execute(sa.select(t.parties.c.id).order_by(t.parties.c.id)).scalars()
        )

    def existing(self, party_ids: Collection[str]) -> set[str]:
        """Those of `party_ids` that are parties."""
        return set(
            self._conn.execute(
                sa.select(t.parties.c.id).where(t.parties.c.id.in_(list(party_ids)))
            ).scalars()
        )

    def add(self, party_id: str, name: str, token_sha256: str, created_at: datetime) -> None:
        self._conn.execute(
            t.parties.insert().values(
                id=party_id, name=name, token_sha256=token_sha256, created_at=created_at
            )
        )

    def by_token(self, token_sha256: str) -> str | None:
        """The party whose token has this digest, unless that token was revoked."""
        return self._conn.execute(
            sa.select(t.parties.c.id)
            .where(t.parties.c.token_sha256 == token_sha256)
            .where(t.parties.c.token_revoked_at.is_(None))
        ).scalar_one_or_none()

    def set_token(self, party_id: str, token_sha256: str) -> None:
        """Replace the party's token digest; a revoked party is live again."""
        self._conn.execute(
            sa.update(t.parties)
            .where(t.parties.c.id == party_id)
            .values(token_sha256=token_sha256, token_revoked_at=None)
        )

    def revoke_token(self, party_id: str, at: datetime) -> bool:
        """Stop the party's token from authenticating; False if it was already revoked."""
        result = self._conn.execute(
            sa.update(t.parties)
            .where(t.parties.c.id == party_id)
            .where(t.parties.c.token_revoked_at.is_(None))
            .values(token_revoked_at=at)
        )
        return result.rowcount == 1

    def has_key(self, party_id: str, purpose: KeyPurpose, key_b64: str) -> bool:
        return (
            self._conn.execute(
                sa.select(t.party_keys.c.id)
                .where(t.party_keys.c.party_id == party_id)
                .where(t.party_keys.c.purpose == purpose.value)
                .where(t.party_keys.c.key_b64 == key_b64)
            ).first()
            is not None
        )

    def add_key(self, party_id: str, purpose: KeyPurpose, key_b64: str, at: datetime) -> None:
        self._conn.execute(
            t.party_keys.insert().values(
                party_id=party_id, purpose=purpose.value, key_b64=key_b64, added_at=at
            )
        )

    def keys(self, purpose: KeyPurpose, party_id: str | None = None) -> list[tuple[str, str]]:
        """(party id, base64 key) of every registered key for `purpose`, or one party's."""
        query = sa.select(t.party_keys.c.party_id, t.party_keys.c.key_b64).where(
            t.party_keys.c.purpose == purpose.value
        )
        if party_id is not None:
            query = query.where(t.party_keys.c.party_id == party_id)
        return [(p, k) for p, k in self._conn.execute(query)]
