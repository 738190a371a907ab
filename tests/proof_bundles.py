"""Offline proof bundles built from a small in-memory log with the RFC 9162 reference, for the
tests of `deconflict.evidence` and of the CLI's wording of a timeline."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.evidence import Bracket, CosignedCheckpoint, ProvenEntry, make_bundle
from deconflict.log import (
    Checkpoint,
    Cosigner,
    Ed25519Signer,
    Ed25519Verifier,
    LogEntry,
    add_cosignatures,
    sign_ack,
    sign_checkpoint,
    sign_rotation,
)
from deconflict.log.merkle import consistency_proof, inclusion_proof, leaf_hash, root_hash
from deconflict.times import format_time

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


NOTICE = "ntc_1"


START = T0 + timedelta(hours=2)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass
class Log:
    """A log kept in lists: entries, their leaf hashes, and the checkpoints signed so far with
    the cosignatures each got."""

    signer: Ed25519Signer = field(default_factory=lambda: Ed25519Signer.generate("test.log/1"))
    raw: list[bytes] = field(default_factory=list)
    notes: dict[int, str] = field(default_factory=dict)

    def append(
        self,
        kind: str,
        party: str | None,
        when: datetime,
        body: dict[str, Any],
        refs: tuple[str, ...] = (),
    ) -> int:
        entry = LogEntry(kind, party, when, bytes(16), refs, body)
        self.raw.append(entry.canonical())
        return len(self.raw) - 1

    def leaf(self, index: int) -> str:
        return leaf_hash(self.raw[index]).hex()

    def checkpoint(self, cosigners: dict[Cosigner, datetime]) -> int:
        size = len(self.raw)
        checkpoint = Checkpoint(self.signer.name, size, root_hash(self.leaves()))
        note = sign_checkpoint(checkpoint, self.signer)
        cosigs = [c.cosign(checkpoint, when) for c, when in cosigners.items()]
        self.notes[size] = add_cosignatures(note, cosigs)
        return size

    def leaves(self, size: int | None = None) -> list[bytes]:
        return [leaf_hash(r) for r in self.raw[: len(self.raw) if size is None else size]]

    def proven(self, index: int, size: int) -> ProvenEntry:
        proof = inclusion_proof(self.leaves(size), index)
        return ProvenEntry(index, self.raw[index], tuple(proof))

    def cosigned(self, old: int, size: int) -> CosignedCheckpoint:
        return CosignedCheckpoint(self.notes[old], tuple(consistency_proof(self.leaves(size), old)))


@dataclass
class World:
    log: Log
    witnesses: dict[str, Cosigner]
    ack_key: Ed25519PrivateKey
    bundle: dict[str, Any]
    indices: dict[str, int]
    log_keys: list[Ed25519Signer] = field(default_factory=list)
    """Every key the log signed with, oldest first (the last is `log.signer`)."""


def _key_b64(public: bytes) -> str:
    return base64.b64encode(public).decode()


def build(
    *,
    disclosed_s: int = 20,
    cosign_before_s: tuple[int, int] = (10, 12),
    cosign_after_s: tuple[int, int] = (25, 27),
    ack_s: int = 100,
    party_received_s: int = 95,
    ack_signer: Ed25519PrivateKey | None = None,
    extra: bool = False,
    disclosure_body: dict[str, Any] | None = None,
    without: tuple[str, ...] = (),
    rotations: int = 0,
    rotation_signer: Ed25519Signer | None = None,
) -> World:
    """a submits a notice starting at START; it is disclosed to b at `disclosed_s`; b signs its
    acknowledgement. a and b co-sign before and after the disclosure, and after the ack.

    `without` drops fields from the disclosure's body. With `rotations`, the log then hands its
    key over that many times (`log.key` entries, each signed by the old key, or by
    `rotation_signer`), so the last checkpoint is signed by a key the first two are not."""
    log = Log()
    log_keys = [log.signer]
    wa, wb = Cosigner.generate("a"), Cosigner.generate("b")
    ack_key = Ed25519PrivateKey.generate()
    ix: dict[str, int] = {}
    for name, party, purpose, public in (
        ("key_a", "a", "cosign", wa.verifier().public_key),
        ("key_b", "b", "cosign", wb.verifier().public_key),
        ("ack_b", "b", "ack", ack_key.public_key().public_bytes_raw()),
    ):
        ix[name] = log.append(
            "party.key", party, T0, {"party_id": party, "purpose": purpose, "key": _key_b64(public)}
        )
    before = log.checkpoint({wa: at(cosign_before_s[0]), wb: at(cosign_before_s[1])})
    ix["notice"] = log.append(
        "notice.version",
        "a",
        at(disclosed_s),
        {
            "notice_id": NOTICE,
            "version": 1,
            "kind": "submission",
            "agreement_id": "agr_1",
            "agreement_version": 1,
            "purpose": "training",
            "volumes": [],
            "time_start": format_time(START),
            "time_end": format_time(START + timedelta(hours=1)),
        },
    )
    notice_leaf = log.leaf(ix["notice"])
    ix["disclosure"] = log.append(
        "disclosure",
        None,
        at(disclosed_s),
        {
            "notice_id": NOTICE,
            "version": 1,
            "party_id": "b",
            "reason": "member",
            "disclosed_at": format_time(at(disclosed_s)),
            "lead_time_s": (START - at(disclosed_s)).total_seconds(),
            "short_notice": False,
            "min_lead_time_s": 3600,
            "ack_due_at": format_time(at(disclosed_s + 900)),
        }
        | (disclosure_body or {}),
        (notice_leaf,),
    )
    for name in without:
        body = json.loads(log.raw[ix["disclosure"]])["body"]
        del body[name]
        entry = LogEntry("disclosure", None, at(disclosed_s), bytes(16), (notice_leaf,), body)
        log.raw[ix["disclosure"]] = entry.canonical()
    ix["unrelated"] = log.append("hazard.added", "b", at(disclosed_s), {"hazard_id": "hzd_1"})
    after = log.checkpoint({wa: at(cosign_after_s[0]), wb: at(cosign_after_s[1])})
    signature = sign_ack(ack_signer or ack_key, bytes.fromhex(notice_leaf), at(party_received_s))
    ix["ack"] = log.append(
        "ack",
        "b",
        at(ack_s),
        {
            "notice_id": NOTICE,
            "version": 1,
            "party_id": "b",
            "received_at": format_time(at(ack_s)),
            "party_received_at": format_time(at(party_received_s)),
            "acknowledged_at": format_time(at(ack_s)),
            "late": False,
            "text": "seen",
            "signature": base64.b64encode(signature).decode(),
        },
        (notice_leaf,),
    )
    for n in range(rotations):
        old, new = log.signer, Ed25519Signer.generate(log.signer.name)
        signature = sign_rotation(rotation_signer or old, new.verifier())
        body = {
            "old_key": old.verifier().vkey(),
            "new_key": new.verifier().vkey(),
            "signature": base64.b64encode(signature).decode(),
        }
        ix[f"rotation_{n}"] = log.append("log.key", None, at(ack_s + 1), body)
        log.signer = new
        log_keys.append(new)
    size = log.checkpoint({wa: at(ack_s + 5), wb: at(ack_s + 3)})
    wanted = ["key_a", "key_b", "ack_b", "notice", "disclosure", "ack"] + (["unrelated"] * extra)
    wanted += [f"rotation_{n}" for n in range(rotations)]
    brackets = [
        Bracket(p, ix[e], b, a)
        for e, (b, a) in (
            ("notice", (before, after)),
            ("disclosure", (before, after)),
            ("ack", (after, size)),
        )
        for p in ("a", "b")
    ]
    bundle = make_bundle(
        NOTICE,
        log.signer.verifier().vkey(),
        [wa.verifier().vkey(), wb.verifier().vkey()],
        [Ed25519Verifier("b", ack_key.public_key().public_bytes_raw()).vkey()],
        log.notes[size],
        [log.proven(ix[name], size) for name in wanted],
        [log.cosigned(before, size), log.cosigned(after, size)],
        brackets,
    )
    return World(log, {"a": wa, "b": wb}, ack_key, json.loads(json.dumps(bundle)), ix, log_keys)
