"""Notices through the service: disclosure, acks, short notice, amendment, cancellation."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.clock import FakeClock
from deconflict.domain import (
    AckState,
    AgreementTerms,
    DisclosureRule,
    EventKind,
    NoticeKind,
    NoticeState,
)
from deconflict.errors import Conflict, Forbidden, InvalidInput, NotFound
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.service import ADMIN, Caller, IdempotencyMismatch, Service


def volume(
    clock: FakeClock,
    *,
    lon: float = 35.0,
    lat: float = 33.0,
    radius_m: float = 10_000.0,
    starts_in_s: float = 7200.0,
    duration_s: float = 3600.0,
    lower_m: float = 1000.0,
    upper_m: float = 5000.0,
) -> Volume:
    start = clock.now() + timedelta(seconds=starts_in_s)
    return Volume(
        Circle(lon, lat, radius_m),
        AltitudeBand(lower_m, upper_m),
        TimeWindow(start, start + timedelta(seconds=duration_s)),
    )


def setup(
    service: Service,
    disclosure: DisclosureRule = DisclosureRule.ALL_MEMBERS,
    **terms: object,
) -> tuple[Caller, Caller, Caller, str]:
    """Parties a, b (members) and c (outsider), and an agreement between a and b."""
    callers = []
    for pid in ("a", "b", "c"):
        party, _token = service.add_party(ADMIN, f"Party {pid.upper()}", party_id=pid)
        callers.append(Caller(party.id))
    agreement = service.add_agreement(
        ADMIN,
        AgreementTerms(
            name="A-B",
            members=("a", "b"),
            min_lead_time_s=3600,
            ack_deadline_s=900,
            escalation_after_s=(0, 600),
            buffer_h_m=5000,
            buffer_v_m=300,
            disclosure=disclosure,
            **terms,  # type: ignore[arg-type]
        ),
    )
    a, b, c = callers
    return a, b, c, agreement.id


def test_submit_discloses_to_members_and_ack_closes_the_clock(
    service: Service, clock: FakeClock
) -> None:
    a, b, c, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "training")
    assert notice.state is NoticeState.SUBMITTED
    assert [d.party for d in notice.disclosures] == ["b"]
    disclosure = notice.disclosures[0]
    assert disclosure.disclosed_at == clock.now()
    assert disclosure.lead_time_s == 7200.0
    assert not disclosure.short_notice
    assert disclosure.ack_due_at == clock.now() + timedelta(seconds=900)
    assert disclosure.first_fetched_at is None

    clock.advance(30)
    listed = service.list_notices(b).items
    assert [n.id for n in listed] == [notice.id]
    assert listed[0].disclosures[0].first_fetched_at == clock.now()

    clock.advance(60)
    ack = service.acknowledge(b, notice.id, 1, "seen")
    assert ack.received_at == clock.now() - timedelta(seconds=60)
    assert ack.acknowledged_at == clock.now()
    assert not ack.late
    assert service.get_notice(a, notice.id).state is NoticeState.ACKNOWLEDGED
    assert service.get_notice(a, notice.id).disclosures[0].ack_state is AckState.ACKNOWLEDGED

    clock.advance(5)
    with pytest.raises(Conflict) as repeated:
        service.acknowledge(b, notice.id, 1)
    assert repeated.value.facts["acknowledged_at"] == ack.acknowledged_at

    with pytest.raises(NotFound):
        service.get_notice(c, notice.id)
    with pytest.raises(NotFound):
        service.acknowledge(c, notice.id, 1)
    with pytest.raises(NotFound):
        service.acknowledge(a, notice.id, 1)


def test_short_notice_is_flagged_with_the_measured_lead_time(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock, starts_in_s=60)], "scramble")
    (disclosure,) = notice.disclosures
    assert disclosure.short_notice
    assert disclosure.lead_time_s == 60.0
    events = service.list_events(b, kind=EventKind.SHORT_NOTICE).items
    assert len(events) == 1
    assert events[0].data["lead_time_s"] == 60.0
    assert events[0].data["min_lead_time_s"] == 3600
    assert service.list_events(a, kind=EventKind.SHORT_NOTICE).items == events


def test_lead_time_is_measured_from_disclosure_not_from_submission(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    first = service.submit_notice(a, agr, [volume(clock, starts_in_s=5400)], "patrol")
    assert first.disclosures == ()
    clock.advance(3000)
    second = service.submit_notice(b, agr, [volume(clock, starts_in_s=3600)], "transit")
    assert [d.party for d in second.disclosures] == ["a"]
    seen_by_b = service.get_notice(b, first.id)
    (disclosure,) = seen_by_b.disclosures
    assert disclosure.reason == "conflict"
    assert disclosure.lead_time_s == 2400.0
    assert disclosure.short_notice


def test_affected_rule_discloses_only_on_conflict_and_both_ways(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    far = service.submit_notice(a, agr, [volume(clock, lon=30.0)], "far away")
    near = service.submit_notice(a, agr, [volume(clock)], "near")
    assert far.disclosures == ()
    assert near.disclosures == ()
    with pytest.raises(NotFound):
        service.get_notice(b, near.id)

    mine = service.submit_notice(b, agr, [volume(clock, lon=35.05)], "overlapping")
    (report,) = mine.conflicts
    assert report.other_id == near.id
    assert report.other_party == "a"
    assert report.min_distance_m == 0.0
    assert report.altitude_overlap_m == (1000.0, 5000.0)
    assert [d.party for d in mine.disclosures] == ["a"]
    assert service.get_notice(b, near.id).id == near.id
    with pytest.raises(NotFound):
        service.get_notice(b, far.id)
    conflict_events = service.list_events(a, kind=EventKind.CONFLICT).items
    assert [e.notice_id for e in conflict_events] == [mine.id]
    assert service.list_events(b, kind=EventKind.CONFLICT).items == conflict_events


def test_own_notices_do_not_conflict_with_each_other(service: Service, clock: FakeClock) -> None:
    a, _, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    service.submit_notice(a, agr, [volume(clock)], "one")
    second = service.submit_notice(a, agr, [volume(clock)], "two")
    assert second.conflicts == ()


def test_buffers_widen_the_check(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    service.submit_notice(a, agr, [volume(clock, lat=33.0, radius_m=10_000)], "north")
    gap_4km = 33.0 - (20_000 + 4_000) / 111_000
    near = service.submit_notice(b, agr, [volume(clock, lat=gap_4km, radius_m=10_000)], "x")
    assert len(near.conflicts) == 1
    assert 3500 < near.conflicts[0].min_distance_m < 4500
    gap_7km = 33.0 - (20_000 + 7_000) / 111_000
    far = service.submit_notice(b, agr, [volume(clock, lat=gap_7km, radius_m=10_000)], "y")
    assert far.conflicts == ()


def test_protected_area_makes_its_owner_affected(service: Service, clock: FakeClock) -> None:
    a, b, c, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    forever = TimeWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    area = service.add_protected_area(
        b, "airbase", Volume(Circle(36.0, 34.0, 20_000), AltitudeBand(0, 10_000), forever)
    )
    assert [p.id for p in service.list_protected_areas(a)] == [area.id]
    assert service.list_protected_areas(c) == []
    notice = service.submit_notice(a, agr, [volume(clock, lon=36.1, lat=34.0)], "strike")
    assert [(r.other_kind, r.other_id) for r in notice.conflicts] == [("protected_area", area.id)]
    assert [d.party for d in notice.disclosures] == ["b"]
    assert service.get_notice(b, notice.id).conflicts[0].other_id == area.id


def test_hazard_is_reported_to_the_originator(service: Service, clock: FakeClock) -> None:
    a, b, c, agr = setup(service, disclosure=DisclosureRule.AFFECTED)
    window = TimeWindow(clock.now(), clock.now() + timedelta(days=1))
    hazard = service.add_hazard(
        b, agr, "SAM site", Volume(Circle(35.5, 33.5, 40_000), AltitudeBand(0, 20_000), window)
    )
    assert [h.id for h in service.list_hazards(a)] == [hazard.id]
    assert service.list_hazards(c) == []
    notice = service.submit_notice(a, agr, [volume(clock, lon=35.5, lat=33.5)], "recce")
    assert [(r.other_kind, r.other_party) for r in notice.conflicts] == [("hazard", None)]
    assert notice.disclosures == ()


def test_amendment_reaches_earlier_recipients_and_needs_a_new_ack(
    service: Service, clock: FakeClock
) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "v1")
    service.acknowledge(b, notice.id, 1)
    clock.advance(60)
    amended = service.amend_notice(a, notice.id, [volume(clock, lon=35.2)], "v2")
    assert (amended.version, amended.previous_version, amended.kind) == (
        2,
        1,
        NoticeKind.AMENDMENT,
    )
    assert amended.state is NoticeState.SUBMITTED
    assert [d.ack_state for d in amended.disclosures] == [AckState.PENDING]
    assert service.get_notice(b, notice.id).version == 2
    assert service.get_notice(b, notice.id, 1).purpose == "v1"
    service.acknowledge(b, notice.id, 2)
    assert service.get_notice(a, notice.id).state is NoticeState.ACKNOWLEDGED


def test_cancellation_is_a_version_and_blocks_amendment(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "v1")
    cancelled = service.cancel_notice(a, notice.id, "weather")
    assert (cancelled.version, cancelled.kind, cancelled.state) == (
        2,
        NoticeKind.CANCELLATION,
        NoticeState.CANCELLED,
    )
    assert [d.party for d in cancelled.disclosures] == ["b"]
    service.acknowledge(b, notice.id, 2)
    with pytest.raises(Conflict):
        service.amend_notice(a, notice.id, [volume(clock)], "again")
    with pytest.raises(Conflict):
        service.cancel_notice(a, notice.id)
    again = service.submit_notice(b, agr, [volume(clock)], "same place")
    assert again.conflicts == ()


def test_other_parties_cannot_amend_or_cancel(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    notice = service.submit_notice(a, agr, [volume(clock)], "v1")
    with pytest.raises(NotFound):
        service.amend_notice(b, notice.id, [volume(clock)], "hijack")
    with pytest.raises(NotFound):
        service.cancel_notice(b, notice.id)
    assert service.get_notice(a, notice.id).version == 1


def test_unknown_or_foreign_agreement_is_invalid_input(service: Service, clock: FakeClock) -> None:
    _, _, c, agr = setup(service)
    for caller, agreement_id in ((c, agr), (c, "nope")):
        with pytest.raises(InvalidInput) as err:
            service.submit_notice(caller, agreement_id, [volume(clock)], "x")
        assert err.value.errors[0].pointer == "/agreement_id"
    with pytest.raises(Forbidden):
        service.submit_notice(ADMIN, agr, [volume(clock)], "x")


def test_past_operation_and_empty_notice_are_refused(service: Service, clock: FakeClock) -> None:
    a, _, _, agr = setup(service)
    with pytest.raises(InvalidInput) as err:
        service.submit_notice(a, agr, [volume(clock, starts_in_s=-7200)], "late")
    assert err.value.errors[0].pointer == "/volumes/0/properties/time_end"
    with pytest.raises(InvalidInput):
        service.submit_notice(a, agr, [], "nothing")
    assert service.list_notices(a).items == ()


def test_idempotency_key(service: Service, clock: FakeClock) -> None:
    a, _, _, agr = setup(service)
    v = [volume(clock)]
    first = service.submit_notice(a, agr, v, "x", idempotency_key="k1", request_digest="d1")
    again = service.submit_notice(a, agr, v, "x", idempotency_key="k1", request_digest="d1")
    assert again.id == first.id
    assert again.version == 1
    with pytest.raises(IdempotencyMismatch):
        service.submit_notice(a, agr, v, "y", idempotency_key="k1", request_digest="d2")
    assert len(service.list_notices(a).items) == 1


def test_drafts_are_not_disclosed_until_submitted(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    draft = service.submit_notice(a, agr, [volume(clock)], "plan", draft=True)
    assert draft.state is NoticeState.DRAFT
    assert draft.disclosures == ()
    with pytest.raises(NotFound):
        service.get_notice(b, draft.id)
    submitted = service.submit_draft(a, draft.id)
    assert submitted.state is NoticeState.SUBMITTED
    assert service.get_notice(b, draft.id).id == draft.id
    with pytest.raises(Conflict):
        service.submit_draft(a, draft.id)


def test_pagination_walks_every_notice_once(service: Service, clock: FakeClock) -> None:
    a, b, _, agr = setup(service)
    ids = set()
    for i in range(7):
        ids.add(service.submit_notice(a, agr, [volume(clock, lon=30 + i)], f"n{i}").id)
        clock.advance(1)
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list_notices(b, limit=3, cursor=cursor)
        seen.extend(n.id for n in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids)
    assert len(seen) == 7
    assert service.list_notices(a, role="recipient").items == ()
    assert len(service.list_notices(b, role="recipient").items) == 7


def test_agreement_visibility_and_versions(service: Service, clock: FakeClock) -> None:
    a, _, c, agr = setup(service)
    assert [g.id for g in service.list_agreements(a)] == [agr]
    assert service.list_agreements(c) == []
    with pytest.raises(NotFound):
        service.get_agreement(c, agr)
    old = service.get_agreement(a, agr)
    terms = replace(old.terms, buffer_h_m=20_000.0)
    updated = service.update_agreement(ADMIN, agr, terms)
    assert updated.version == 2
    assert service.get_agreement(a, agr).terms.buffer_h_m == 20_000.0
    assert service.get_agreement(a, agr, 1).terms.buffer_h_m == 5000.0
    with pytest.raises(Forbidden):
        service.update_agreement(a, agr, terms)
    with pytest.raises(InvalidInput) as err:
        service.add_agreement(ADMIN, AgreementTerms(name="x", members=("a", "zz")))
    assert err.value.errors[0].pointer == "/members/1"
