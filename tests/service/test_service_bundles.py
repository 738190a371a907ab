"""Proof bundles exported from the service's stored log verify offline, and hold what happened
to the notice: every version, disclosure, acknowledgement, escalation and conflict."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_service_notices import setup, volume

from deconflict.cli.timeline import describe, render_timeline
from deconflict.clock import FakeClock
from deconflict.domain import DisclosureRule, KeyPurpose
from deconflict.errors import Conflict, NotFound
from deconflict.evidence import verify_bundle
from deconflict.log import Cosigner, Ed25519Verifier, leaf_hash, open_checkpoint, parse_entry
from deconflict.log.ack import sign_ack
from deconflict.service import Caller, Service


def register(service: Service, caller: Caller) -> Cosigner:
    cosigner = Cosigner.generate(str(caller.party_id))
    key = base64.b64encode(cosigner.verifier().public_key).decode()
    service.add_key(caller, str(caller.party_id), KeyPurpose.COSIGN, key)
    return cosigner


def cosign(service: Service, clock: FakeClock, witnesses: dict[Caller, Cosigner]) -> int:
    """Publish a checkpoint now and have every witness co-sign it; its size."""
    service.publish_checkpoint(force=True)
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint = open_checkpoint(service.log_checkpoint(), log).checkpoint
    for caller, cosigner in witnesses.items():
        line = cosigner.cosign(checkpoint, clock.now()).line()
        service.add_cosignature(caller, checkpoint.size, line)
    return checkpoint.size


def recosign(
    service: Service, clock: FakeClock, witnesses: dict[Caller, Cosigner], size: int
) -> None:
    """Every witness co-signs the checkpoint of `size` again, now."""
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    checkpoint = open_checkpoint(service.log_checkpoint(size), log).checkpoint
    for caller, cosigner in witnesses.items():
        service.add_cosignature(caller, size, cosigner.cosign(checkpoint, clock.now()).line())


def test_an_exported_bundle_verifies_and_holds_the_whole_story(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service)
    witnesses = {a: register(service, a), b: register(service, b)}
    ack_key = Ed25519PrivateKey.generate()
    ack_public = ack_key.public_key().public_bytes_raw()
    service.add_key(b, "b", KeyPurpose.ACK, base64.b64encode(ack_public).decode())
    clock.advance(5)
    cosign(service, clock, witnesses)

    clock.advance(7)
    submitted_at = clock.now()
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "exercise")
    start = submitted_at + timedelta(seconds=4 * 3600)
    clock.advance(3)
    cosigned_with_v1 = clock.now().replace(microsecond=0)
    cosign(service, clock, witnesses)
    clock.advance(901)
    service.tick()
    notice_leaf = next(
        leaf_hash(raw)
        for _, raw in service.log_entries(b)
        if parse_entry(raw).type == "notice.version"
    )
    b_clock = clock.now() - timedelta(seconds=4)
    signature = base64.b64encode(sign_ack(ack_key, notice_leaf, b_clock)).decode()
    service.acknowledge(b, notice.id, 1, "late", signature_b64=signature, party_received_at=b_clock)
    clock.advance(60)
    amended_at = clock.now()
    service.amend_notice(a, notice.id, [volume(clock, starts_in_s=3 * 3600)], "moved")
    clock.advance(2)
    cosign(service, clock, witnesses)

    bundle = json.loads(json.dumps(service.export_bundle(notice.id)))
    timeline = verify_bundle(bundle)

    types = [e.type for e in timeline.events]
    assert types == [
        "notice.version",
        "disclosure",
        "escalation",
        "ack",
        "notice.version",
        "disclosure",
    ]
    assert {p for p, _ in timeline.cosigned_by} == {"a", "b"}
    first, second = timeline.warnings
    assert (first.party, first.version) == ("b", 1)
    assert first.disclosed_at == submitted_at
    assert first.service_s == (start - submitted_at).total_seconds()
    low_s, high_s = {p: (lo, hi) for p, lo, hi in first.witnessed}["b"]
    assert low_s == (start - cosigned_with_v1).total_seconds()
    assert high_s is not None
    assert low_s <= first.service_s <= high_s
    assert second.version == 2
    assert second.service_s == 3 * 3600
    assert second.disclosed_at == amended_at
    text = render_timeline(timeline)
    assert "its own signed receive time" in text
    assert "escalation tier 1 for b" in text


def test_recosigning_an_idle_checkpoint_later_does_not_move_the_after_bound(
    service: Service, clock: FakeClock
) -> None:
    """Witnesses re-co-sign the unchanged checkpoint every round while the log is idle. The
    bundle's `after` bound stays the first cosignature of the first checkpoint holding the
    entry; its `before` bound is the latest cosignature of the last one without it. A checkpoint
    that is `after` for v1 and `before` for v2 is carried with both."""
    a, b, _, agr = setup(service)
    witnesses = {a: register(service, a), b: register(service, b)}
    empty = cosign(service, clock, witnesses)
    clock.advance(10)
    last_without_v1 = clock.now().replace(microsecond=0)
    recosign(service, clock, witnesses, empty)

    clock.advance(5)
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "exercise")
    clock.advance(3)
    first_with_v1 = clock.now().replace(microsecond=0)
    with_v1 = cosign(service, clock, witnesses)
    for _ in range(30):
        clock.advance(10)
        recosign(service, clock, witnesses, with_v1)
    last_without_v2 = clock.now().replace(microsecond=0)
    clock.advance(4)
    service.amend_notice(a, notice.id, [volume(clock, starts_in_s=3 * 3600)], "moved")
    clock.advance(2)
    first_with_v2 = clock.now().replace(microsecond=0)
    cosign(service, clock, witnesses)
    clock.advance(600)
    recosign(service, clock, witnesses, service.log_size())

    bundle = service.export_bundle(notice.id)
    assert [c["note"].split("\n")[1] for c in bundle["cosigned"]].count(str(with_v1)) == 2
    timeline = verify_bundle(json.loads(json.dumps(bundle)))
    for event in timeline.events:
        v1 = event.index < with_v1
        for w in event.witnessed:
            assert w.not_after == (first_with_v1 if v1 else first_with_v2), (event.type, w)
            assert w.not_before == (last_without_v1 if v1 else last_without_v2), (event.type, w)
    assert {p for p, _ in timeline.cosigned_by} == {"a", "b"}
    assert all(at == clock.now().replace(microsecond=0) for _, at in timeline.cosigned_by)


def test_conflicts_raised_by_later_notices_are_in_the_bundle(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    witnesses = {a: register(service, a), b: register(service, b)}
    near = service.submit_notice(a, agr, [volume(clock)], "near")
    clock.advance(10)
    service.submit_notice(b, agr, [volume(clock, lon=35.05)], "overlapping")
    cosign(service, clock, witnesses)
    timeline = verify_bundle(service.export_bundle(near.id))
    (conflict,) = [e for e in timeline.events if e.type == "conflict"]
    assert f"with notice {near.id} of a" in describe(conflict)
    assert [e.type for e in timeline.events] == ["notice.version", "disclosure", "conflict"]


def test_export_reports_each_entry_proved_then_each_entry_bracketed(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    witnesses = {a: register(service, a), b: register(service, b)}
    near = service.submit_notice(a, agr, [volume(clock)], "near")
    service.submit_notice(b, agr, [volume(clock, lon=35.05)], "overlapping")
    cosign(service, clock, witnesses)
    calls: list[tuple[int, int]] = []
    bundle = service.export_bundle(near.id, progress=lambda *call: calls.append(call))
    notice_entries = len(verify_bundle(bundle).events)
    steps = len(bundle["entries"]) + notice_entries
    assert notice_entries == 3
    assert calls == [(done, steps) for done in range(steps + 1)]
    assert bundle == service.export_bundle(near.id)


def test_export_refuses_what_it_cannot_prove(service: Service, clock: FakeClock) -> None:
    a, _, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "x")
    with pytest.raises(Conflict):
        service.export_bundle(notice.id)
    size = cosign(service, clock, {})
    with pytest.raises(NotFound):
        service.export_bundle("ntc_missing")
    service.cancel_notice(a, notice.id)
    with pytest.raises(Conflict) as pending:
        service.export_bundle(notice.id)
    assert pending.value.facts["latest_checkpoint_size"] == size
    cosign(service, clock, {})
    timeline = verify_bundle(service.export_bundle(notice.id))
    assert timeline.cosigned_by == ()
    assert [e.version for e in timeline.events if e.type == "notice.version"] == [1, 2]
    assert len(timeline.warnings) == 1


def test_a_bundle_that_leaves_out_an_entry_of_its_notice_fails(
    service: Service, clock: FakeClock
) -> None:
    """The entries filed under a notice chain by `prev`: drop the acknowledgement, or the
    escalation, from the bundle (with its brackets, so nothing else points at it) and the
    entry after it names what is missing."""
    from deconflict.evidence import BundleError

    a, b, _, agr = setup(service)
    witnesses = {a: register(service, a), b: register(service, b)}
    notice = service.submit_notice(a, agr, [volume(clock)], "drill")
    clock.advance(1000)
    service.tick()  # b's deadline passed: tier 1 fires
    service.acknowledge(b, notice.id, 1, "late, but seen")
    service.amend_notice(a, notice.id, [volume(clock, lon=35.2)])
    clock.advance(3)
    cosign(service, clock, witnesses)
    bundle = service.export_bundle(notice.id)
    verify_bundle(bundle)
    kinds = {e["index"]: parse_entry(e["entry"].encode()).type for e in bundle["entries"]}
    for dropped in ("ack", "escalation"):
        (index,) = [i for i, kind in kinds.items() if kind == dropped]
        cut = json.loads(json.dumps(bundle))
        cut["entries"] = [e for e in cut["entries"] if e["index"] != index]
        cut["brackets"] = [x for x in cut["brackets"] if x["index"] != index]
        with pytest.raises(BundleError, match="an entry of the notice is missing"):
            verify_bundle(cut)
