"""Log key rotation statements: the exact message, and every altered part failing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from deconflict.log import Ed25519Signer, Ed25519Verifier
from deconflict.log.errors import InvalidSignatureError, MalformedKeyError
from deconflict.log.rotation import rotation_message, sign_rotation, verify_rotation

OLD = Ed25519Signer("test.log/1", Ed25519PrivateKey.from_private_bytes(bytes(range(32))))
NEW = Ed25519Signer("test.log/1", Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))


def test_the_signed_message_is_spelled_out() -> None:
    old, new = OLD.verifier().vkey(), NEW.verifier().vkey()
    want = f"deconflict-log-key/v1\nold {old}\nnew {new}\n".encode()
    assert rotation_message(OLD.verifier(), NEW.verifier()) == want
    assert old.startswith("test.log/1+")
    assert new.startswith("test.log/1+")
    assert old != new


def test_the_old_key_hands_over_and_alterations_fail() -> None:
    """Swapped keys, a third key, a flipped bit, and the new key vouching for itself all fail."""
    signature = sign_rotation(OLD, NEW.verifier())
    OLD.private_key.public_key().verify(signature, rotation_message(OLD.verifier(), NEW.verifier()))
    verify_rotation(OLD.verifier(), NEW.verifier(), signature)
    third = Ed25519Signer.generate("test.log/1").verifier()
    for old, new, sig in [
        (NEW.verifier(), OLD.verifier(), signature),
        (OLD.verifier(), third, signature),
        (third, NEW.verifier(), signature),
        (OLD.verifier(), NEW.verifier(), signature[:-1] + bytes([signature[-1] ^ 1])),
        (
            OLD.verifier(),
            NEW.verifier(),
            NEW.sign(rotation_message(OLD.verifier(), NEW.verifier())),
        ),
    ]:
        with pytest.raises((InvalidSignatureError, MalformedKeyError)):
            verify_rotation(old, new, sig)


def test_a_new_key_keeps_the_logs_name_and_differs_from_the_old() -> None:
    renamed = Ed25519Verifier("other.log/1", NEW.public_key)
    with pytest.raises(MalformedKeyError, match=r"keeps the log's name 'test\.log/1'"):
        verify_rotation(OLD.verifier(), renamed, sign_rotation(OLD, renamed))
    with pytest.raises(MalformedKeyError, match="cannot rotate to itself"):
        verify_rotation(OLD.verifier(), OLD.verifier(), sign_rotation(OLD, OLD.verifier()))
