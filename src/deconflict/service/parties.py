"""Use cases for parties: who they are, their tokens and their public keys."""

from __future__ import annotations

import base64
import binascii
import re

import sqlalchemy as sa

from deconflict.domain import KeyPurpose, Party
from deconflict.errors import Conflict, InvalidInput, NotFound, Unauthorized
from deconflict.service.base import ADMIN, Caller, ServiceBase, hash_token, new_token
from deconflict.service.records import load_party
from deconflict.storage import tables as t

__all__ = ["PartyUseCases"]

PARTY_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class PartyUseCases(ServiceBase):
    def authenticate(self, token: str) -> Caller:
        """The caller a bearer token belongs to."""
        digest = hash_token(token)
        with self._engine.connect() as conn:
            admin = conn.execute(
                sa.select(t.settings.c.value).where(t.settings.c.key == "admin_token_sha256")
            ).scalar_one_or_none()
            if admin is not None and admin == digest:
                return ADMIN
            party_id = conn.execute(
                sa.select(t.parties.c.id).where(t.parties.c.token_sha256 == digest)
            ).scalar_one_or_none()
        if party_id is None:
            raise Unauthorized("unknown or revoked token")
        return Caller(party_id)

    def add_party(
        self, caller: Caller, name: str, *, party_id: str | None = None
    ) -> tuple[Party, str]:
        """A new party and its bearer token, which is shown only this once."""
        self._require_admin(caller)
        if not name.strip() or len(name) > 200:
            raise InvalidInput.at("/name", "must be 1 to 200 characters")
        if party_id is not None and not PARTY_ID.match(party_id):
            raise InvalidInput.at(
                "/id", "must be lower-case letters, digits, '-' or '_', at most 64"
            )
        token = new_token()
        with self._tx() as tx:
            party_id = party_id or self._new_id("pty", tx)
            exists = tx.conn.execute(
                sa.select(t.parties.c.id).where(t.parties.c.id == party_id)
            ).first()
            if exists:
                raise Conflict(f"party {party_id!r} already exists", party_id=party_id)
            tx.conn.execute(
                t.parties.insert().values(
                    id=party_id,
                    name=name.strip(),
                    token_sha256=hash_token(token),
                    created_at=tx.now,
                )
            )
            self._log(
                tx, "party.added", None, {"party_id": party_id, "name": name.strip()}, [party_id]
            )
            return load_party(tx.conn, party_id), token

    def add_key(self, caller: Caller, party_id: str, purpose: KeyPurpose, key_b64: str) -> Party:
        """Register an Ed25519 public key (32 bytes, base64) for acknowledgements or co-signing."""
        if not caller.is_admin and caller.party_id != party_id:
            raise NotFound(f"party {party_id!r} not found")
        try:
            raw = base64.b64decode(key_b64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.at("/key", "must be base64") from None
        if len(raw) != 32:
            raise InvalidInput.at("/key", f"an Ed25519 public key has 32 bytes, not {len(raw)}")
        with self._tx() as tx:
            load_party(tx.conn, party_id)
            duplicate = tx.conn.execute(
                sa.select(t.party_keys.c.id)
                .where(t.party_keys.c.party_id == party_id)
                .where(t.party_keys.c.purpose == purpose.value)
                .where(t.party_keys.c.key_b64 == key_b64)
            ).first()
            if duplicate is None:
                tx.conn.execute(
                    t.party_keys.insert().values(
                        party_id=party_id, purpose=purpose.value, key_b64=key_b64, added_at=tx.now
                    )
                )
                self._log(
                    tx,
                    "party.key",
                    caller.party_id,
                    {"party_id": party_id, "purpose": purpose.value, "key": key_b64},
                    [party_id],
                )
            return load_party(tx.conn, party_id)

    def list_parties(self, caller: Caller) -> list[Party]:
        """Every party: names and public keys are known to all members of the mechanism."""
        with self._engine.connect() as conn:
            ids = conn.execute(sa.select(t.parties.c.id).order_by(t.parties.c.id)).scalars().all()
            return [load_party(conn, party_id) for party_id in ids]

    def get_party(self, caller: Caller, party_id: str) -> Party:
        with self._engine.connect() as conn:
            return load_party(conn, party_id)
