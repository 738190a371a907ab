"""Escalation and expiry timers on a fake clock, including across a restart."""

from __future__ import annotations

from datetime import timedelta

from test_service_notices import setup, volume

from deconflict.clock import FakeClock
from deconflict.domain import AckState, DisclosureRule, EventKind, NoticeState
from deconflict.service import Service


def escalations(service: Service, party: str) -> list[tuple[int, object, object]]:
    from deconflict.service import Caller

    events = service.list_events(Caller(party), kind=EventKind.ESCALATION).items
    return [(e.data["tier"], e.due_at, e.at) for e in events]


def test_tiers_fire_once_each_at_their_due_time(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    disclosed = clock.now()
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "x")
    assert service.tick() == 0
    clock.advance(899)
    assert service.tick() == 0
    clock.advance(1)
    assert service.tick() == 1
    assert service.tick() == 0
    tier1 = disclosed + timedelta(seconds=900)
    assert escalations(service, "b") == [(1, tier1, tier1)]
    assert service.get_notice(a, notice.id).state is NoticeState.ESCALATED
    assert service.get_notice(a, notice.id).disclosures[0].ack_state is AckState.ESCALATED

    clock.advance(3600)
    assert service.tick() == 1
    tier2 = disclosed + timedelta(seconds=1500)
    assert escalations(service, "a")[1] == (2, tier2, clock.now())
    assert service.tick() == 0

    ack = service.acknowledge(b, notice.id, 1)
    assert ack.late
    assert service.get_notice(a, notice.id).disclosures[0].ack_state is AckState.ACKNOWLEDGED_LATE
    assert service.get_notice(a, notice.id).state is NoticeState.ACKNOWLEDGED


def test_acknowledged_in_time_never_escalates(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "x")
    clock.advance(600)
    service.acknowledge(b, notice.id, 1)
    clock.advance(7200)
    assert service.tick() == 0
    assert escalations(service, "b") == []


def test_escalation_fires_at_operation_start_if_earlier(service: Service, clock: FakeClock) -> None:
    a, _, _, agr = setup(service)
    start = clock.now() + timedelta(seconds=300)
    service.submit_notice(a, agr, [volume(clock, starts_in_s=300)], "soon")
    clock.advance(299)
    assert service.tick() == 0
    clock.advance(1)
    assert service.tick() == 2
    assert [(tier, due) for tier, due, _ in escalations(service, "b")] == [(1, start), (2, start)]


def test_timers_survive_a_restart(database_url: str, clock: FakeClock) -> None:
    first = Service.open(database_url, clock=clock)
    a, _, _, agr = setup(first)
    notice = first.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "x")
    first.close()

    clock.advance(1000)
    second = Service.open(database_url, clock=clock)
    try:
        assert second.tick() == 1
        assert escalations(second, "b")[0][0] == 1
        assert second.get_notice(a, notice.id).state is NoticeState.ESCALATED
    finally:
        second.close()

    third = Service.open(database_url, clock=clock)
    try:
        assert third.tick() == 0
        clock.advance(600)
        assert third.tick() == 1
        assert [tier for tier, _, _ in escalations(third, "b")] == [1, 2]
    finally:
        third.close()


def test_expiry_takes_the_notice_out_of_the_check(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=60, duration_s=600)], "x")
    clock.advance(660)
    service.tick()
    assert service.get_notice(a, notice.id).state is NoticeState.EXPIRED
    later = service.submit_notice(b, agr, [volume(clock, starts_in_s=-60, duration_s=600)], "y")
    assert later.conflicts == ()


def test_scheduler_thread_runs_ticks(service: Service, clock: FakeClock) -> None:
    import time

    a, _, _, agr = setup(service)
    service.submit_notice(a, agr, [volume(clock, starts_in_s=4 * 3600)], "x")
    clock.advance(901)
    service.run_scheduler(interval_s=0.01)
    for _ in range(500):
        if escalations(service, "b"):
            break
        time.sleep(0.01)
    assert [tier for tier, _, _ in escalations(service, "b")] == [1]
