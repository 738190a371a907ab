"""C2SP tlog-checkpoint notes and tlog-cosignature/v1 Ed25519 cosignatures.

A checkpoint (c2sp.org/tlog-checkpoint) is a signed note whose text is the origin line, the tree
size in decimal without leading zeros, the base64 RFC 9162 root hash, then optional non-empty
extension lines. The log signs it with its Ed25519 (type 0x01) note key.

A cosignature (c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1") is a note signature by a
witness key of type 0x04 (key ID = SHA-256(name || 0x0A || 0x04 || key)[:4]) over
`cosignature/v1\\ntime <POSIX seconds>\\n` followed by the whole checkpoint text; its signature
bytes are the 8-byte big-endian timestamp then the 64-byte Ed25519 signature. It states that, as
of that time, this is the largest consistent tree the witness has seen for the origin. The
timestamp must not exceed 2**63 - 1. Verifiers match transparency-dev/formats
`note/note_cosigv1.go` (a signature of any other length does not verify).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconflict.clock import require_utc
from deconflict.log.errors import (
    InvalidSignatureError,
    MalformedCheckpointError,
    NoteError,
)
from deconflict.log.merkle import HASH_SIZE
from deconflict.log.note import (
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    NoteSignature,
    SignerKey,
    VerifierKey,
    decode_vkey,
    open_note,
    parse_note,
    sign_note,
)

__all__ = [
    "COSIGNATURE_V1",
    "Checkpoint",
    "Cosignature",
    "CosignatureVerifier",
    "Cosigner",
    "OpenedCheckpoint",
    "add_cosignatures",
    "cosignature_message",
    "open_checkpoint",
    "parse_checkpoint",
    "parse_verifier",
    "sign_checkpoint",
    "verify_cosignature",
]

COSIGNATURE_V1 = 0x04
"""Signature type of timestamped Ed25519 cosignatures."""
_MAX_TIMESTAMP_S = 2**63 - 1
_SIZE = re.compile("0|[1-9][0-9]*")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin, size and root hash, with any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = (self.origin, *self.extensions)
        if any(not line or any(c < " " for c in line) for line in lines):
            raise MalformedCheckpointError("origin and extension lines are non-empty text lines")
        if self.size < 0:
            raise MalformedCheckpointError(f"tree size {self.size} is negative")
        if len(self.root) != HASH_SIZE:
            raise MalformedCheckpointError(f"root hash is {len(self.root)} bytes, want 32")

    def text(self) -> str:
        """The note text (the "body") that the log and the witnesses sign."""
        root = base64.b64encode(self.root).decode()
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note text (not the signed note: see `open_checkpoint`)."""
    if not text.endswith("\n"):
        raise MalformedCheckpointError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise MalformedCheckpointError("a checkpoint has origin, size and root hash lines")
    origin, size, root_b64, *extensions = lines
    if not _SIZE.fullmatch(size):
        raise MalformedCheckpointError(f"tree size {size!r} is not a decimal without leading 0")
    try:
        root = base64.b64decode(root_b64.encode("ascii"), validate=True)
    except (ValueError, binascii.Error):
        raise MalformedCheckpointError(f"root hash {root_b64!r} is not base64") from None
    checkpoint = Checkpoint(origin, int(size), root, tuple(extensions))
    if checkpoint.text() != text:
        raise MalformedCheckpointError("checkpoint text is not in canonical form")
    return checkpoint


def sign_checkpoint(checkpoint: Checkpoint, signer: Ed25519Signer) -> str:
    """The checkpoint as a signed note, signed by the log's key."""
    return sign_note(checkpoint.text(), signer).encode()


def cosignature_message(text: bytes, timestamp_s: int) -> bytes:
    """What a cosignature/v1 signs: header line, time line, then the checkpoint note text."""
    return b"cosignature/v1\ntime %d\n" % timestamp_s + text


@dataclass(frozen=True, slots=True)
class Cosignature:
    """A witness's timestamped cosignature of one checkpoint."""

    name: str
    key_id: int
    timestamp_s: int
    signature: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.timestamp_s <= _MAX_TIMESTAMP_S or len(self.signature) != 64:
            raise NoteError("a cosignature is a timestamp in 0..2**63-1 and 64 signature bytes")

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_s, UTC)

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        if len(sig.signature) != 8 + 64:
            raise NoteError(f"signature by {sig.name} is not a timestamped Ed25519 cosignature")
        timestamp_s = int.from_bytes(sig.signature[:8], "big")
        return cls(sig.name, sig.key_id, timestamp_s, sig.signature[8:])

    def note_signature(self) -> NoteSignature:
        return NoteSignature(
            self.name, self.key_id, self.timestamp_s.to_bytes(8, "big") + self.signature
        )

    def line(self) -> str:
        return self.note_signature().line()


@dataclass(frozen=True, slots=True)
class CosignatureVerifier(VerifierKey):
    """Checks one witness's cosignature/v1 signatures (a `note.Verifier` of type 0x04)."""

    KEY_TYPE: ClassVar[int] = COSIGNATURE_V1
    KIND: ClassVar[str] = "Ed25519 cosigner"

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != 8 + 64:
            return False
        timestamp_s = int.from_bytes(signature[:8], "big")
        message = cosignature_message(text, timestamp_s)
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature[8:], message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Cosigner(SignerKey):
    """A witness's Ed25519 cosigning key (distinct from any key it signs acknowledgements with)."""

    KEY_TYPE: ClassVar[int] = COSIGNATURE_V1
    KIND: ClassVar[str] = "Ed25519 cosigner"

    def verifier(self) -> CosignatureVerifier:
        return CosignatureVerifier(self.name, self.public_key)

    def cosign(self, checkpoint: Checkpoint, at: datetime) -> Cosignature:
        """Cosign `checkpoint` as of `at` (whole seconds, rounded down)."""
        timestamp_s = math.floor(require_utc(at).timestamp())
        message = cosignature_message(checkpoint.text().encode(), timestamp_s)
        signature = self.private_key.sign(message)
        return Cosignature(self.name, self.verifier().key_id, timestamp_s, signature)


def parse_verifier(vkey: str) -> Ed25519Verifier | CosignatureVerifier:
    """The verifier for a `vkey` of either type the record uses: 0x01 (log, acknowledgements)
    or 0x04 (witness cosignatures)."""
    _, key_type, _ = decode_vkey(vkey)
    if key_type == COSIGNATURE_V1:
        return CosignatureVerifier.from_vkey(vkey)
    return Ed25519Verifier.from_vkey(vkey)


def verify_cosignature(
    checkpoint: Checkpoint, cosignature: Cosignature, witness: CosignatureVerifier
) -> None:
    """Check one cosignature (say, just posted by a witness) before accepting it."""
    if (cosignature.name, cosignature.key_id) != (witness.name, witness.key_id):
        raise InvalidSignatureError(
            f"cosignature is by {cosignature.name}+{cosignature.key_id:08x}, "
            f"not {witness.name}+{witness.key_id:08x}",
            cosignature.name,
            cosignature.key_id,
        )
    signature = cosignature.note_signature().signature
    if not witness.verify(checkpoint.text().encode(), signature):
        raise InvalidSignatureError(
            f"invalid cosignature by {witness.name}+{witness.key_id:08x}",
            witness.name,
            witness.key_id,
        )


def add_cosignatures(signed_checkpoint: str, cosignatures: Iterable[Cosignature]) -> str:
    """The signed note with the cosignature lines appended (replacing older ones by the same
    keys). Nothing is verified here: verify each cosignature before accepting it."""
    note = parse_note(signed_checkpoint)
    new = tuple(c.note_signature() for c in cosignatures)
    replaced = {(s.name, s.key_id) for s in new}
    kept = tuple(s for s in note.unverified if (s.name, s.key_id) not in replaced)
    return Note(note.text, (), kept + new).encode()


@dataclass(frozen=True, slots=True)
class OpenedCheckpoint:
    """A checkpoint whose log signature verified, and the cosignatures that verified with it."""

    checkpoint: Checkpoint
    note: Note
    cosignatures: tuple[Cosignature, ...]


def open_checkpoint(
    signed_checkpoint: str | bytes,
    log: Ed25519Verifier,
    witnesses: Iterable[CosignatureVerifier] = (),
    origin: str | None = None,
) -> OpenedCheckpoint:
    """Verify a signed checkpoint: the log's signature must be present and valid, every
    signature by a trusted witness must be valid, other signatures are ignored. When `origin` is
    given the checkpoint must carry it."""
    witness_list = list(witnesses)
    note = open_note(signed_checkpoint, [log, *witness_list])
    if not any((s.name, s.key_id) == (log.name, log.key_id) for s in note.signatures):
        raise InvalidSignatureError(
            f"checkpoint is not signed by the log key {log.name}+{log.key_id:08x}",
            log.name,
            log.key_id,
        )
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise MalformedCheckpointError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    witness_ids = {(w.name, w.key_id) for w in witness_list}
    cosignatures = tuple(
        Cosignature.from_note_signature(s)
        for s in note.signatures
        if (s.name, s.key_id) in witness_ids
    )
    return OpenedCheckpoint(checkpoint, note, cosignatures)
