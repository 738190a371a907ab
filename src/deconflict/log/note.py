"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and keys in `vkey` form.

A signed note is a text ending in a newline, a blank line, then one or more lines
`— <key name> <base64(key ID || signature)>` (U+2014 em dash). The key ID is
SHA-256(name || 0x0A || type || public key)[:4], big-endian; type 0x01 is Ed25519 over the text.
A verifier key is `<name>+<8 hex key ID>+<base64(type || public key)>`; a signer key is
`PRIVATE+KEY+<name>+<8 hex key ID>+<base64(type || 32-byte seed)>`.

Opening follows the spec and golang.org/x/mod/sumdb/note `Open`: valid UTF-8 with no control
character but newline; signatures from unknown (name, key ID) pairs are ignored; a trusted key
whose signature fails rejects the whole note; at least one trusted signature must verify; more
than 100 signature lines is malformed (the spec asks verifiers to accept at least 16); a
(name, key ID) matching two trusted keys is refused as ambiguous; repeated signatures count once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconflict.log.errors import (
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    NoteError,
    UnverifiedNoteError,
)

__all__ = [
    "ED25519",
    "MAX_SIGNATURES",
    "Ed25519Signer",
    "Ed25519Verifier",
    "Note",
    "NoteSignature",
    "Signer",
    "Verifier",
    "decode_skey",
    "decode_vkey",
    "encode_skey",
    "encode_vkey",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "parse_note",
    "parse_signature_line",
    "sign_note",
]

ED25519 = 0x01
"""Signature type of plain Ed25519 note signatures."""
MAX_SIGNATURES = 100
_PREFIX = "— "
_SKEY_PREFIX = "PRIVATE+KEY+"
_KEY_ID = re.compile("[0-9a-fA-F]{8}")


def is_valid_key_name(name: str) -> bool:
    """Non-empty, with no Unicode space and no '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, key_type: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || key_type || public_key)[:4] as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def encode_vkey(name: str, key_type: int, public_key: bytes) -> str:
    """The `vkey` text of a public key."""
    key = base64.b64encode(bytes([key_type]) + public_key).decode()
    return f"{name}+{key_id(name, key_type, public_key):08x}+{key}"


def decode_vkey(vkey: str) -> tuple[str, int, bytes]:
    """(name, key type, public key) of a `vkey`, after checking its form and key ID."""
    name, _, rest = vkey.partition("+")
    id_hex, _, key_b64 = rest.partition("+")
    try:
        key = _b64decode(key_b64)
    except (ValueError, binascii.Error):
        raise MalformedKeyError("malformed verifier key", vkey) from None
    if not _KEY_ID.fullmatch(id_hex) or not is_valid_key_name(name) or not key:
        raise MalformedKeyError("malformed verifier key", vkey)
    if int(id_hex, 16) != key_id(name, key[0], key[1:]):
        raise MalformedKeyError("verifier key ID does not match its name and key", vkey)
    return name, key[0], key[1:]


def encode_skey(name: str, key_type: int, private_key: Ed25519PrivateKey) -> str:
    """The secret `PRIVATE+KEY+...` text of an Ed25519 key; the key ID is of its public key."""
    public = private_key.public_key().public_bytes_raw()
    seed = base64.b64encode(bytes([key_type]) + private_key.private_bytes_raw()).decode()
    return f"PRIVATE+KEY+{name}+{key_id(name, key_type, public):08x}+{seed}"


def decode_skey(skey: str) -> tuple[str, int, Ed25519PrivateKey]:
    """(name, key type, private key) of a signer key, after checking its key ID."""
    shown = "PRIVATE+KEY+<redacted>"
    if not skey.startswith(_SKEY_PREFIX):
        raise MalformedKeyError("malformed signer key", shown)
    name, _, rest = skey[len(_SKEY_PREFIX) :].partition("+")
    id_hex, _, seed_b64 = rest.partition("+")
    try:
        seed = _b64decode(seed_b64)
    except (ValueError, binascii.Error):
        raise MalformedKeyError("malformed signer key", shown) from None
    if not _KEY_ID.fullmatch(id_hex) or not is_valid_key_name(name) or len(seed) != 33:
        raise MalformedKeyError("malformed signer key", shown)
    private_key = Ed25519PrivateKey.from_private_bytes(seed[1:])
    if int(id_hex, 16) != key_id(name, seed[0], private_key.public_key().public_bytes_raw()):
        raise MalformedKeyError("signer key ID does not match its name and key", shown)
    return name, seed[0], private_key


class Verifier(Protocol):
    """Checks signatures by one key, identified by its name and key ID."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether `signature` (without the key ID) is valid for the note text."""
        ...


class Signer(Protocol):
    """Signs note texts with one key."""

    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> int: ...

    def sign(self, text: bytes) -> bytes:
        """The signature (without the key ID) over the note text."""
        ...


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A named Ed25519 public key of one signature type; subclasses say how it verifies."""

    KEY_TYPE: ClassVar[int] = ED25519
    KIND: ClassVar[str] = "Ed25519 note"

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name) or len(self.public_key) != 32:
            raise MalformedKeyError("need a valid key name and a 32-byte Ed25519 key", self.name)

    @classmethod
    def from_vkey(cls, vkey: str) -> Self:
        name, key_type, key = decode_vkey(vkey)
        if key_type != cls.KEY_TYPE or len(key) != 32:
            raise MalformedKeyError(f"not an {cls.KIND} key (type {key_type:#04x})", vkey)
        return cls(name, key)

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.KEY_TYPE, self.public_key)

    def vkey(self) -> str:
        return encode_vkey(self.name, self.KEY_TYPE, self.public_key)


@dataclass(frozen=True, slots=True)
class SignerKey:
    """A named Ed25519 private key of one signature type, with its skey form."""

    KEY_TYPE: ClassVar[int] = ED25519
    KIND: ClassVar[str] = "Ed25519 note"

    name: str
    private_key: Ed25519PrivateKey = field(repr=False)

    def __post_init__(self) -> None:
        if not is_valid_key_name(self.name):
            raise MalformedKeyError("key names are non-empty, without spaces or '+'", self.name)

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        name, key_type, private_key = decode_skey(skey)
        if key_type != cls.KEY_TYPE:
            raise MalformedKeyError(f"not an {cls.KIND} key (type {key_type:#04x})", name)
        return cls(name, private_key)

    def skey(self) -> str:
        return encode_skey(self.name, self.KEY_TYPE, self.private_key)

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()


@dataclass(frozen=True, slots=True)
class Ed25519Verifier(VerifierKey):
    """A plain Ed25519 (type 0x01) note verifier."""

    def verify(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Ed25519Signer(SignerKey):
    """A plain Ed25519 (type 0x01) note signer: the log's key, a party's acknowledgement key."""

    def verifier(self) -> Ed25519Verifier:
        return Ed25519Verifier(self.name, self.public_key)

    @property
    def key_id(self) -> int:
        return self.verifier().key_id

    def sign(self, text: bytes) -> bytes:
        return self.private_key.sign(text)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key's name and ID and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        payload = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_PREFIX}{self.name} {base64.b64encode(payload).decode()}\n"


@dataclass(frozen=True, slots=True)
class Note:
    """A note text with its signatures: those verified against trusted keys, and the others."""

    text: str
    signatures: tuple[NoteSignature, ...] = ()
    unverified: tuple[NoteSignature, ...] = ()

    def encode(self) -> str:
        """The signed-note text: the text, a blank line, every signature line."""
        if not self.signatures and not self.unverified:
            raise MalformedNoteError("a signed note needs at least one signature")
        lines = [s.line() for s in (*self.signatures, *self.unverified)]
        return self.text + "\n" + "".join(lines)


def _check_text(text: str) -> None:
    if any(c < " " and c != "\n" for c in text):
        raise MalformedNoteError("notes may hold no control character other than newline")


def parse_signature_line(line: str) -> NoteSignature:
    """One `— <name> <base64>` line (with or without its final newline)."""
    body = line.removesuffix("\n")
    if not body.startswith(_PREFIX) or "\n" in body:
        raise MalformedNoteError("signature lines start with an em dash and a space")
    name, _, b64 = body[len(_PREFIX) :].partition(" ")
    try:
        raw = _b64decode(b64)
    except (ValueError, binascii.Error):
        raise MalformedNoteError(f"signature by {name!r} is not base64") from None
    if not is_valid_key_name(name) or len(raw) < 5:
        raise MalformedNoteError(f"malformed signature line {body!r}")
    return NoteSignature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def parse_note(data: str | bytes) -> Note:
    """The text and signatures of a signed note, none of them verified yet (all `unverified`)."""
    try:
        message = data.decode() if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise MalformedNoteError("notes are UTF-8") from None
    _check_text(message)
    split = message.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("no blank line before the signatures")
    text, block = message[: split + 1], message[split + 2 :]
    if not block.endswith("\n"):
        raise MalformedNoteError("signature block must be non-empty and end with a newline")
    lines = block.splitlines(keepends=True)
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"more than {MAX_SIGNATURES} signatures")
    return Note(text, (), tuple(parse_signature_line(line) for line in lines))


def open_note(data: str | bytes, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and check its signatures against the trusted `verifiers`.

    Returns the note with `signatures` = those that verified and `unverified` = those from
    unknown keys. Raises `InvalidSignatureError` if a trusted key's signature fails and
    `UnverifiedNoteError` if no trusted signature is present."""
    parsed = parse_note(data)
    trusted: dict[tuple[str, int], list[Verifier]] = {}
    for v in verifiers:
        trusted.setdefault((v.name, v.key_id), []).append(v)
    text = parsed.text.encode()
    verified: dict[tuple[str, int], NoteSignature] = {}
    unknown: dict[NoteSignature, None] = {}
    for sig in parsed.unverified:
        ident = (sig.name, sig.key_id)
        if ident not in trusted:
            unknown[sig] = None
            continue
        if len(trusted[ident]) > 1:
            raise NoteError(f"ambiguous key {sig.name}+{sig.key_id:08x}")
        if ident in verified:
            continue
        if not trusted[ident][0].verify(text, sig.signature):
            raise InvalidSignatureError(
                f"invalid signature for key {sig.name}+{sig.key_id:08x}", sig.name, sig.key_id
            )
        verified[ident] = sig
    note = Note(parsed.text, tuple(verified.values()), tuple(unknown))
    if not verified:
        raise UnverifiedNoteError(note)
    return note


def sign_note(note: Note | str, *signers: Signer) -> Note:
    """`note` with a new signature from each signer, replacing any older one by the same key."""
    base = Note(note) if isinstance(note, str) else note
    if not base.text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    _check_text(base.text)
    text = base.text.encode()
    new = tuple(NoteSignature(s.name, s.key_id, s.sign(text)) for s in signers)
    replaced = {(s.name, s.key_id) for s in new}

    def kept(sigs: tuple[NoteSignature, ...]) -> tuple[NoteSignature, ...]:
        return tuple(s for s in sigs if (s.name, s.key_id) not in replaced)

    return Note(base.text, kept(base.signatures) + new, kept(base.unverified))
