"""C2SP checkpoints and cosignatures, against real signed tree heads and by hand-built messages."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from deconflict.log.checkpoint import (
    COSIGNATURE_V1,
    Checkpoint,
    Cosignature,
    CosignatureVerifier,
    Cosigner,
    add_cosignatures,
    cosignature_message,
    open_checkpoint,
    parse_checkpoint,
    parse_verifier,
    sign_checkpoint,
    verify_cosignature,
)
from deconflict.log.errors import (
    InvalidSignatureError,
    MalformedCheckpointError,
    MalformedKeyError,
    NoteError,
)
from deconflict.log.merkle import leaf_hash
from deconflict.log.note import Ed25519Signer, Ed25519Verifier, parse_signature_line

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors/checkpoints.json").read_text()
)
SUMDB = VECTORS["sumdb"]
WITNESSED = VECTORS["witnessed"]
ROOT = leaf_hash(b"root")
AT = datetime(2026, 6, 1, 8, 0, 30, 900_000, tzinfo=UTC)


@pytest.mark.parametrize("v", SUMDB["notes"], ids=lambda v: str(v["size"]))
def test_real_sumdb_checkpoints_verify(v: dict[str, Any]) -> None:
    opened = open_checkpoint(
        v["note"], Ed25519Verifier.from_vkey(SUMDB["vkey"]), origin=SUMDB["origin"]
    )
    assert opened.checkpoint.size == v["size"]
    assert opened.checkpoint.text() == v["note"].split("\n\n")[0] + "\n"
    assert opened.cosignatures == ()


def test_a_real_witnessed_checkpoint_verifies_with_its_cosignature() -> None:
    log = Ed25519Verifier.from_vkey(WITNESSED["log_vkey"])
    witness = CosignatureVerifier.from_vkey(WITNESSED["witness_vkey"])
    opened = open_checkpoint(WITNESSED["note"], log, [witness])
    assert opened.checkpoint.size == WITNESSED["size"]
    assert [(c.name, c.key_id) for c in opened.cosignatures] == [("remora.n621.de", 0xDA77ADE7)]
    line = next(x for x in WITNESSED["note"].splitlines() if x.startswith("— remora.n621.de "))
    raw = base64.b64decode(line.split(" ")[2])
    assert opened.cosignatures[0].timestamp_s == int.from_bytes(raw[4:12], "big")
    # The unknown signatures (an RFC 6962 STH signature, other witnesses) are ignored.
    assert len(opened.note.unverified) == 4
    assert open_checkpoint(WITNESSED["note"], log).cosignatures == ()


def test_a_tampered_real_checkpoint_is_refused() -> None:
    log = Ed25519Verifier.from_vkey(WITNESSED["log_vkey"])
    witness = CosignatureVerifier.from_vkey(WITNESSED["witness_vkey"])
    tampered = WITNESSED["note"].replace("\n1432088532\n", "\n1432088533\n")
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(tampered, log, [witness])


@pytest.mark.parametrize(
    "v", VECTORS["cosignature_timestamps"]["lines"], ids=lambda v: str(v["timestamp_s"])
)
def test_cosignature_timestamps_are_read_from_published_lines(v: dict[str, Any]) -> None:
    cosignature = Cosignature.from_note_signature(parse_signature_line(v["line"]))
    assert cosignature.timestamp_s == v["timestamp_s"]
    assert cosignature.time == datetime.fromtimestamp(v["timestamp_s"], UTC)
    assert cosignature.line() == v["line"]


def test_cosigner_key_ids_use_type_0x04() -> None:
    vkey = WITNESSED["witness_vkey"]
    name, _, key_b64 = vkey.split("+")
    raw = base64.b64decode(key_b64)
    assert raw[0] == COSIGNATURE_V1
    want = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    verifier = CosignatureVerifier.from_vkey(vkey)
    assert verifier.key_id == int.from_bytes(want, "big")
    assert verifier.vkey() == vkey
    assert parse_verifier(vkey) == verifier
    assert parse_verifier(WITNESSED["log_vkey"]) == Ed25519Verifier.from_vkey(WITNESSED["log_vkey"])
    with pytest.raises(MalformedKeyError):
        Ed25519Verifier.from_vkey(vkey)
    with pytest.raises(MalformedKeyError):
        CosignatureVerifier.from_vkey(WITNESSED["log_vkey"])


def test_the_signed_message_matches_the_spec_example() -> None:
    # c2sp.org/tlog-cosignature, "Ed25519 signed message".
    root = base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    checkpoint = Checkpoint("example.com/behind-the-sofa", 20852163, root)
    assert cosignature_message(checkpoint.text().encode(), 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_a_cosignature_signs_the_spec_message() -> None:
    cosigner = Cosigner.generate("witness.example/party-b")
    checkpoint = Checkpoint("log.example/deconflict", 42, ROOT)
    cosignature = cosigner.cosign(checkpoint, AT)
    assert cosignature.timestamp_s == 1780300830
    body = f"log.example/deconflict\n42\n{base64.b64encode(ROOT).decode()}\n"
    assert checkpoint.text() == body
    message = f"cosignature/v1\ntime 1780300830\n{body}".encode()
    public = Ed25519PublicKey.from_public_bytes(cosigner.verifier().public_key)
    public.verify(cosignature.signature, message)
    raw = base64.b64decode(cosignature.line().split(" ")[2])
    assert raw[:4] == cosigner.verifier().key_id.to_bytes(4, "big")
    assert raw[4:12] == (1780300830).to_bytes(8, "big")
    assert raw[12:] == cosignature.signature
    verify_cosignature(checkpoint, cosignature, cosigner.verifier())


def test_the_log_signs_and_two_witnesses_cosign() -> None:
    log = Ed25519Signer.generate("log.example/deconflict")
    a, b = Cosigner.generate("a.example/witness"), Cosigner.generate("b.example/witness")
    checkpoint = Checkpoint("log.example/deconflict", 7, ROOT)
    signed = sign_checkpoint(checkpoint, log)
    cosigned = add_cosignatures(signed, [a.cosign(checkpoint, AT), b.cosign(checkpoint, AT)])
    opened = open_checkpoint(
        cosigned, log.verifier(), [a.verifier(), b.verifier()], origin=checkpoint.origin
    )
    assert opened.checkpoint == checkpoint
    assert {c.name for c in opened.cosignatures} == {a.name, b.name}
    later = datetime(2026, 6, 1, 8, 1, tzinfo=UTC)
    recosigned = add_cosignatures(cosigned, [a.cosign(checkpoint, later)])
    times = {
        c.name: c.time
        for c in open_checkpoint(recosigned, log.verifier(), [a.verifier()]).cosignatures
    }
    assert times == {a.name: later}
    assert recosigned.count("— a.example/witness ") == 1


def test_bad_cosignatures_are_caught() -> None:
    log = Ed25519Signer.generate("log.example/deconflict")
    a = Cosigner.generate("a.example/witness")
    checkpoint = Checkpoint("log.example/deconflict", 7, ROOT)
    other = Checkpoint("log.example/deconflict", 7, leaf_hash(b"split view"))
    forged = a.cosign(other, AT)
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(checkpoint, forged, a.verifier())
    cosigned = add_cosignatures(sign_checkpoint(checkpoint, log), [forged])
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(cosigned, log.verifier(), [a.verifier()])
    stranger = Cosigner.generate("a.example/witness")
    with pytest.raises(InvalidSignatureError):
        verify_cosignature(checkpoint, stranger.cosign(checkpoint, AT), a.verifier())


def test_extension_lines_are_cosigned() -> None:
    log = Ed25519Signer.generate("log.example/deconflict")
    a = Cosigner.generate("a.example/witness")
    checkpoint = Checkpoint("log.example/deconflict", 7, ROOT, ("ext one",))
    cosigned = add_cosignatures(sign_checkpoint(checkpoint, log), [a.cosign(checkpoint, AT)])
    assert open_checkpoint(cosigned, log.verifier(), [a.verifier()]).checkpoint == checkpoint
    changed = Checkpoint("log.example/deconflict", 7, ROOT, ("ext two",))
    assert not a.verifier().verify(
        changed.text().encode(), a.cosign(checkpoint, AT).note_signature().signature
    )


def test_only_the_log_key_makes_a_checkpoint() -> None:
    log = Ed25519Signer.generate("log.example/deconflict")
    impostor = Ed25519Signer.generate("log.example/other")
    a = Cosigner.generate("a.example/witness")
    checkpoint = Checkpoint("log.example/deconflict", 7, ROOT)
    only_witness = add_cosignatures(
        sign_checkpoint(checkpoint, impostor), [a.cosign(checkpoint, AT)]
    )
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(only_witness, log.verifier(), [a.verifier()])
    with pytest.raises(MalformedCheckpointError):
        open_checkpoint(sign_checkpoint(checkpoint, log), log.verifier(), origin="log.example/x")


def test_keys_round_trip_and_refuse_the_wrong_type() -> None:
    a = Cosigner.generate("a.example/witness")
    assert Cosigner.from_skey(a.skey()).verifier() == a.verifier()
    assert "private" not in repr(a).lower()
    with pytest.raises(MalformedKeyError):
        Ed25519Signer.from_skey(a.skey())
    with pytest.raises(MalformedKeyError):
        Cosigner.from_skey(Ed25519Signer.generate("log").skey())


@pytest.mark.parametrize(
    ("desc", "text"),
    [
        ("no final newline", "o\n1\n" + base64.b64encode(ROOT).decode()),
        ("two lines", "o\n1\n"),
        ("leading zero", "o\n01\n" + base64.b64encode(ROOT).decode() + "\n"),
        ("signed size", "o\n+1\n" + base64.b64encode(ROOT).decode() + "\n"),
        ("size not a number", "o\nx\n" + base64.b64encode(ROOT).decode() + "\n"),
        ("root not base64", "o\n1\n!!!!\n"),
        ("root of 31 bytes", "o\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n"),
        ("empty origin", "\n1\n" + base64.b64encode(ROOT).decode() + "\n"),
        ("empty extension line", "o\n1\n" + base64.b64encode(ROOT).decode() + "\n\n"),
    ],
)
def test_malformed_checkpoints(desc: str, text: str) -> None:
    with pytest.raises(MalformedCheckpointError):
        parse_checkpoint(text)


def test_checkpoints_round_trip_and_validate() -> None:
    checkpoint = Checkpoint("log.example/deconflict", 0, ROOT, ("a", "b c"))
    assert parse_checkpoint(checkpoint.text()) == checkpoint
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("o", -1, ROOT)
    with pytest.raises(MalformedCheckpointError):
        Checkpoint("o\nx", 1, ROOT)
    with pytest.raises(NoteError):
        Cosignature("w", 1, -1, bytes(64))
    with pytest.raises(NoteError):
        Cosignature.from_note_signature(
            parse_signature_line("— w " + base64.b64encode(bytes(68)).decode())
        )
