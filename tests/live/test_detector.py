"""The detection loop on the service clock: alerts raised, cleared, closed with their tracks
and after a restart, each as a log entry and an event heard by the aircraft's parties only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, EventKind
from deconflict.domain.alerts import AlertState
from deconflict.errors import NotFound
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.live import LivePicture, PushedTrack
from deconflict.live.detector import RULES_REFRESH_S
from deconflict.service import ADMIN, Caller, Service

NORTH, SOUTH, EAST = Caller("north"), Caller("south"), Caller("east")


@pytest.fixture
def live(service: Service) -> Iterator[LivePicture]:
    for party in ("north", "south", "east"):
        service.add_party(ADMIN, party.title(), party_id=party)
    terms = AgreementTerms("n-s", ("north", "south"), clear_after_s=3.0)
    service.add_agreement(ADMIN, terms, agreement_id="ns")
    service.add_agreement(ADMIN, AgreementTerms("n-e", ("north", "east")), agreement_id="ne")
    picture = LivePicture(service)
    picture.detector.start(picture.now_s())
    yield picture
    picture.close()


def _fly(
    live: LivePicture,
    caller: Caller,
    track_id: str,
    lon: float,
    trk_deg: float,
    alt_m: float = 9000.0,
) -> None:
    state = PushedTrack(track_id, live.now_s(), 48.0, lon, alt_m, 200.0, trk_deg, 0.0)
    live.push(caller, [state])


def _converge(live: LivePicture) -> None:
    """22 km apart and closing at 400 m/s, level: CPA in about 56 s."""
    _fly(live, NORTH, "n1", 2.0, 90.0)
    _fly(live, SOUTH, "s1", 2.3, 270.0)


def _part(live: LivePicture) -> None:
    _fly(live, NORTH, "n1", 2.0, 270.0)
    _fly(live, SOUTH, "s1", 2.3, 90.0)


def _alert_events(service: Service, caller: Caller) -> list[tuple[EventKind, dict[str, object]]]:
    page = service.list_events(caller, limit=100)
    return [(e.kind, e.data["alert"]) for e in page.items if e.kind.value.startswith("alert")]  # type: ignore[misc]


def test_converging_tracks_raise_an_alert_that_clears_only_after_clear_after_s(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    _converge(live)
    assert live.detect() == 1
    [alert] = service.list_alerts(NORTH)
    assert (alert.state, alert.tier, alert.parties) == (
        AlertState.ACTIVE,
        "warning",
        frozenset({"north", "south"}),
    )
    assert alert.agreement_ids == ("ns",)
    for _ in range(2):  # parted, but not yet for clear_after_s = 3 s
        clock.advance(1)
        _part(live)
        assert live.detect() == 0
    clock.advance(1)
    _part(live)
    assert live.detect() == 1
    [cleared] = service.list_alerts(SOUTH)
    assert (cleared.id, cleared.state, cleared.reason) == (alert.id, AlertState.CLEARED, "cleared")
    kinds = [kind for kind, _ in _alert_events(service, NORTH)]
    assert kinds == [EventKind.ALERT_RAISED, EventKind.ALERT_CLEARED]
    assert _alert_events(service, EAST) == []
    assert service.list_alerts(EAST) == []
    with pytest.raises(NotFound):
        service.get_alert(EAST, alert.id)
    types = [entry["type"] for _, entry in _entries(service)]
    assert types.count("alert.raised") == types.count("alert.cleared") == 1


def test_a_condition_that_returns_within_clear_after_s_keeps_one_alert(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    _converge(live)
    live.detect()
    clock.advance(1)
    _part(live)
    live.detect()
    clock.advance(1)
    _converge(live)
    live.detect()
    assert [a.state for a in service.list_alerts(NORTH)] == [AlertState.ACTIVE]


def test_one_partys_own_aircraft_do_not_alert_by_default(
    live: LivePicture, service: Service
) -> None:
    _fly(live, NORTH, "n1", 2.0, 90.0)
    _fly(live, NORTH, "n2", 2.3, 270.0)
    assert live.detect() == 0
    assert service.list_alerts(ADMIN) == []


def test_a_lost_track_closes_its_alert(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    _converge(live)
    live.detect()
    clock.advance(11)  # both tracks go stale
    live.tick()
    [alert] = service.list_alerts(NORTH)
    assert (alert.state, alert.reason) == (AlertState.CLEARED, "track_lost")


def test_alerts_left_open_by_a_previous_run_are_cleared_at_start(
    live: LivePicture, service: Service
) -> None:
    _converge(live)
    live.detect()
    restarted = LivePicture(service)
    assert restarted.detector.start(restarted.now_s()) == 1
    [alert] = service.list_alerts(NORTH)
    assert (alert.state, alert.reason) == (AlertState.CLEARED, "service_restart")
    restarted.close()


def test_a_track_entering_a_partners_protected_area_alerts_both_and_no_one_else(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    now = clock.now()
    base = Volume(
        Circle(2.2, 48.0, 5000.0),
        AltitudeBand(0.0, 15_000.0),
        TimeWindow(now - timedelta(hours=1), now + timedelta(hours=10)),
    )
    area = service.add_protected_area(SOUTH, "south base", base)
    live.detector.cycle([], live.now_s())  # reads the rules again after RULES_REFRESH_S
    clock.advance(RULES_REFRESH_S)
    _fly(live, NORTH, "n1", 2.0, 90.0)  # 10 km short of the area's edge, at 200 m/s
    # East flies in too, 3 km above north (no tactical alert), but shares no agreement with
    # south, so south's area does not bind it.
    _fly(live, EAST, "e1", 2.0, 90.0, alt_m=12_000.0)
    live.detect()
    [alert] = service.list_alerts(SOUTH)
    assert (alert.kind.value, alert.tier, alert.area_id) == ("intrusion", "entering", area.id)
    assert alert.parties == frozenset({"north", "south"})
    assert alert.agreement_ids == ("ns",)
    assert alert.tcpa_s is not None
    assert 40.0 < alert.tcpa_s < 60.0
    assert service.list_alerts(EAST) == []


def test_a_track_outside_the_notice_it_cites_for_over_10_s_alerts_who_received_it(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    now = clock.now()
    notified = Volume(  # the notice names a region 100 km south of where the track flies
        Circle(2.0, 47.0, 10_000.0),
        AltitudeBand(0.0, 12_000.0),
        TimeWindow(now, now + timedelta(hours=2)),
    )
    notice = service.submit_notice(NORTH, "ns", [notified], "patrol")

    def fly() -> None:
        state = PushedTrack("n1", live.now_s(), 48.0, 2.0, 9000.0, 200.0, 0.0, 0.0)
        live.push(NORTH, [state._replace(notice_id=notice.id)])

    for _ in range(11):  # outside for 10 s: not yet
        fly()
        live.detect()
        clock.advance(1)
    assert service.list_alerts(NORTH) == []
    fly()
    live.detect()
    [alert] = service.list_alerts(SOUTH)
    assert (alert.kind.value, alert.tier, alert.notice_id) == ("conformance", "outside", notice.id)
    assert alert.parties == frozenset({"north", "south"})
    assert alert.dcpa_m is not None
    assert 80_000.0 < alert.dcpa_m < 120_000.0
    assert service.list_alerts(EAST) == []


def test_a_party_not_heard_from_for_channel_silent_after_s_has_a_silent_channel(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    clock.advance(30)
    service.heard_from(SOUTH)
    clock.advance(31)  # north and east not heard from for 61 s, south for 31 s
    live.detect()
    silent = {(a.agreement_ids, a.party): a for a in service.list_alerts(ADMIN)}
    assert set(silent) == {(("ns",), "north"), (("ne",), "north"), (("ne",), "east")}
    ns_north = silent[(("ns",), "north")]
    assert (ns_north.kind.value, ns_north.tier) == ("channel_silent", "silent")
    assert ns_north.parties == frozenset({"north", "south"})
    assert [a.party for a in service.list_alerts(SOUTH)] == ["north"]
    service.heard_from(NORTH)  # north comes back: its alerts clear after each hold
    for _ in range(4):
        clock.advance(1)
        service.heard_from(NORTH)
        live.detect()
    states = {(a.agreement_ids, a.party): a.state for a in service.list_alerts(ADMIN)}
    assert states[(("ns",), "north")] is AlertState.CLEARED  # ns holds for 3 s
    assert states[(("ne",), "north")] is AlertState.ACTIVE  # ne for the default 10 s
    assert states[(("ne",), "east")] is AlertState.ACTIVE


def _entries(service: Service) -> list[tuple[int, dict[str, object]]]:
    import json

    return [(i, json.loads(raw)) for i, raw in service.log_entries(ADMIN, limit=10_000)]
