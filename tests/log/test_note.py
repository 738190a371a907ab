"""C2SP signed notes against the vectors of golang.org/x/mod/sumdb/note (note_test.go)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconflict.log.errors import (
    InvalidSignatureError,
    MalformedKeyError,
    MalformedNoteError,
    NoteError,
    UnverifiedNoteError,
)
from deconflict.log.note import (
    ED25519,
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    NoteSignature,
    decode_vkey,
    key_id,
    open_note,
    parse_note,
    parse_signature_line,
    sign_note,
)

# From golang.org/x/mod sumdb/note/note_test.go: TestNewVerifier, TestNewSigner, TestSign, TestOpen.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6"
    "KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33W"
    "Wd1RvMc+QQ=\n"
)
PETER = Ed25519Verifier.from_vkey(PETER_VKEY)
ENOCH = Ed25519Verifier.from_vkey(ENOCH_VKEY)


def test_signing_reproduces_the_go_note_output_byte_for_byte() -> None:
    # Ed25519 is deterministic (RFC 8032), so the published note is the only right answer.
    signer = Ed25519Signer.from_skey(PETER_SKEY)
    assert signer.key_id == 0xC74F20A3
    assert sign_note(TEXT, signer).encode() == TEXT + "\n" + PETER_SIG
    stale = Note(TEXT, (NoteSignature("PeterNeumann", 0xC74F20A3, b"BADSIGN"),))
    assert sign_note(stale, signer).encode() == TEXT + "\n" + PETER_SIG


def test_key_ids_follow_the_spec_formula() -> None:
    raw = base64.b64decode(PETER_VKEY.split("+")[2])
    want = hashlib.sha256(b"PeterNeumann\n" + raw).digest()[:4]
    assert key_id("PeterNeumann", raw[0], raw[1:]) == int.from_bytes(want, "big") == 0xC74F20A3
    assert decode_vkey(PETER_VKEY) == ("PeterNeumann", ED25519, raw[1:])
    assert PETER.vkey() == PETER_VKEY
    assert Ed25519Signer.from_skey(PETER_SKEY).skey() == PETER_SKEY


def test_open_verifies_known_keys_and_sets_aside_unknown_ones() -> None:
    msg = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    note = open_note(msg, [PETER])
    assert note.text == TEXT
    assert [(s.name, s.key_id) for s in note.signatures] == [("PeterNeumann", 0xC74F20A3)]
    assert [(s.name, s.key_id) for s in note.unverified] == [("EnochRoot", 0xAF0CFE78)]
    both = open_note(msg, [PETER, ENOCH])
    assert [s.name for s in both.signatures] == ["PeterNeumann", "EnochRoot"]
    assert both.unverified == ()


def test_a_note_without_a_trusted_signature_is_refused_but_readable() -> None:
    with pytest.raises(UnverifiedNoteError) as exc:
        open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [])
    assert exc.value.note.text == TEXT
    assert [s.name for s in exc.value.note.unverified] == ["PeterNeumann", "EnochRoot"]


def test_duplicated_verifiers_are_ambiguous_only_when_used() -> None:
    with pytest.raises(NoteError, match="ambiguous key EnochRoot\\+af0cfe78"):
        open_note(TEXT + "\n" + ENOCH_SIG, [ENOCH, PETER, ENOCH])
    open_note(TEXT + "\n" + PETER_SIG, [ENOCH, PETER, ENOCH])


def test_too_many_signatures_is_malformed() -> None:
    with pytest.raises(MalformedNoteError):
        open_note(TEXT + "\n" + PETER_SIG * 101, [PETER])
    assert len(parse_note(TEXT + "\n" + PETER_SIG * 100).unverified) == 100


def test_a_failing_signature_by_a_trusted_key_rejects_the_note() -> None:
    tampered = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    with pytest.raises(InvalidSignatureError) as exc:
        open_note(TEXT + "\n" + tampered, [PETER])
    assert (exc.value.name, exc.value.key_id) == ("PeterNeumann", 0xC74F20A3)
    with pytest.raises(InvalidSignatureError):
        open_note(TEXT.replace("problem", "solution", 1) + "\n" + PETER_SIG, [PETER])


def test_repeated_signatures_count_once() -> None:
    enoch_abcd = ENOCH_SIG[:60] + "ABCD" + ENOCH_SIG[60:]
    msg = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + enoch_abcd
    note = open_note(msg, [PETER])
    assert [s.name for s in note.signatures] == ["PeterNeumann"]
    assert [parse_signature_line(s.line()) for s in note.unverified] == [
        parse_signature_line(ENOCH_SIG),
        parse_signature_line(enoch_abcd),
    ]


@pytest.mark.parametrize(
    ("desc", "msg"),
    [
        ("no signatures", TEXT),
        ("blank line but no signatures", TEXT + "\n"),
        ("last signature line unterminated", TEXT + "\n" + PETER_SIG[:-1]),
        ("control character", "\x01" + TEXT + "\n" + PETER_SIG),
        ("invalid UTF-8", b"\xff" + (TEXT + "\n" + PETER_SIG).encode()),
        ("space in key name", TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name")),
        ("plus in key name", TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad+Name")),
        ("line after signatures", TEXT + "\n" + PETER_SIG + "Unexpected line.\n"),
        ("no em dash", TEXT + "\n" + PETER_SIG.replace("— ", "- ")),
        ("signature not base64", TEXT + "\n" + "— PeterNeumann !!!!\n"),
        ("signature of 4 bytes", TEXT + "\n" + "— PeterNeumann AAAAAA==\n"),
    ],
)
def test_malformed_notes(desc: str, msg: str | bytes) -> None:
    with pytest.raises(MalformedNoteError):
        open_note(msg, [PETER])


def test_the_text_ends_at_the_last_blank_line() -> None:
    # The example note of c2sp.org/signed-note: its text holds a blank line of its own.
    example = (
        "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\n"
        "ed è subito sera.\n\n"
        "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMou"
        "FSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
    )
    raw = base64.b64decode(example.rsplit(" ", 1)[1])
    note = parse_note(example)
    assert note.text.endswith(":\n\ned è subito sera.\n")
    assert note.unverified == (
        NoteSignature("quasimodo.example/salvatore", int.from_bytes(raw[:4], "big"), raw[4:]),
    )
    assert len(raw) == 4 + 64
    assert note.encode() == example


def test_every_mangled_verifier_key_is_refused() -> None:
    for i in range(len(PETER_VKEY)):
        for j in range(i + 1, len(PETER_VKEY) + 1):
            if (i, j) != (0, len(PETER_VKEY)):
                with pytest.raises(MalformedKeyError):
                    Ed25519Verifier.from_vkey(PETER_VKEY[i:j])
    for i in range(len(PETER_VKEY)):
        mangled = PETER_VKEY[:i] + chr(ord(PETER_VKEY[i]) + 1) + PETER_VKEY[i + 1 :]
        with pytest.raises(MalformedKeyError):
            Ed25519Verifier.from_vkey(mangled)
    wrong_length = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    unknown_type = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    for key in (wrong_length, unknown_type):
        with pytest.raises(MalformedKeyError):
            Ed25519Verifier.from_vkey(key)


def test_every_mangled_signer_key_is_refused() -> None:
    for i in range(0, len(PETER_SKEY), 3):
        for j in range(i + 1, len(PETER_SKEY) + 1, 2):
            if (i, j) != (0, len(PETER_SKEY)):
                with pytest.raises(MalformedKeyError):
                    Ed25519Signer.from_skey(PETER_SKEY[i:j])
    for i in range(len(PETER_SKEY)):
        mangled = PETER_SKEY[:i] + chr(ord(PETER_SKEY[i]) + 1) + PETER_SKEY[i + 1 :]
        with pytest.raises(MalformedKeyError) as exc:
            Ed25519Signer.from_skey(mangled)
        assert "AYEKFALV" not in str(exc.value) + exc.value.key


def test_generated_keys_round_trip_and_sign() -> None:
    signer = Ed25519Signer.generate("log.example/deconflict")
    again = Ed25519Signer.from_skey(signer.skey())
    verifier = Ed25519Verifier.from_vkey(signer.verifier().vkey())
    assert again.verifier() == verifier
    assert "PRIVATE" not in repr(signer)
    note = sign_note("hello\n", again)
    signature = note.signatures[0].signature
    Ed25519PublicKey.from_public_bytes(verifier.public_key).verify(signature, b"hello\n")
    assert open_note(note.encode(), [verifier]).signatures == note.signatures


def test_unsignable_texts_and_names() -> None:
    signer = Ed25519Signer.generate("a")
    with pytest.raises(MalformedNoteError):
        sign_note("no final newline", signer)
    with pytest.raises(MalformedNoteError):
        sign_note("bell\x07\n", signer)
    with pytest.raises(MalformedNoteError):
        Note("unsigned\n").encode()
    for name in ("", "a b", "a+b", "tab\t"):
        with pytest.raises(MalformedKeyError):
            Ed25519Signer.generate(name)
    with pytest.raises(MalformedKeyError):
        Ed25519Verifier("ok", b"\x00" * 31)
