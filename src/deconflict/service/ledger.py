"""Use cases of the verifiable record: checkpoints, proofs, entries, cosignatures, self-check.

The log signs C2SP checkpoints with its Ed25519 key; each party's witness co-signs them with
its own co-signing key (key name = party id), so the record binds the service's clock to the
parties' clocks and a split view shown to one party is caught by the others.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime, timedelta

from deconflict.domain import KeyPurpose
from deconflict.domain.facts import Published
from deconflict.errors import DeconflictError, InvalidInput, NotFound
from deconflict.limits import is_id
from deconflict.log import (
    Checkpoint,
    Cosignature,
    CosignatureVerifier,
    add_cosignatures,
    leaf_hash,
    open_checkpoint,
    parse_entry,
    parse_signature_line,
    sign_checkpoint,
    verify_cosignature,
)
from deconflict.service.context import Context
from deconflict.service.log_check import MAX_COSIGNATURE_SKEW, LogProblem, check_log
from deconflict.service.visibility import Caller, audience_of, known_parties, require_party
from deconflict.storage.repositories import Repositories

__all__ = ["Ledger", "LogProblem"]


def _readable(repos: Repositories, reader: str | None, index: int) -> bytes | None:
    """Entry `index`, if `reader` may read it (anyone: None)."""
    found = repos.entries.readable(reader, index, 1)
    return found[0][1] if found and found[0][0] == index else None


class Ledger:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    @property
    def origin(self) -> str:
        return self._ctx.log_signer.name

    def verifier_key(self) -> str:
        """The log's public key in C2SP vkey form."""
        return self._ctx.log_signer.verifier().vkey()

    def size(self) -> int:
        with self._ctx.read() as repos:
            return repos.entries.size()

    def _checkpoint_due(self, repos: Repositories, now: datetime, force: bool) -> int | None:
        """The tree size to sign now, or None: the tree has not grown, or (unless forced) the
        last checkpoint is younger than `checkpoint_interval_s`."""
        size = repos.entries.size()
        last = repos.checkpoints.latest()
        if size == 0 or (last is not None and last.size >= size):
            return None
        interval = timedelta(seconds=self._ctx.checkpoint_interval_s)
        if not force and last is not None and now - last.created_at < interval:
            return None
        return size

    def publish_checkpoint(self, *, force: bool = False) -> str | None:
        """Sign a checkpoint of the current tree if one is due; the signed note, or None.

        The scheduler calls this every tick: a read decides first, so an idle log never takes
        the writer's lock; the decision is taken again inside the writing transaction."""
        with self._ctx.read() as repos:
            if self._checkpoint_due(repos, self._ctx.clock.now(), force) is None:
                return None
        with self._ctx.transaction() as tx:
            size = self._checkpoint_due(tx, tx.now, force)
            if size is None:
                return None
            root = tx.entries.tree(size).root(size)
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self._ctx.log_signer)
            tx.checkpoints.add(size, note, tx.now)
            return note

    def checkpoint(self, size: int | None = None) -> str:
        """The latest (or the given) signed checkpoint with every cosignature held for it."""
        with self._ctx.read() as repos:
            if size is None:
                latest = repos.checkpoints.latest()
                found = None if latest is None else (latest.size, latest.note)
            else:
                note = repos.checkpoints.note(size)
                found = None if note is None else (size, note)
            if found is None:
                raise NotFound(
                    "no checkpoint has been published" if size is None else "no such checkpoint"
                )
            lines = repos.checkpoints.lines(found[0])
        cosigs = [Cosignature.from_note_signature(parse_signature_line(line)) for line in lines]
        return add_cosignatures(found[1], cosigs)

    def cosigned_checkpoint(self, caller: Caller, party_id: str) -> str:
        """The newest checkpoint `party_id` co-signed, carrying that party's cosignature; only
        for a party the caller may know of (any other answers as one that co-signed nothing)."""
        with self._ctx.read() as repos:
            known = known_parties(repos, caller)
            if known is not None and party_id not in known:
                raise NotFound(f"party {party_id!r} has co-signed no checkpoint")
            size = repos.checkpoints.newest_cosigned(party_id) if is_id(party_id) else None
        if size is None:
            raise NotFound(f"party {party_id!r} has co-signed no checkpoint")
        return self.checkpoint(size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self._ctx.read() as repos:
            tree = repos.entries.tree()
            if size > tree.size():
                raise InvalidInput.at("/size", f"the log has only {tree.size()} entries")
            return tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        with self._ctx.read() as repos:
            tree = repos.entries.tree()
            if new_size > tree.size():
                raise InvalidInput.at("/new_size", f"the log has only {tree.size()} entries")
            return tree.consistency_proof(old_size, new_size)

    def entries(
        self, caller: Caller, *, start: int = 0, limit: int = 1000
    ) -> list[tuple[int, bytes]]:
        """Entries the caller may read (those that concern it; all for the admin), from `start`."""
        if not 1 <= limit <= 10_000:
            raise InvalidInput.at("/limit", "must be between 1 and 10000")
        with self._ctx.read() as repos:
            return repos.entries.readable(audience_of(caller), start, limit)

    def cited_entries(self, caller: Caller, index: int) -> list[tuple[int, bytes]]:
        """The entries that entry `index` (one the caller may read) cites by leaf hash, those the
        caller may read: a witness proves the notice entries a disclosure grants its party
        after it co-signed past them. Entries cite notice versions only."""
        reader = audience_of(caller)
        with self._ctx.read() as repos:
            citing = _readable(repos, reader, index)
            if citing is None:
                raise NotFound(f"entry {index} not found")
            entry = parse_entry(citing)
            notice_id = entry.body.get("notice_id")
            if not entry.refs or not isinstance(notice_id, str):
                return []
            return [
                (idx, raw)
                for idx, raw in repos.entries.of_notice(Published.entry_type, notice_id)
                if leaf_hash(raw).hex() in entry.refs and _readable(repos, reader, idx) is not None
            ]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes are public: salted, they reveal nothing about an entry."""
        with self._ctx.read() as repos:
            return repos.entries.leaf_hashes(start, end)

    def cosigning_verifiers(self) -> dict[str, list[CosignatureVerifier]]:
        """Every party's registered co-signing keys, as cosignature verifiers named by party id."""
        with self._ctx.read() as repos:
            keys = repos.parties.keys(KeyPurpose.COSIGN)
        found: dict[str, list[CosignatureVerifier]] = {}
        for party_id, key_b64 in keys:
            found.setdefault(party_id, []).append(
                CosignatureVerifier(party_id, base64.b64decode(key_b64))
            )
        return found

    def add_cosignature(self, caller: Caller, size: int, line: str) -> datetime:
        """Accept a party's cosignature of the checkpoint at `size`; returns its timestamp.

        Witnesses re-co-sign an unchanged checkpoint every round. Two are kept per (size, party),
        ordered by the party's own timestamps: the latest (served with the checkpoint, for
        freshness) and the first, never replaced by a later one (an earlier-stamped one that
        arrives late takes its place), so a proof bundle's bound "the entry was in a tree the
        party had verified by then" does not move later while the log idles. Cosignatures of
        one checkpoint queue on its row, so simultaneous ones cannot both find none stored."""
        party = require_party(caller)
        try:
            cosignature = Cosignature.from_note_signature(parse_signature_line(line.strip()))
            signed_at = cosignature.time
        except (DeconflictError, ValueError, OverflowError, OSError, binascii.Error) as exc:
            raise InvalidInput.at("/cosignature", f"not a cosignature line: {exc}") from None
        verifiers = self.cosigning_verifiers().get(party, [])
        if not verifiers:
            raise InvalidInput.at("/cosignature", f"party {party!r} has no co-signing key")
        with self._ctx.transaction() as tx:
            note = tx.checkpoints.note(size, lock=True)
            if note is None:
                raise InvalidInput.at("/size", f"no checkpoint of size {size}")
            checkpoint = open_checkpoint(note, self._ctx.log_signer.verifier()).checkpoint
            for verifier in verifiers:
                try:
                    verify_cosignature(checkpoint, cosignature, verifier)
                    break
                except DeconflictError:
                    continue
            else:
                raise InvalidInput.at(
                    "/cosignature", "does not verify under the party's co-signing keys"
                )
            if abs(signed_at - tx.now) > MAX_COSIGNATURE_SKEW:
                raise InvalidInput.at(
                    "/cosignature",
                    f"timestamp {signed_at.isoformat()} is more than "
                    f"{MAX_COSIGNATURE_SKEW} from the service clock",
                )
            stored = tx.checkpoints.cosignature(size, party)
            if stored is None:
                tx.checkpoints.add_cosignature(size, party, cosignature.line(), signed_at, tx.now)
            else:
                tx.checkpoints.replace_cosignature(
                    size,
                    party,
                    cosignature.line(),
                    signed_at,
                    tx.now,
                    latest=signed_at >= stored.timestamp,
                    first=signed_at < stored.first_timestamp,
                )
            return signed_at

    def verify(self, *, progress: Callable[[int, int], None] | None = None) -> list[LogProblem]:
        """Check every stored column of the log tables against the entries, the signed
        checkpoints and the cosignatures (`deconflict.service.log_check` says what each check
        covers, and what it cannot); every difference, located. `progress` is called with
        (entries checked, entries expected) as `check_log` says."""
        with self._ctx.read() as repos:
            return check_log(repos, self._ctx.log_signer.verifier(), progress=progress)
