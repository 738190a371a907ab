"""Signed acknowledgements: a recipient's own Ed25519 statement of when it received a notice.

The recipient signs, with its acknowledgement key (never its cosigning key), the message

    deconflict-ack/v1
    notice <hex leaf hash of the notice entry>
    received_at <RFC 3339 UTC, microseconds, Z>

(each line ending in a newline). The first line separates this statement from every other use
of a key; the leaf hash pins the exact notice version, salt included. The log then shows the
recipient's clock beside the service's. The signature is the raw 64-byte Ed25519 signature
(RFC 8032), carried base64-encoded in the acknowledgement entry.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from deconflict.log.errors import HashSizeError, InvalidSignatureError, MalformedKeyError
from deconflict.log.merkle import HASH_SIZE
from deconflict.times import format_time

__all__ = ["ack_message", "sign_ack", "verify_ack"]


def ack_message(notice_leaf_hash: bytes, received_at: datetime) -> bytes:
    """The bytes a recipient signs to acknowledge the notice entry with `notice_leaf_hash`."""
    if len(notice_leaf_hash) != HASH_SIZE:
        raise HashSizeError("notice leaf hash", len(notice_leaf_hash))
    return (
        f"deconflict-ack/v1\nnotice {notice_leaf_hash.hex()}\n"
        f"received_at {format_time(received_at)}\n"
    ).encode()


def sign_ack(key: Ed25519PrivateKey, notice_leaf_hash: bytes, received_at: datetime) -> bytes:
    """The recipient's 64-byte signature over `ack_message`."""
    return key.sign(ack_message(notice_leaf_hash, received_at))


def verify_ack(
    public_key: bytes, notice_leaf_hash: bytes, received_at: datetime, signature: bytes
) -> None:
    """Check a signed acknowledgement against the party's 32-byte Ed25519 acknowledgement key;
    raise `InvalidSignatureError` if it does not verify."""
    if len(public_key) != 32:
        raise MalformedKeyError(f"Ed25519 keys are 32 bytes, not {len(public_key)}", "ack key")
    message = ack_message(notice_leaf_hash, received_at)
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except InvalidSignature:
        raise InvalidSignatureError("acknowledgement signature does not verify") from None
