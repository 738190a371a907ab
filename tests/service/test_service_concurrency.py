"""Check and insert are serialised per agreement: simultaneous conflicts see each other."""

from __future__ import annotations

import threading

import pytest
from test_service_notices import setup, volume

from deconflict.clock import FakeClock
from deconflict.domain import DisclosureRule
from deconflict.service import Caller, Service


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
    import deconflict.service.base as base

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
