"""Use cases of the verifiable record: checkpoints, proofs, entries, cosignatures, self-check.

The log signs C2SP checkpoints with its Ed25519 key; each party's witness co-signs them with
its own co-signing key (key name = party id), so the record binds the service's clock to the
parties' clocks and a split view shown to one party is caught by the others.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from deconflict.domain import KeyPurpose
from deconflict.errors import DeconflictError, InvalidInput, NotFound
from deconflict.log import (
    Checkpoint,
    Cosignature,
    CosignatureVerifier,
    Ed25519Signer,
    MemoryNodeStore,
    MerkleTree,
    add_cosignatures,
    leaf_hash,
    open_checkpoint,
    parse_signature_line,
    sign_checkpoint,
    verify_cosignature,
)
from deconflict.service.base import Caller, ServiceBase
from deconflict.storage import tables as t
from deconflict.storage.lognodes import SqlNodeStore

__all__ = ["LedgerUseCases", "LogProblem"]

MAX_COSIGNATURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class LogProblem:
    """One thing `verify_log` found wrong, located by leaf index, node or checkpoint size."""

    where: str
    detail: str


class LedgerUseCases(ServiceBase):
    log_origin: str
    _log_signer: Ed25519Signer
    checkpoint_interval_s: float

    def log_verifier_key(self) -> str:
        """The log's public key in C2SP vkey form."""
        return self._log_signer.verifier().vkey()

    def log_size(self) -> int:
        with self._engine.connect() as conn:
            return SqlNodeStore(conn).size()

    def _checkpoint_due(self, conn: sa.Connection, now: datetime, force: bool) -> int | None:
        """The tree size to sign now, or None: the tree has not grown, or (unless forced) the
        last checkpoint is younger than `checkpoint_interval_s`."""
        size = SqlNodeStore(conn).size()
        last = conn.execute(
            sa.select(t.checkpoints.c.size, t.checkpoints.c.created_at)
            .order_by(t.checkpoints.c.size.desc())
            .limit(1)
        ).one_or_none()
        if size == 0 or (last is not None and last.size >= size):
            return None
        interval = timedelta(seconds=self.checkpoint_interval_s)
        if not force and last is not None and now - last.created_at < interval:
            return None
        return size

    def publish_checkpoint(self, *, force: bool = False) -> str | None:
        """Sign a checkpoint of the current tree if one is due; the signed note, or None.

        The scheduler calls this every tick: a read decides first, so an idle log never takes
        the writer's lock; the decision is taken again inside the writing transaction."""
        with self._engine.connect() as conn:
            if self._checkpoint_due(conn, self.clock.now(), force) is None:
                return None
        with self._tx() as tx:
            size = self._checkpoint_due(tx.conn, tx.now, force)
            if size is None:
                return None
            root = MerkleTree(SqlNodeStore(tx.conn, size)).root(size)
            note = sign_checkpoint(Checkpoint(self.log_origin, size, root), self._log_signer)
            tx.conn.execute(
                t.checkpoints.insert().values(size=size, root=root, note=note, created_at=tx.now)
            )
            return note

    def log_checkpoint(self, size: int | None = None) -> str:
        """The latest (or the given) signed checkpoint with every cosignature held for it."""
        with self._engine.connect() as conn:
            query = sa.select(t.checkpoints.c.size, t.checkpoints.c.note)
            if size is None:
                query = query.order_by(t.checkpoints.c.size.desc()).limit(1)
            else:
                query = query.where(t.checkpoints.c.size == size)
            row = conn.execute(query).one_or_none()
            if row is None:
                raise NotFound(
                    "no checkpoint has been published" if size is None else "no such checkpoint"
                )
            lines = conn.execute(
                sa.select(t.cosignatures.c.line)
                .where(t.cosignatures.c.size == row.size)
                .order_by(t.cosignatures.c.party_id)
            ).scalars()
            cosigs = [Cosignature.from_note_signature(parse_signature_line(line)) for line in lines]
        return add_cosignatures(row.note, cosigs)

    def cosigned_checkpoint(self, caller: Caller, party_id: str) -> str:
        """The newest checkpoint `party_id` co-signed, carrying that party's cosignature."""
        with self._engine.connect() as conn:
            size = conn.execute(
                sa.select(sa.func.max(t.cosignatures.c.size)).where(
                    t.cosignatures.c.party_id == party_id
                )
            ).scalar_one()
        if size is None:
            raise NotFound(f"party {party_id!r} has co-signed no checkpoint")
        return self.log_checkpoint(size)

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self._engine.connect() as conn:
            tree = MerkleTree(SqlNodeStore(conn))
            if size > tree.size():
                raise InvalidInput.at("/size", f"the log has only {tree.size()} entries")
            return tree.inclusion_proof(index, size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        with self._engine.connect() as conn:
            tree = MerkleTree(SqlNodeStore(conn))
            if new_size > tree.size():
                raise InvalidInput.at("/new_size", f"the log has only {tree.size()} entries")
            return tree.consistency_proof(old_size, new_size)

    def log_entries(
        self, caller: Caller, *, start: int = 0, limit: int = 1000
    ) -> list[tuple[int, bytes]]:
        """Entries the caller may read (those that concern it; all for the admin), from `start`.

        A party's page walks its own `log_entry_parties` rows from `start` by primary key and
        joins the entries: the cost is the page, not every entry the party was ever shown."""
        if not 1 <= limit <= 10_000:
            raise InvalidInput.at("/limit", "must be between 1 and 10000")
        e, p = t.log_entries.c, t.log_entry_parties.c
        if caller.party_id is None:
            query = sa.select(e.idx, e.entry).where(e.idx >= start).order_by(e.idx)
        else:
            query = (
                sa.select(p.idx, e.entry)
                .join_from(t.log_entry_parties, t.log_entries, p.idx == e.idx)
                .where(p.party_id == caller.party_id)
                .where(p.idx >= start)
                .order_by(p.idx)
            )
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [(int(idx), bytes(entry)) for idx, entry in rows]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes are public: salted, they reveal nothing about an entry."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.log_entries.c.leaf_hash)
                .where(t.log_entries.c.idx >= start)
                .where(t.log_entries.c.idx < end)
                .order_by(t.log_entries.c.idx)
            ).scalars()
            return [bytes(h) for h in rows]

    def cosigning_verifiers(self) -> dict[str, list[CosignatureVerifier]]:
        """Every party's registered co-signing keys, as cosignature verifiers named by party id."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(t.party_keys.c.party_id, t.party_keys.c.key_b64).where(
                    t.party_keys.c.purpose == KeyPurpose.COSIGN.value
                )
            ).all()
        found: dict[str, list[CosignatureVerifier]] = {}
        for party_id, key_b64 in rows:
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
        party = self._require_party(caller)
        try:
            cosignature = Cosignature.from_note_signature(parse_signature_line(line.strip()))
        except (DeconflictError, ValueError, binascii.Error) as exc:
            raise InvalidInput.at("/cosignature", f"not a cosignature line: {exc}") from None
        verifiers = self.cosigning_verifiers().get(party, [])
        if not verifiers:
            raise InvalidInput.at("/cosignature", f"party {party!r} has no co-signing key")
        with self._tx() as tx:
            note = tx.conn.execute(
                sa.select(t.checkpoints.c.note)
                .where(t.checkpoints.c.size == size)
                .with_for_update()
            ).scalar_one_or_none()
            if note is None:
                raise InvalidInput.at("/size", f"no checkpoint of size {size}")
            checkpoint = open_checkpoint(note, self._log_signer.verifier()).checkpoint
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
            if abs(cosignature.time - tx.now) > MAX_COSIGNATURE_SKEW:
                raise InvalidInput.at(
                    "/cosignature",
                    f"timestamp {cosignature.time.isoformat()} is more than "
                    f"{MAX_COSIGNATURE_SKEW} from the service clock",
                )
            c = t.cosignatures.c
            stored = tx.conn.execute(
                sa.select(c.timestamp, c.first_timestamp)
                .where(c.size == size)
                .where(c.party_id == party)
            ).one_or_none()
            latest = {"line": cosignature.line(), "timestamp": cosignature.time}
            first = {"first_line": cosignature.line(), "first_timestamp": cosignature.time}
            if stored is None:
                tx.conn.execute(
                    t.cosignatures.insert().values(
                        size=size,
                        party_id=party,
                        received_at=tx.now,
                        first_received_at=tx.now,
                        **latest,
                        **first,
                    )
                )
                return cosignature.time
            changes: dict[str, object] = {}
            if cosignature.time >= stored.timestamp:
                changes |= latest | {"received_at": tx.now}
            if cosignature.time < stored.first_timestamp:
                changes |= first | {"first_received_at": tx.now}
            if changes:
                tx.conn.execute(
                    t.cosignatures.update()
                    .where(c.size == size)
                    .where(c.party_id == party)
                    .values(changes)
                )
            return cosignature.time

    def verify_log(self) -> list[LogProblem]:
        """Recompute the whole tree from the stored entries and compare it with the stored
        leaf hashes, nodes and signed checkpoints; every difference, located."""
        problems: list[LogProblem] = []
        tree = MerkleTree(MemoryNodeStore())
        with self._engine.connect() as conn:
            stored_size = SqlNodeStore(conn).size()
            expected = 0
            batch: list[bytes] = []
            for idx, entry, stored_hash in conn.execute(
                sa.select(t.log_entries.c.idx, t.log_entries.c.entry, t.log_entries.c.leaf_hash)
                .order_by(t.log_entries.c.idx)
                .execution_options(yield_per=10_000)
            ):
                while expected < idx:
                    problems.append(LogProblem(f"entry {expected}", "missing"))
                    expected += 1
                computed = leaf_hash(bytes(entry))
                if computed != bytes(stored_hash):
                    problems.append(
                        LogProblem(f"entry {idx}", "content does not match its leaf hash")
                    )
                batch.append(computed)
                if len(batch) == 10_000:
                    tree.append(batch)
                    batch = []
                expected = idx + 1
            tree.append(batch)
            if expected != stored_size:
                problems.append(
                    LogProblem("log", f"{expected} entries stored, head says {stored_size}")
                )
            recomputed = tree.store
            for level, idx, node in conn.execute(
                sa.select(t.log_nodes.c.level, t.log_nodes.c.idx, t.log_nodes.c.hash)
                .order_by(t.log_nodes.c.level, t.log_nodes.c.idx)
                .execution_options(yield_per=10_000)
            ):
                try:
                    (want,) = recomputed.get_many([(level, idx)])
                except KeyError:
                    problems.append(LogProblem(f"node {level}/{idx}", "beyond the entries"))
                    continue
                if want != bytes(node):
                    problems.append(LogProblem(f"node {level}/{idx}", "hash differs"))
            verifier = self._log_signer.verifier()
            for size, note in conn.execute(
                sa.select(t.checkpoints.c.size, t.checkpoints.c.note).order_by(t.checkpoints.c.size)
            ):
                try:
                    checkpoint = open_checkpoint(note, verifier, origin=self.log_origin).checkpoint
                except DeconflictError as exc:
                    problems.append(LogProblem(f"checkpoint {size}", f"signature: {exc}"))
                    continue
                if checkpoint.size != size or size > tree.size():
                    problems.append(LogProblem(f"checkpoint {size}", "size does not match"))
                elif checkpoint.root != tree.root(size):
                    problems.append(
                        LogProblem(f"checkpoint {size}", "signed root differs from the entries")
                    )
        return problems
