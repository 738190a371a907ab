"""`deconflict witness`, `bundle export|verify` and `log verify` from the command line."""

from __future__ import annotations

import base64
import json
import random
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from deconflict.api import create_app
from deconflict.cli import progress, root
from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, KeyPurpose
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.log import (
    Cosigner,
    Ed25519Signer,
    Ed25519Verifier,
    leaf_hash,
    open_checkpoint,
    sign_ack,
)
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage import tables as t

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"


def run(*args: str) -> Any:
    return CliRunner().invoke(root, list(args), catch_exceptions=False)


def populate(service: Service, now: Any) -> tuple[dict[str, str], str]:
    """Parties a and b, an agreement, and a notice of a's disclosed to b; tokens, notice id."""
    tokens = {}
    for party in ("a", "b"):
        _, tokens[party] = service.add_party(ADMIN, party.upper(), party_id=party)
    agreement = service.add_agreement(ADMIN, AgreementTerms(name="A-B", members=("a", "b")))
    start = now + timedelta(hours=2)
    volume = Volume(
        Circle(35.0, 33.0, 5000.0),
        AltitudeBand(0.0, 3000.0),
        TimeWindow(start, start + timedelta(hours=1)),
    )
    notice = service.submit_notice(Caller("a"), agreement.id, [volume], "drill")
    return tokens, notice.id


# --- witness -----------------------------------------------------------------------------------


def test_keygen_writes_a_private_key_file_and_prints_the_public_key(tmp_path: Path) -> None:
    key_file = tmp_path / "a.key"
    result = run("witness", "keygen", "--party", "a", "--key", str(key_file))
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    cosigner = Cosigner.from_skey(key_file.read_text().strip())
    assert cosigner.name == "a"
    printed = result.stdout.splitlines()[0]
    assert base64.b64decode(printed) == cosigner.verifier().public_key

    again = run("witness", "keygen", "--party", "a", "--key", str(key_file))
    assert again.exit_code == 2
    assert "already exists" in again.stderr
    bad = run("witness", "keygen", "--party", "a b", "--key", str(tmp_path / "x.key"))
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "witness needs --party, --token, --key, --state"),
        (
            ("--party", "a", "--token", "t", "--key", "k", "--state", "s", "--interval", "11"),
            "--interval",
        ),
        (
            ("--party", "a", "--token", "t", "--key", "/nonexistent/k", "--state", "s"),
            "cannot read key file",
        ),
    ],
)
def test_witness_refuses_bad_options_in_one_line(args: tuple[str, ...], message: str) -> None:
    result = run("witness", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.fixture
def serve_http() -> Iterator[Any]:
    """Start the API of a service in a thread; the URL. Servers stop at the end of the test."""
    servers: list[tuple[uvicorn.Server, threading.Thread, socket.socket]] = []

    def start(service: Service) -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        server = uvicorn.Server(
            uvicorn.Config(create_app(service), log_level="warning", lifespan="off")
        )
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        servers.append((server, thread, sock))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    yield start
    for server, thread, sock in servers:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_witness_once_cosigns_then_exits_1_on_a_split_view(serve_http: Any, tmp_path: Path) -> None:
    """Two services on the wall clock share one log key; the witness co-signs one, then is shown
    the other and refuses, keeping evidence."""
    key_file = tmp_path / "a.key"
    public = run("witness", "keygen", "--party", "a", "--key", str(key_file)).stdout.split()[0]
    log_key = Ed25519Signer.generate("deconflict.test/cli").skey()
    urls, tokens = [], []
    services = []
    for name in ("one", "two"):
        service = Service.open(
            f"sqlite:///{tmp_path / name}.db", admin_token=ADMIN_TOKEN, log_key=log_key
        )
        services.append(service)
        party_tokens, _ = populate(service, service.clock.now())
        service.add_key(Caller("a"), "a", KeyPurpose.COSIGN, public)
        service.publish_checkpoint(force=True)
        urls.append(serve_http(service))
        tokens.append(party_tokens["a"])
    state = tmp_path / "state"
    try:
        common = ("--party", "a", "--key", str(key_file), "--state", str(state), "--once")
        first = run("witness", "--url", urls[0], "--token", tokens[0], *common)
        assert first.exit_code == 0, first.stderr
        assert f"co-signed size {services[0].log_size()}" in first.stdout
        log = Ed25519Verifier.from_vkey(services[0].log_verifier_key())
        witness_key = Cosigner.from_skey(key_file.read_text().strip()).verifier()
        served = open_checkpoint(services[0].log_checkpoint(), log, [witness_key])
        assert [c.name for c in served.cosignatures] == ["a"]

        second = run("witness", "--url", urls[1], "--token", tokens[1], *common)
        assert second.exit_code == 1
        assert "ALERT split-view" in second.stderr
        assert "refused to co-sign" in second.stdout
        assert len(list((state / "evidence").iterdir())) == 1

        unreachable = run("witness", "--url", "http://127.0.0.1:9", "--token", "t", *common)
        assert unreachable.exit_code == 1
        assert "cannot reach" in unreachable.stderr
    finally:
        for service in services:
            service.close()


# --- bundles -----------------------------------------------------------------------------------


@pytest.fixture
def exported(
    service: Service, clock: FakeClock, database_url: str, tmp_path: Path
) -> tuple[Path, list[str], str]:
    """A bundle file for a notice co-signed by a and b; the file, the right keys, the notice."""
    _, notice_id = populate(service, clock.now())
    witnesses = {}
    for party in ("a", "b"):
        witnesses[party] = Cosigner.generate(party)
        key = base64.b64encode(witnesses[party].verifier().public_key).decode()
        service.add_key(Caller(party), party, KeyPurpose.COSIGN, key)
    clock.advance(5)
    service.publish_checkpoint(force=True)
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint = open_checkpoint(service.log_checkpoint(), log).checkpoint
    for party, cosigner in witnesses.items():
        line = cosigner.cosign(checkpoint, clock.now()).line()
        service.add_cosignature(Caller(party), checkpoint.size, line)
    out = tmp_path / "bundle.json"
    result = run(
        "bundle", "export", "--notice", notice_id, "--database", database_url, "-o", str(out)
    )
    assert result.exit_code == 0, result.stderr
    keys = [log.vkey(), *(w.verifier().vkey() for w in witnesses.values())]
    return out, keys, notice_id


def test_an_exported_bundle_verifies_offline(exported: tuple[Path, list[str], str]) -> None:
    path, _, notice_id = exported
    result = run("bundle", "verify", str(path), "--trust-embedded")
    assert result.exit_code == 0, result.stderr
    assert f"notice {notice_id}: verified offline against keys in the bundle" in result.stdout
    assert "v1 disclosed to b (member)" in result.stdout
    assert "by the service clock" in result.stdout


def test_trusted_keys_pass_and_other_keys_fail(
    exported: tuple[Path, list[str], str], tmp_path: Path
) -> None:
    path, keys, _ = exported
    trust = tmp_path / "trust.txt"
    trust.write_text("# keys from the parties' own records\n" + "\n".join(keys) + "\n")
    good = run("bundle", "verify", str(path), "--trust", str(trust))
    assert good.exit_code == 0, good.stderr
    assert "verified offline against trusted keys given separately" in good.stdout

    other_log = Ed25519Signer.generate("deconflict.local/other").verifier().vkey()
    trust.write_text("\n".join([other_log, *keys[1:]]) + "\n")
    wrong_log = run("bundle", "verify", str(path), "--trust", str(trust))
    assert wrong_log.exit_code == 1
    assert "bundle does not verify: keys.log" in wrong_log.stderr

    trust.write_text("\n".join([keys[0], Cosigner.generate("a").verifier().vkey(), keys[2]]))
    wrong_witness = run("bundle", "verify", str(path), "--trust", str(trust))
    assert wrong_witness.exit_code == 1
    assert "keys.witnesses[0]" in wrong_witness.stderr

    trust.write_text("not-a-key\n")
    malformed = run("bundle", "verify", str(path), "--trust", str(trust))
    assert malformed.exit_code == 2
    assert f"{trust}:1:" in malformed.stderr


def test_a_modified_bundle_fails_naming_what(
    exported: tuple[Path, list[str], str], tmp_path: Path
) -> None:
    path, _, _ = exported
    document = json.loads(path.read_text())
    (position,) = [i for i, e in enumerate(document["entries"]) if '"member"' in e["entry"]]
    entry = document["entries"][position]
    entry["entry"] = entry["entry"].replace('"member"', '"memBer"')
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(document))
    result = run("bundle", "verify", str(forged), "--trust-embedded")
    assert result.exit_code == 1
    assert f"bundle does not verify: entries[{position}]" in result.stderr
    forged.write_text("{")
    assert run("bundle", "verify", str(forged), "--trust-embedded").exit_code == 2
    assert (
        run("bundle", "verify", str(tmp_path / "missing.json"), "--trust-embedded").exit_code == 2
    )


def test_verify_without_pinned_keys_exits_2_and_says_so(
    exported: tuple[Path, list[str], str], tmp_path: Path
) -> None:
    path, keys, _ = exported
    result = run("bundle", "verify", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: the keys are not pinned: give --trust KEYS_FILE, the log's and the parties' "
        "vkeys obtained separately, or --trust-embedded to verify against the keys inside the "
        "bundle\n"
    )
    trust = tmp_path / "trust.txt"
    trust.write_text("\n".join(keys) + "\n")
    both = run("bundle", "verify", str(path), "--trust", str(trust), "--trust-embedded")
    assert both.exit_code == 2
    assert "give --trust or --trust-embedded, not both" in both.stderr


def test_trust_embedded_warns_then_verifies_with_the_keys_in_the_bundle(
    exported: tuple[Path, list[str], str],
) -> None:
    path, _, notice_id = exported
    result = run("bundle", "verify", str(path), "--trust-embedded")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: verifying against the keys inside the bundle, which anyone who forged it would "
        "have made; this shows the bundle consistent, not who signed it (pin keys with --trust)"
    ]
    assert f"notice {notice_id}: verified offline against keys in the bundle" in result.stdout


def test_a_pinned_log_key_that_did_not_sign_is_refused_naming_both_keys(
    exported: tuple[Path, list[str], str], tmp_path: Path
) -> None:
    path, keys, _ = exported
    pinned = Ed25519Signer.generate("deconflict.local/log").verifier().vkey()
    trust = tmp_path / "trust.txt"
    trust.write_text("\n".join([pinned, *keys[1:]]) + "\n")
    result = run("bundle", "verify", str(path), "--trust", str(trust))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: bundle does not verify: keys.log: the checkpoint is signed by log key {keys[0]}, "
        f"which is not the pinned log key ({pinned}), and no log.key rotation entry in the "
        "bundle reaches it from one\n"
    )


@pytest.fixture
def story(service: Service, clock: FakeClock, database_url: str, tmp_path: Path) -> Path:
    """A bundle file (as `bundle export` writes it) of a notice with a story: a and b co-sign
    before it, after its disclosure to b, and after b's signed, late acknowledgement and a's
    amendment, so the bundle holds earlier co-signed checkpoints and brackets of every kind."""
    for party in ("a", "b"):
        service.add_party(ADMIN, party.upper(), party_id=party)
    agreement = service.add_agreement(ADMIN, AgreementTerms(name="A-B", members=("a", "b")))
    witnesses = {}
    for party in ("a", "b"):
        witnesses[party] = Cosigner.generate(party)
        key = base64.b64encode(witnesses[party].verifier().public_key).decode()
        service.add_key(Caller(party), party, KeyPurpose.COSIGN, key)
    ack_key = Ed25519PrivateKey.generate()
    ack_public = base64.b64encode(ack_key.public_key().public_bytes_raw()).decode()
    service.add_key(Caller("b"), "b", KeyPurpose.ACK, ack_public)
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())

    def cosign() -> None:
        clock.advance(5)
        service.publish_checkpoint(force=True)
        checkpoint = open_checkpoint(service.log_checkpoint(), log).checkpoint
        for party, cosigner in witnesses.items():
            line = cosigner.cosign(checkpoint, clock.now()).line()
            service.add_cosignature(Caller(party), checkpoint.size, line)

    def volume(starts_in_s: int) -> Volume:
        start = clock.now() + timedelta(seconds=starts_in_s)
        window = TimeWindow(start, start + timedelta(hours=1))
        return Volume(Circle(35.0, 33.0, 5000.0), AltitudeBand(0.0, 3000.0), window)

    cosign()
    notice = service.submit_notice(Caller("a"), agreement.id, [volume(4 * 3600)], "drill")
    cosign()
    clock.advance(901)
    service.tick()
    (notice_leaf,) = [
        leaf_hash(raw)
        for _, raw in service.log_entries(Caller("b"))
        if b'"type":"notice.version"' in raw
    ]
    received = clock.now() - timedelta(seconds=4)
    signature = base64.b64encode(sign_ack(ack_key, notice_leaf, received)).decode()
    service.acknowledge(
        Caller("b"), notice.id, 1, "late", signature_b64=signature, party_received_at=received
    )
    service.amend_notice(Caller("a"), notice.id, [volume(3 * 3600)], "moved")
    cosign()
    out = tmp_path / "story.json"
    result = run(
        "bundle", "export", "--notice", notice.id, "--database", database_url, "-o", str(out)
    )
    assert result.exit_code == 0, result.stderr
    return out


def _pairs(raw: bytes) -> Any:
    """The parsed document with every object as its list of (name, value) pairs, so a repeated
    name makes it differ; None if `raw` is not JSON."""
    try:
        return json.loads(raw.decode("utf-8"), object_pairs_hook=list)
    except ValueError:
        return None


def test_100_random_single_byte_tampers_of_an_exported_bundle_are_all_detected(
    story: Path, tmp_path: Path
) -> None:
    """Each counted tamper replaces one byte and leaves valid JSON that parses to another
    document; one that leaves it unparseable or equal (in whitespace, say) is drawn again."""
    raw = story.read_bytes()
    document = _pairs(raw)
    verified = run("bundle", "verify", str(story), "--trust-embedded")
    assert verified.exit_code == 0, verified.stderr
    bundle = json.loads(raw)
    assert len(bundle["cosigned"]) >= 2
    assert len(bundle["brackets"]) == 2 * len(
        [e for e in bundle["entries"] if "party.key" not in e["entry"]]
    )
    rng = random.Random(14)
    tampered = tmp_path / "tampered.json"
    drawn, unparseable, equal, detected = 0, 0, 0, []
    while len(detected) < 100 and drawn < 10_000:
        drawn += 1
        position = rng.randrange(len(raw))
        byte = rng.choice([b for b in range(256) if b != raw[position]])
        changed = raw[:position] + bytes([byte]) + raw[position + 1 :]
        parsed = _pairs(changed)
        if parsed is None:
            unparseable += 1
            continue
        if parsed == document:
            equal += 1
            continue
        tampered.write_bytes(changed)
        result = run("bundle", "verify", str(tampered), "--trust-embedded")
        context = (position, raw[max(0, position - 20) : position + 20], bytes([byte]))
        assert result.exit_code == 1, context
        assert "error: bundle does not verify: " in result.stderr, context
        detected.append(result.stderr)
    assert len(detected) == 100, (drawn, unparseable, equal)


def test_export_refuses_unknown_notices_and_missing_databases(
    service: Service, clock: FakeClock, database_url: str, tmp_path: Path
) -> None:
    populate(service, clock.now())
    service.publish_checkpoint(force=True)
    out = str(tmp_path / "b.json")
    unknown = run("bundle", "export", "--notice", "ntc_x", "--database", database_url, "-o", out)
    assert unknown.exit_code == 2
    assert "ntc_x" in unknown.stderr
    nothing = run("bundle", "export", "--notice", "n", "--data-dir", str(tmp_path / "e"), "-o", out)
    assert nothing.exit_code == 2
    assert "no deconflict database" in nothing.stderr


def test_export_draws_progress_on_a_terminals_stderr_only(
    exported: tuple[Path, list[str], str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path, _, notice_id = exported
    again = tmp_path / "again.json"
    args = ["bundle", "export", "--notice", notice_id, "--database", database_url, "-o", str(again)]
    plain = run(*args)
    assert plain.stderr == ""
    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: True)
    shown = run(*args)
    assert shown.exit_code == 0
    assert "proving entries" in shown.stderr
    assert shown.stdout == plain.stdout
    assert json.loads(again.read_text())["entries"] == json.loads(path.read_text())["entries"]


# --- log verify --------------------------------------------------------------------------------


def test_log_verify_draws_progress_on_a_terminals_stderr_only(
    service: Service, clock: FakeClock, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    populate(service, clock.now())
    service.publish_checkpoint(force=True)
    size = service.log_size()
    plain = run("log", "verify", "--database", database_url)
    assert plain.exit_code == 0
    assert plain.stderr == ""
    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: True)
    shown = run("log", "verify", "--database", database_url)
    assert shown.exit_code == 0
    assert "checking log entries" in shown.stderr
    assert f"{size}/{size}" in shown.stderr
    assert shown.stdout == plain.stdout


def test_log_verify_reports_a_tampered_database_by_index(
    service: Service, clock: FakeClock, database_url: str
) -> None:
    populate(service, clock.now())
    service.publish_checkpoint(force=True)
    clean = run("log", "verify", "--database", database_url)
    assert clean.exit_code == 0, clean.stderr
    assert f"log verified: {service.log_size()} entries" in clean.stdout

    with service._engine.begin() as conn:
        raw = conn.execute(
            sa.select(t.log_entries.c.entry).where(t.log_entries.c.idx == 3)
        ).scalar_one()
        forged = bytes(raw).replace(b'"drill"', b'"rally"')
        assert forged != bytes(raw)
        conn.execute(sa.update(t.log_entries).where(t.log_entries.c.idx == 3).values(entry=forged))
    tampered = run("log", "verify", "--database", database_url)
    assert tampered.exit_code == 1
    assert "entry 3: content does not match its leaf hash" in tampered.stdout
    assert "the log does not verify" in tampered.stderr


def test_log_verify_lists_index_column_and_reader_problems_as_it_lists_the_others(
    service: Service, clock: FakeClock, database_url: str
) -> None:
    """A changed `type` column, or a reader row moved to another party, used to pass."""
    populate(service, clock.now())
    service.publish_checkpoint(force=True)
    entries, readers = t.log_entries.c, t.log_entry_parties.c
    with service._engine.begin() as conn:
        conn.execute(sa.update(t.log_entries).where(entries.idx == 3).values(type="conflict"))
        conn.execute(
            sa.update(t.log_entry_parties)
            .where(readers.idx == 0)
            .where(readers.party_id == "a")
            .values(party_id="b")
        )
    tampered = run("log", "verify", "--database", database_url)
    assert tampered.exit_code == 1
    assert tampered.stdout.splitlines() == [
        "entry 0: not readable by 'a', whom it concerns",
        "entry 0: readable by 'b', whom it does not concern",
        "entry 3: type column is 'conflict', the entry says 'notice.version'",
    ]
    assert "the log does not verify: 3 problem(s)" in tampered.stderr
