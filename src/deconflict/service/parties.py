"""Use cases for parties: who they are, their tokens and their public keys."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from deconflict.domain import KeyPurpose, Party
from deconflict.domain.facts import KeyAdded, PartyAdded, TokenRevoked, TokenRotated
from deconflict.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from deconflict.limits import MAX_NAME_CHARS, is_id, require_id, text_problem
from deconflict.service.context import Context
from deconflict.service.visibility import (
    ADMIN,
    Caller,
    known_parties,
    may_manage_party,
    require_admin,
)
from deconflict.storage.repositories import Repositories

__all__ = ["MIN_ADMIN_TOKEN_CHARS", "Parties", "hash_token", "new_token"]

ADMIN_DIGEST_SETTING = "admin_token_sha256"
MIN_ADMIN_TOKEN_CHARS = 16


def new_token() -> str:
    """A 256-bit random bearer token."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are high-entropy, so a fast hash is enough to keep them unusable if the DB leaks."""
    return hashlib.sha256(token.encode()).hexdigest()


def _party(repos: Repositories, party_id: str) -> Party:
    """The party, or NotFound; an id no party can have (e.g. holding NUL, which PostgreSQL
    refuses in text) is not looked up."""
    party = repos.parties.get(party_id) if is_id(party_id) else None
    if party is None:
        raise NotFound(f"party {party_id!r} not found")
    return party


class Parties:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def set_admin_token(self, token: str) -> None:
        """Make `token` the admin's (as `serve --admin-token` does at each start). The first
        admin token is set-up; replacing one with another is a change, and is recorded."""
        if len(token) < MIN_ADMIN_TOKEN_CHARS:
            raise ValueError(
                f"the admin token must have at least {MIN_ADMIN_TOKEN_CHARS} characters"
            )
        digest = hash_token(token)
        with self._ctx.transaction() as tx:
            before = tx.settings.get(ADMIN_DIGEST_SETTING)
            if before == digest:
                return
            tx.settings.put(ADMIN_DIGEST_SETTING, digest)
            if before is not None:
                tx.record(TokenRotated(None, None))

    def rotate_admin_token(self, caller: Caller) -> str:
        """A new admin token, shown only this once; the caller's stops working at once."""
        require_admin(caller)
        token = new_token()
        with self._ctx.transaction() as tx:
            tx.settings.put(ADMIN_DIGEST_SETTING, hash_token(token))
            tx.record(TokenRotated(None, None))
        return token

    def rotate_token(self, caller: Caller, party_id: str) -> str:
        """A new token for the party (by the admin or the party itself), shown only this once.
        The old one stops working at once; a revoked party is live again (only the admin can
        reach one)."""
        if not may_manage_party(caller, party_id):
            raise Forbidden("only the admin or the party itself may rotate its token")
        token = new_token()
        with self._ctx.transaction() as tx:
            _party(tx, party_id)
            tx.parties.set_token(party_id, hash_token(token))
            tx.record(TokenRotated(party_id, caller.party_id))
        return token

    def revoke_token(self, caller: Caller, party_id: str) -> None:
        """Stop the party's token from authenticating (admin only) until a new one is issued.
        Revoking a revoked token changes nothing and records nothing."""
        require_admin(caller)
        with self._ctx.transaction() as tx:
            _party(tx, party_id)
            if tx.parties.revoke_token(party_id, tx.now):
                tx.record(TokenRevoked(party_id))

    def authenticate(self, token: str) -> Caller:
        """The caller a bearer token belongs to."""
        digest = hash_token(token)
        with self._ctx.read() as repos:
            admin = repos.settings.get(ADMIN_DIGEST_SETTING)
            if admin is not None and admin == digest:
                return ADMIN
            party_id = repos.parties.by_token(digest)
        if party_id is None:
            raise Unauthorized("unknown or revoked token")
        self._ctx.heard_from(party_id)
        return Caller(party_id)

    def add(self, caller: Caller, name: str, *, party_id: str | None = None) -> tuple[Party, str]:
        """A new party and its bearer token, which is shown only this once."""
        require_admin(caller)
        problem = text_problem(name, MAX_NAME_CHARS) if name.strip() else "must not be empty"
        if problem is not None:
            raise InvalidInput.at("/name", problem)
        if party_id is not None:
            require_id(party_id, "/id")
        token = new_token()
        with self._ctx.transaction() as tx:
            party_id = party_id or tx.new_id("pty")
            if tx.parties.get(party_id) is not None:
                raise Conflict(f"party {party_id!r} already exists", party_id=party_id)
            tx.parties.add(party_id, name.strip(), hash_token(token), tx.now)
            tx.record(PartyAdded(party_id, name.strip()))
            return _party(tx, party_id), token

    def add_key(self, caller: Caller, party_id: str, purpose: KeyPurpose, key_b64: str) -> Party:
        """Register an Ed25519 public key (32 bytes, base64) for acknowledgements or co-signing."""
        if not may_manage_party(caller, party_id):
            raise NotFound(f"party {party_id!r} not found")
        try:
            raw = base64.b64decode(key_b64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput.at("/key", "must be base64") from None
        if len(raw) != 32:
            raise InvalidInput.at("/key", f"an Ed25519 public key has 32 bytes, not {len(raw)}")
        with self._ctx.transaction() as tx:
            _party(tx, party_id)
            if not tx.parties.has_key(party_id, purpose, key_b64):
                tx.parties.add_key(party_id, purpose, key_b64, tx.now)
                tx.record(KeyAdded(party_id, purpose, key_b64, caller.party_id))
            return _party(tx, party_id)

    def list_all(self, caller: Caller) -> list[Party]:
        """The parties the caller may know of, with their names and public keys."""
        with self._ctx.read() as repos:
            known = known_parties(repos, caller)
            return [
                _party(repos, party_id)
                for party_id in repos.parties.ids()
                if known is None or party_id in known
            ]

    def get(self, caller: Caller, party_id: str) -> Party:
        """One party the caller may know of; any other is NotFound, as one that does not exist."""
        with self._ctx.read() as repos:
            known = known_parties(repos, caller)
            if known is not None and party_id not in known:
                raise NotFound(f"party {party_id!r} not found")
            return _party(repos, party_id)
