"""Check and insert are serialised per agreement: simultaneous conflicts see each other."""

from __future__ import annotations

import base64
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from test_service_notices import setup, volume

from deconflict.clock import FakeClock
from deconflict.domain import DisclosureRule, KeyPurpose
from deconflict.log import Cosigner, Ed25519Verifier, open_checkpoint
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage import tables as t


@pytest.mark.parametrize("instances", [1, 2])
def test_simultaneous_conflicting_submissions_cannot_both_pass(
    service: Service, database_url: str, clock: FakeClock, instances: int
) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    services = [service] + [Service.open(database_url, clock=clock) for _ in range(instances - 1)]
    try:
        for round_ in range(5):
            barrier = threading.Barrier(2)
            results: dict[str, object] = {}

            def submit(
                caller: Caller,
                svc: Service,
                lon: float,
                barrier: threading.Barrier = barrier,
                results: dict[str, object] = results,
                lat: float = 20.0 + round_,
            ) -> None:
                barrier.wait()
                results[caller.party_id or ""] = svc.submit_notice(
                    caller, agr, [volume(clock, lon=lon, lat=lat)], "race"
                )

            threads = [
                threading.Thread(target=submit, args=(a, services[0], 35.0)),
                threading.Thread(target=submit, args=(b, services[-1], 35.01)),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            found = [len(n.conflicts) for n in results.values()]  # type: ignore[attr-defined]
            assert sorted(found) == [0, 1], f"round {round_}: {found}"
    finally:
        for extra in services[1:]:
            extra.close()


def test_a_failed_commit_leaves_no_phantom_in_the_index(
    service: Service, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import deconflict.storage.log_entries as base

    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    real_append = base.append_entries

    def failing_append(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(base, "append_entries", failing_append)
    with pytest.raises(RuntimeError):
        service.submit_notice(a, agr, [volume(clock)], "never stored")
    monkeypatch.setattr(base, "append_entries", real_append)
    assert service.list_notices(a).items == ()
    assert service.submit_notice(b, agr, [volume(clock)], "same place").conflicts == ()
    first = service.submit_notice(a, agr, [volume(clock)], "stored")
    assert len(service.submit_notice(b, agr, [volume(clock)], "again").conflicts) == 1
    assert first.conflicts[0].other_party == "b"


def test_simultaneous_first_cosignatures_of_one_checkpoint_both_succeed(
    service: Service, database_url: str, clock: FakeClock
) -> None:
    """Two rounds of a witness racing itself (or two instances) on a fresh checkpoint: neither
    request fails, and the first and latest cosignatures kept are the right ones."""
    a, _, _, _ = setup(service)
    witness = Cosigner.generate("a")
    raw = base64.b64encode(witness.verifier().public_key).decode()
    service.add_key(a, "a", KeyPurpose.COSIGN, raw)
    other = Service.open(database_url, clock=clock)
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    try:
        for round_ in range(8):
            service.add_party(ADMIN, f"P{round_}", party_id=f"p{round_}")
            note = service.publish_checkpoint(force=True)
            assert note is not None
            checkpoint = open_checkpoint(note, log).checkpoint
            start = clock.now().replace(microsecond=0)
            lines = [
                witness.cosign(checkpoint, start + timedelta(seconds=s)).line() for s in (0, 1)
            ]
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def cosign(
                svc: Service,
                line: str,
                barrier: threading.Barrier = barrier,
                size: int = checkpoint.size,
                errors: list[BaseException] = errors,
            ) -> None:
                barrier.wait()
                try:
                    svc.add_cosignature(a, size, line)
                except BaseException as exc:
                    errors.append(exc)

            threads = [
                threading.Thread(target=cosign, args=(svc, line))
                for svc, line in zip((service, other), lines, strict=True)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == [], f"round {round_}: {errors}"
            with service._engine.connect() as conn:
                row = conn.execute(
                    sa.select(t.cosignatures.c.first_timestamp, t.cosignatures.c.timestamp).where(
                        t.cosignatures.c.size == checkpoint.size
                    )
                ).one()
            assert (row.first_timestamp, row.timestamp) == (start, start + timedelta(seconds=1))
    finally:
        other.close()


@pytest.mark.parametrize("instances", [1, 2])
def test_amending_while_the_recipient_acknowledges_loses_nothing(
    service: Service, database_url: str, clock: FakeClock, instances: int
) -> None:
    """The amendment writes the notice and then its disclosures; the acknowledgement must take
    its locks in the same order, or PostgreSQL picks one of them to die of a deadlock."""
    from deconflict.errors import Conflict

    a, b, _, agr = setup(service)
    other = Service.open(database_url, clock=clock) if instances == 2 else service
    try:
        for round_ in range(8):
            notice = service.submit_notice(a, agr, [volume(clock, lat=10.0 + round_)], "first")
            barrier = threading.Barrier(2)
            failures: list[BaseException] = []
            outcome: dict[str, object] = {}

            def amend(
                notice_id: str = notice.id,
                barrier: threading.Barrier = barrier,
                outcome: dict[str, object] = outcome,
                failures: list[BaseException] = failures,
                lat: float = 10.0 + round_,
            ) -> None:
                barrier.wait()
                try:
                    outcome["amended"] = service.amend_notice(
                        a, notice_id, [volume(clock, lat=lat, lon=35.5)]
                    )
                except BaseException as exc:
                    failures.append(exc)

            def acknowledge(
                notice_id: str = notice.id,
                barrier: threading.Barrier = barrier,
                outcome: dict[str, object] = outcome,
                failures: list[BaseException] = failures,
            ) -> None:
                barrier.wait()
                try:
                    outcome["ack"] = other.acknowledge(b, notice_id, 1, "seen")
                except Conflict as exc:
                    outcome["ack"] = exc
                except BaseException as exc:
                    failures.append(exc)

            threads = [threading.Thread(target=amend), threading.Thread(target=acknowledge)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert failures == [], f"round {round_}: {failures!r}"
            assert "amended" in outcome
            acks = service.list_acknowledgements(a, notice.id)
            if not isinstance(outcome["ack"], Conflict):
                assert [(x.version, x.party) for x in acks] == [(1, "b")]
    finally:
        if other is not service:
            other.close()
