"""Exporting an offline proof bundle for one notice from the stored log.

Everything is read on one connection: the latest checkpoint, the notice's entries, the
`party.key` entries of the keys involved, and the checkpoints each involved party co-signed just
before and just after each entry. A `before` checkpoint carries each party's latest cosignature
of it and an `after` checkpoint its first, the tightest true bounds (`deconflict.log.bundle`
says why); a size that is both goes in twice. Proofs come from the stored tree, so export stays
fast however long the log is. The format and its verification are `deconflict.log.bundle`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from deconflict.errors import Conflict, NotFound
from deconflict.evidence import Bracket, CosignedCheckpoint, ProvenEntry, make_bundle
from deconflict.log import (
    Cosignature,
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    MerkleTree,
    add_cosignatures,
    parse_entry,
    parse_signature_line,
)
from deconflict.service.base import ServiceBase
from deconflict.storage import tables as t
from deconflict.storage.lognodes import SqlNodeStore

__all__ = ["BundleUseCases"]


class BundleUseCases(ServiceBase):
    _log_signer: Ed25519Signer
    checkpoint_interval_s: float

    def export_bundle(self, notice_id: str) -> dict[str, Any]:
        """The proof bundle of `notice_id` against the latest checkpoint (JSON-ready)."""
        with self._engine.connect() as conn:
            head = conn.execute(
                sa.select(t.checkpoints.c.size, t.checkpoints.c.note)
                .order_by(t.checkpoints.c.size.desc())
                .limit(1)
            ).one_or_none()
            if head is None:
                raise Conflict("no checkpoint has been published yet")
            size = int(head.size)
            indices = _notice_indices(conn, notice_id)
            if not indices:
                raise NotFound(f"notice {notice_id!r} has no entry in the log")
            if indices[-1] >= size:
                raise Conflict(
                    f"entry {indices[-1]} of notice {notice_id!r} is newer than the latest "
                    f"checkpoint (size {size}); export again after the next checkpoint, due within "
                    f"{self.checkpoint_interval_s:g} s",
                    latest_checkpoint_size=size,
                )
            parties = set(
                conn.execute(
                    sa.select(t.log_entry_parties.c.party_id).where(
                        t.log_entry_parties.c.idx.in_(indices)
                    )
                ).scalars()
            )
            keys = _registered_keys(conn, parties, size)
            tree = MerkleTree(SqlNodeStore(conn))
            raw = dict(
                conn.execute(
                    sa.select(t.log_entries.c.idx, t.log_entries.c.entry).where(
                        t.log_entries.c.idx.in_(indices + sorted(keys))
                    )
                ).all()
            )
            entries = [
                ProvenEntry(idx, bytes(raw[idx]), tuple(tree.inclusion_proof(idx, size)))
                for idx in sorted(raw)
            ]
            witnesses = sorted(
                {
                    CosignatureVerifier(p, k)
                    for p, purpose, k in keys.values()
                    if purpose == "cosign"
                },
                key=lambda w: (w.name, w.key_id),
            )
            acks = sorted(
                {Ed25519Verifier(p, k) for p, purpose, k in keys.values() if purpose == "ack"},
                key=lambda v: (v.name, v.key_id),
            )
            witness_ids = {(w.name, w.key_id) for w in witnesses}
            witness_parties = sorted({w.name for w in witnesses})
            brackets = [
                _bracket(conn, party, idx, size) for idx in indices for party in witness_parties
            ]
            brackets = [b for b in brackets if b.before is not None or b.after is not None]
            checkpoint = _cosigned_note(conn, size, witness_ids, first=False)
            befores = {b.before for b in brackets if b.before is not None}
            afters = {b.after for b in brackets if b.after is not None}
            cosigned: list[CosignedCheckpoint] = []
            for old in sorted(befores | afters):
                notes = [
                    _cosigned_note(conn, old, witness_ids, first=first)
                    for first, wanted in ((False, befores), (True, afters))
                    if old in wanted
                ]
                proof = tuple(tree.consistency_proof(old, size))
                cosigned.extend(
                    CosignedCheckpoint(note, proof)
                    for note in dict.fromkeys(notes)
                    if note != checkpoint
                )
        return make_bundle(
            notice_id,
            self._log_signer.verifier().vkey(),
            [w.vkey() for w in witnesses],
            [v.vkey() for v in acks],
            checkpoint,
            entries,
            cosigned,
            brackets,
        )


def _notice_indices(conn: sa.Connection, notice_id: str) -> list[int]:
    """Entries about the notice: those filed under it, and conflicts other notices had with it."""
    found = set(
        conn.execute(
            sa.select(t.log_entries.c.idx).where(t.log_entries.c.notice_id == notice_id)
        ).scalars()
    )
    others = conn.execute(
        sa.select(t.conflicts.c.notice_id, t.conflicts.c.version)
        .where(t.conflicts.c.other_kind == "notice")
        .where(t.conflicts.c.other_id == notice_id)
        .distinct()
    ).all()
    for other_id, version in others:
        for idx, entry in conn.execute(
            sa.select(t.log_entries.c.idx, t.log_entries.c.entry)
            .where(t.log_entries.c.type == "conflict")
            .where(t.log_entries.c.notice_id == other_id)
            .where(t.log_entries.c.version == version)
        ):
            if parse_entry(bytes(entry)).body.get("other_id") == notice_id:
                found.add(int(idx))
    return sorted(found)


def _registered_keys(
    conn: sa.Connection, parties: Iterable[str], size: int
) -> dict[int, tuple[str, str, bytes]]:
    """The parties' keys, by the index of the `party.key` entry that registered each (only those
    inside the tree of `size`, so the bundle can prove them)."""
    wanted = set(parties)
    keys: dict[int, tuple[str, str, bytes]] = {}
    for idx, entry in conn.execute(
        sa.select(t.log_entries.c.idx, t.log_entries.c.entry)
        .where(t.log_entries.c.type == "party.key")
        .where(t.log_entries.c.idx < size)
    ):
        body = parse_entry(bytes(entry)).body
        if body.get("party_id") in wanted:
            key = base64.b64decode(str(body["key"]))
            keys[int(idx)] = (str(body["party_id"]), str(body["purpose"]), key)
    return keys


def _bracket(conn: sa.Connection, party: str, idx: int, size: int) -> Bracket:
    """The last checkpoint `party` co-signed without entry `idx` and the first with it."""
    c = t.cosignatures.c
    before = conn.execute(
        sa.select(sa.func.max(c.size)).where(c.party_id == party).where(c.size <= idx)
    ).scalar_one()
    after = conn.execute(
        sa.select(sa.func.min(c.size))
        .where(c.party_id == party)
        .where(c.size > idx)
        .where(c.size <= size)
    ).scalar_one()
    return Bracket(
        party, idx, None if before is None else int(before), None if after is None else int(after)
    )


def _cosigned_note(
    conn: sa.Connection, size: int, witness_ids: set[tuple[str, int]], *, first: bool
) -> str:
    """The signed checkpoint of `size` with each party's first (or latest) cosignature by the
    bundle's witness keys."""
    note = conn.execute(
        sa.select(t.checkpoints.c.note).where(t.checkpoints.c.size == size)
    ).scalar_one()
    c = t.cosignatures.c
    lines = conn.execute(
        sa.select(c.first_line if first else c.line).where(c.size == size).order_by(c.party_id)
    ).scalars()
    cosignatures = [Cosignature.from_note_signature(parse_signature_line(line)) for line in lines]
    return add_cosignatures(
        str(note), [c for c in cosignatures if (c.name, c.key_id) in witness_ids]
    )
