"""Log key rotation: the log's old signing key states, in its own signature, which key follows it.

The old key signs (a plain Ed25519 signature, RFC 8032) the message

    deconflict-log-key/v1
    old <old vkey>
    new <new vkey>

(each line ending in a newline). The first line separates this statement from a checkpoint (whose
second line is a tree size) and from an acknowledgement. The new key keeps the old key's name,
which is the log's origin, so checkpoints name the same log before and after. The log records
the statement as a `log.key` entry (`deconflict.domain.facts.LogKeyRotated`); every checkpoint
holding that entry is signed by the new key. Anyone who pinned the old key can then follow the
chain of such entries to the key that signs today.
"""

from __future__ import annotations

from deconflict.log.errors import InvalidSignatureError, MalformedKeyError
from deconflict.log.note import Ed25519Signer, Ed25519Verifier

__all__ = ["rotation_message", "sign_rotation", "verify_rotation"]


def rotation_message(old: Ed25519Verifier, new: Ed25519Verifier) -> bytes:
    """The bytes the old log key signs to hand over to `new`."""
    return f"deconflict-log-key/v1\nold {old.vkey()}\nnew {new.vkey()}\n".encode()


def sign_rotation(old: Ed25519Signer, new: Ed25519Verifier) -> bytes:
    """The old key's 64-byte signature over `rotation_message`."""
    return old.sign(rotation_message(old.verifier(), new))


def verify_rotation(old: Ed25519Verifier, new: Ed25519Verifier, signature: bytes) -> None:
    """Check that `old` handed over to `new`: raise `MalformedKeyError` if the new key has
    another name (the log's origin), `InvalidSignatureError` if the signature does not verify."""
    if new.name != old.name:
        raise MalformedKeyError(
            f"a rotated log key keeps the log's name {old.name!r}, not {new.name!r}", new.vkey()
        )
    if old == new:
        raise MalformedKeyError("a log key cannot rotate to itself", new.vkey())
    if not old.verify(rotation_message(old, new), signature):
        raise InvalidSignatureError(
            f"the rotation to {new.vkey()} is not signed by the old log key {old.vkey()}",
            old.name,
            old.key_id,
        )
