"""The service's Merkle log: every change recorded in its own transaction, provable, co-signed."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_service_notices import setup, volume

from deconflict.clock import FakeClock
from deconflict.domain import DisclosureRule, KeyPurpose
from deconflict.errors import Conflict, InvalidInput
from deconflict.log import (
    Cosignature,
    CosignatureVerifier,
    Cosigner,
    Ed25519Verifier,
    cosignature_message,
    open_checkpoint,
    parse_entry,
    sign_ack,
)
from deconflict.log.merkle import (
    leaf_hash,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage import tables as t


def entries(service: Service, caller: Caller = ADMIN) -> list[tuple[int, str]]:
    return [(i, parse_entry(raw).type) for i, raw in service.log_entries(caller)]


def test_every_change_is_logged_in_order(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "x")
    clock.advance(901)
    service.tick()
    service.acknowledge(b, notice.id, 1, "late, sorry")
    service.cancel_notice(a, notice.id)
    types = [kind for _, kind in entries(service)]
    assert types == [
        "party.added",
        "party.added",
        "party.added",
        "agreement.version",
        "notice.version",
        "disclosure",
        "escalation",
        "ack",
        "notice.version",
        "disclosure",
    ]
    assert [i for i, _ in entries(service)] == list(range(len(types)))
    raw = [entry for _, entry in service.log_entries(ADMIN)]
    assert service.leaf_hashes(0, len(raw)) == [leaf_hash(e) for e in raw]
    ack = parse_entry(raw[7])
    assert ack.party == "b"
    assert ack.refs == (leaf_hash(raw[4]).hex(),)
    assert ack.body["late"] is True


def test_failed_use_cases_log_nothing(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "x")
    service.acknowledge(b, notice.id, 1)
    before = service.log_size()
    with pytest.raises(Conflict):
        service.acknowledge(b, notice.id, 1)
    with pytest.raises(InvalidInput):
        service.submit_notice(a, "nope", [volume(clock)], "x")
    assert service.log_size() == before


def test_parties_read_only_entries_that_concern_them(service: Service, clock: FakeClock) -> None:
    a, b, c, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    hidden = service.submit_notice(a, agr, [volume(clock, lon=20.0)], "undisclosed")
    seen_by_b = [parse_entry(raw) for _, raw in service.log_entries(b)]
    assert all(e.body.get("notice_id") != hidden.id for e in seen_by_b)
    assert any(
        e.body.get("notice_id") == hidden.id
        for e in map(parse_entry, dict(service.log_entries(a)).values())
    )
    assert service.log_entries(c) == [(2, service.log_entries(ADMIN)[2][1])]


def test_a_party_pages_through_exactly_its_entries(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    for lon in (20.0, 35.0, 20.5, 35.02):
        service.submit_notice(a, agr, [volume(clock, lon=lon)], "x")
    with service._engine.connect() as conn:
        granted = conn.execute(
            sa.select(t.log_entry_parties.c.idx).where(t.log_entry_parties.c.party_id == "b")
        ).scalars()
        expected = sorted(int(i) for i in granted)
    everything = dict(service.log_entries(ADMIN))
    assert 0 < len(expected) < len(everything)
    for limit in (1, 2, 3, 1000):
        pages, start = [], 0
        while page := service.log_entries(b, start=start, limit=limit):
            pages += page
            start = page[-1][0] + 1
        assert pages == [(i, everything[i]) for i in expected]


def test_proofs_verify_against_signed_checkpoints(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    first = service.publish_checkpoint(force=True)
    assert first is not None
    log_key = service.log_verifier_key()
    old = open_checkpoint(first, Ed25519Verifier.from_vkey(log_key)).checkpoint
    notice = service.submit_notice(a, agr, [volume(clock)], "x")
    service.acknowledge(b, notice.id, 1)
    assert service.publish_checkpoint() is None
    clock.advance(service.checkpoint_interval_s)
    second = service.publish_checkpoint()
    assert second is not None
    new = open_checkpoint(second, Ed25519Verifier.from_vkey(log_key)).checkpoint
    leaves = service.leaf_hashes(0, new.size)
    assert new.root == root_hash(leaves)
    for index in range(new.size):
        verify_inclusion(
            leaves[index], index, new.size, service.inclusion_proof(index, new.size), new.root
        )
    verify_consistency(
        old.size, new.size, old.root, new.root, service.consistency_proof(old.size, new.size)
    )
    assert service.log_checkpoint() == second


def test_cosignatures_are_verified_and_served(service: Service, clock: FakeClock) -> None:
    a, b, _, _agr = setup(service)
    witness_a = Cosigner.generate("a")
    service.add_key(a, "a", KeyPurpose.COSIGN, _raw_b64(witness_a.verifier()))
    note = service.publish_checkpoint(force=True)
    assert note is not None
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint = open_checkpoint(note, log).checkpoint
    good = witness_a.cosign(checkpoint, clock.now())
    service.add_cosignature(a, checkpoint.size, good.line())
    opened = open_checkpoint(service.log_checkpoint(), log, [witness_a.verifier()])
    assert [c.name for c in opened.cosignatures] == ["a"]
    assert opened.cosignatures[0].time == clock.now().replace(microsecond=0)
    assert service.cosigned_checkpoint(b, "a") == service.log_checkpoint()

    impostor = Cosigner.generate("a")
    with pytest.raises(InvalidInput):
        service.add_cosignature(a, checkpoint.size, impostor.cosign(checkpoint, clock.now()).line())
    with pytest.raises(InvalidInput):
        service.add_cosignature(b, checkpoint.size, good.line())
    stale = witness_a.cosign(checkpoint, clock.now() - timedelta(hours=1))
    with pytest.raises(InvalidInput):
        service.add_cosignature(a, checkpoint.size, stale.line())


def test_a_cosignature_stamped_beyond_any_date_is_refused_as_input(
    service: Service, clock: FakeClock
) -> None:
    a, _, _, _agr = setup(service)
    witness_a = Cosigner.generate("a")
    service.add_key(a, "a", KeyPurpose.COSIGN, _raw_b64(witness_a.verifier()))
    note = service.publish_checkpoint(force=True)
    assert note is not None
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint = open_checkpoint(note, log).checkpoint
    far = 2**62
    signature = witness_a.private_key.sign(cosignature_message(checkpoint.text().encode(), far))
    line = Cosignature("a", witness_a.verifier().key_id, far, signature).line()
    with pytest.raises(InvalidInput, match="not a cosignature line"):
        service.add_cosignature(a, checkpoint.size, line)


def test_a_recosigned_checkpoint_keeps_the_first_cosignature_and_serves_the_latest(
    service: Service, clock: FakeClock
) -> None:
    a, _, _, _agr = setup(service)
    witness_a = Cosigner.generate("a")
    service.add_key(a, "a", KeyPurpose.COSIGN, _raw_b64(witness_a.verifier()))
    note = service.publish_checkpoint(force=True)
    assert note is not None
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint = open_checkpoint(note, log).checkpoint
    start = clock.now().replace(microsecond=0)

    def cosign(offset_s: int) -> None:
        line = witness_a.cosign(checkpoint, start + timedelta(seconds=offset_s)).line()
        service.add_cosignature(a, checkpoint.size, line)

    def kept() -> tuple[float, ...]:
        """(first, latest stored, latest served) cosignature times, seconds after `start`."""
        with service._engine.connect() as conn:
            row = conn.execute(
                sa.select(t.cosignatures.c.first_timestamp, t.cosignatures.c.timestamp)
            ).one()
        served = open_checkpoint(service.log_checkpoint(), log, [witness_a.verifier()])
        return tuple(
            (when - start).total_seconds()
            for when in (row.first_timestamp, row.timestamp, served.cosignatures[0].time)
        )

    cosign(0)
    assert kept() == (0, 0, 0)
    for round_s in (10, 20, 30):
        clock.advance(10)
        cosign(round_s)
        assert kept() == (0, round_s, round_s)
    cosign(25)
    assert kept() == (0, 30, 30), "an older cosignature arriving late is neither first nor latest"
    cosign(-5)
    assert kept() == (-5, 30, 30), "an earlier one arriving late is the first"


def test_signed_acknowledgement_binds_the_recipient_clock(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service)
    key = Ed25519PrivateKey.generate()
    service.add_key(
        b, "b", KeyPurpose.ACK, base64.b64encode(key.public_key().public_bytes_raw()).decode()
    )
    notice = service.submit_notice(a, agr, [volume(clock)], "x")
    notice_leaf = next(
        leaf_hash(raw)
        for _, raw in service.log_entries(b)
        if parse_entry(raw).type == "notice.version"
    )
    received = clock.now() + timedelta(seconds=3)
    wrong = sign_ack(Ed25519PrivateKey.generate(), notice_leaf, received)
    with pytest.raises(InvalidInput) as err:
        service.acknowledge(
            b,
            notice.id,
            1,
            signature_b64=base64.b64encode(wrong).decode(),
            party_received_at=received,
        )
    assert err.value.errors[0].pointer == "/signature"
    good = base64.b64encode(sign_ack(key, notice_leaf, received)).decode()
    ack = service.acknowledge(b, notice.id, 1, signature_b64=good, party_received_at=received)
    assert ack.signature_b64 == good
    (_, raw) = service.log_entries(b)[-1]
    assert parse_entry(raw).body["party_received_at"] == "2026-06-01T08:00:03.000000Z"


def _raw_b64(verifier: CosignatureVerifier) -> str:
    return base64.b64encode(verifier.public_key).decode()


@pytest.mark.parametrize("tamper", ["content", "delete", "swap", "node"])
def test_tampering_is_located(service: Service, clock: FakeClock, tamper: str) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "x")
    service.acknowledge(b, notice.id, 1)
    service.publish_checkpoint(force=True)
    assert service.verify_log() == []
    engine = service._engine
    with engine.begin() as conn:
        rows = conn.execute(sa.select(t.log_entries.c.idx, t.log_entries.c.entry)).all()
        raw = {idx: bytes(entry) for idx, entry in rows}
        if tamper == "content":
            forged = raw[5].replace(b'"reason":"member"', b'"reason":"forged"')
            assert forged != raw[5]
            conn.execute(
                sa.update(t.log_entries).where(t.log_entries.c.idx == 5).values(entry=forged)
            )
        elif tamper == "delete":
            conn.execute(t.log_entry_parties.delete().where(t.log_entry_parties.c.idx == 4))
            conn.execute(t.log_entries.delete().where(t.log_entries.c.idx == 4))
        elif tamper == "swap":
            for idx, other in ((4, 5), (5, 4)):
                conn.execute(
                    sa.update(t.log_entries)
                    .where(t.log_entries.c.idx == idx)
                    .values(entry=raw[other])
                )
        else:
            conn.execute(
                sa.update(t.log_nodes)
                .where(t.log_nodes.c.level == 1)
                .where(t.log_nodes.c.idx == 0)
                .values(hash=b"\x00" * 32)
            )
    where = {p.where for p in service.verify_log()}
    expected = {
        "content": {"entry 5"},
        "delete": {"entry 4"},
        "swap": {"entry 4", "entry 5"},
        "node": {"node 1/0"},
    }[tamper]
    assert expected <= where
