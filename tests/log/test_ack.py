"""Signed acknowledgements: the exact message, and every altered field failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.log.ack import ack_message, sign_ack, verify_ack
from deconflict.log.errors import HashSizeError, InvalidSignatureError, MalformedKeyError
from deconflict.log.merkle import leaf_hash

NOTICE = leaf_hash(b"notice v1")
RECEIVED = datetime(2026, 6, 1, 8, 0, 1, 250000, tzinfo=UTC)


def test_the_signed_message_is_spelled_out() -> None:
    want = (
        b"deconflict-ack/v1\n"
        b"notice " + NOTICE.hex().encode() + b"\n"
        b"received_at 2026-06-01T08:00:01.250000Z\n"
    )
    assert ack_message(NOTICE, RECEIVED) == want


def test_signatures_verify_and_alterations_fail() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    signature = sign_ack(key, NOTICE, RECEIVED)
    key.public_key().verify(signature, ack_message(NOTICE, RECEIVED))
    verify_ack(public, NOTICE, RECEIVED, signature)
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    for args in [
        (other, NOTICE, RECEIVED, signature),
        (public, leaf_hash(b"notice v2"), RECEIVED, signature),
        (public, NOTICE, RECEIVED + timedelta(microseconds=1), signature),
        (public, NOTICE, RECEIVED, signature[:-1] + bytes([signature[-1] ^ 1])),
    ]:
        with pytest.raises(InvalidSignatureError):
            verify_ack(*args)


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(HashSizeError):
        ack_message(NOTICE[:31], RECEIVED)
    with pytest.raises(MalformedKeyError):
        verify_ack(b"\x00" * 31, NOTICE, RECEIVED, bytes(64))
