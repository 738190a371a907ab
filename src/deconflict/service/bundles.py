"""Exporting an offline proof bundle for one notice from the stored log.

Everything is read on one connection: the latest checkpoint, the notice's entries, the
`party.key` entries of the keys involved, every `log.key` entry (the log key's rotations, so a
verifier that pinned an older key can follow them), and the checkpoints each involved party
co-signed just before and just after each entry. A `before` checkpoint carries each party's
latest cosignature of it and an `after` checkpoint its first, the tightest true bounds
(`deconflict.evidence` says why); a size that is both goes in twice. Proofs come from the stored
tree, so export stays fast however long the log is. The format and its verification are
`deconflict.evidence`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from deconflict.domain.facts import LogKeyRotated
from deconflict.errors import Conflict, NotFound
from deconflict.evidence import Bracket, CosignedCheckpoint, ProvenEntry, make_bundle
from deconflict.log import (
    Cosignature,
    CosignatureVerifier,
    Ed25519Verifier,
    add_cosignatures,
    parse_entry,
    parse_signature_line,
)
from deconflict.service.context import Context
from deconflict.storage.repositories import Repositories

__all__ = ["Bundles"]


class Bundles:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def export(
        self, notice_id: str, *, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, Any]:
        """The proof bundle of `notice_id` against the latest checkpoint (JSON-ready).

        `progress`, if given, is called with (steps done, steps): one step per entry the bundle
        proves (its inclusion proof), then one per entry of the notice (the cosignatures
        around it, for each party); with 0 first."""
        with self._ctx.read() as repos:
            head = repos.checkpoints.latest()
            if head is None:
                raise Conflict("no checkpoint has been published yet")
            size = head.size
            indices = _notice_indices(repos, notice_id)
            if not indices:
                raise NotFound(f"notice {notice_id!r} has no entry in the log")
            if indices[-1] >= size:
                raise Conflict(
                    f"entry {indices[-1]} of notice {notice_id!r} is newer than the latest "
                    f"checkpoint (size {size}); export again after the next checkpoint, due within "
                    f"{self._ctx.checkpoint_interval_s:g} s",
                    latest_checkpoint_size=size,
                )
            keys = _registered_keys(repos, repos.entries.readers(indices), size)
            rotations = [i for i, _ in repos.entries.of_type(LogKeyRotated.entry_type, before=size)]
            tree = repos.entries.tree()
            raw = repos.entries.entries(indices + sorted(keys) + rotations)
            steps = _Steps(len(raw) + len(indices), progress)
            entries: list[ProvenEntry] = []
            for idx in sorted(raw):
                entries.append(ProvenEntry(idx, raw[idx], tuple(tree.inclusion_proof(idx, size))))
                steps.step()
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
            brackets: list[Bracket] = []
            for idx in indices:
                brackets.extend(
                    Bracket(party, idx, *repos.checkpoints.bracket(party, idx, size))
                    for party in witness_parties
                )
                steps.step()
            brackets = [b for b in brackets if b.before is not None or b.after is not None]
            checkpoint = _cosigned_note(repos, size, witness_ids, first=False)
            befores = {b.before for b in brackets if b.before is not None}
            afters = {b.after for b in brackets if b.after is not None}
            cosigned: list[CosignedCheckpoint] = []
            for old in sorted(befores | afters):
                notes = [
                    _cosigned_note(repos, old, witness_ids, first=first)
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
            self._ctx.log_signer.verifier().vkey(),
            [w.vkey() for w in witnesses],
            [v.vkey() for v in acks],
            checkpoint,
            entries,
            cosigned,
            brackets,
        )


class _Steps:
    """Counts an export's steps for its `progress` callback."""

    def __init__(self, total: int, progress: Callable[[int, int], None] | None) -> None:
        self._done = 0
        self._total = total
        self._progress = progress
        if progress is not None:
            progress(0, total)

    def step(self) -> None:
        self._done += 1
        if self._progress is not None:
            self._progress(self._done, self._total)


def _notice_indices(repos: Repositories, notice_id: str) -> list[int]:
    """Entries about the notice: those filed under it, and conflicts other notices had with it."""
    found = repos.entries.under_notice(notice_id)
    for other_id, version in repos.conflicts.versions_against(notice_id):
        for idx, entry in repos.entries.filed_entries("conflict", other_id, version):
            if parse_entry(entry).body.get("other_id") == notice_id:
                found.add(idx)
    return sorted(found)


def _registered_keys(
    repos: Repositories, parties: Iterable[str], size: int
) -> dict[int, tuple[str, str, bytes]]:
    """The parties' keys, by the index of the `party.key` entry that registered each (only those
    inside the tree of `size`, so the bundle can prove them)."""
    wanted = set(parties)
    keys: dict[int, tuple[str, str, bytes]] = {}
    for idx, entry in repos.entries.of_type("party.key", before=size):
        body = parse_entry(entry).body
        if body.get("party_id") in wanted:
            key = base64.b64decode(str(body["key"]))
            keys[idx] = (str(body["party_id"]), str(body["purpose"]), key)
    return keys


def _cosigned_note(
    repos: Repositories, size: int, witness_ids: set[tuple[str, int]], *, first: bool
) -> str:
    """The signed checkpoint of `size` with each party's first (or latest) cosignature by the
    bundle's witness keys."""
    note = repos.checkpoints.note(size)
    if note is None:
        raise LookupError(f"no checkpoint of size {size} is stored")
    lines = repos.checkpoints.lines(size, first=first)
    cosignatures = [Cosignature.from_note_signature(parse_signature_line(line)) for line in lines]
    return add_cosignatures(note, [c for c in cosignatures if (c.name, c.key_id) in witness_ids])
