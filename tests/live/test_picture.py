"""The live picture on a fake clock, without HTTP: pushes, ADS-B positions and their owners,
who sees which track, stale tracks lost, and each minute of history written and committed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, TrackSharing
from deconflict.errors import Forbidden, InvalidInput
from deconflict.ingest.aircraft import Position
from deconflict.live import LivePicture, PushedTrack
from deconflict.service import ADMIN, Caller, Service
from deconflict.tracks import TrackKey, commitment

NORTH, SOUTH, EAST = Caller("north"), Caller("south"), Caller("east")
FEED = "beast://127.0.0.1:30005"


@pytest.fixture
def live(service: Service) -> Iterator[LivePicture]:
    for party in ("north", "south", "east"):
        service.add_party(ADMIN, party.title(), party_id=party)
    service.add_agreement(ADMIN, AgreementTerms("n-s", ("north", "south")), agreement_id="ns")
    service.add_agreement(
        ADMIN,
        AgreementTerms("s-e", ("south", "east"), track_sharing=TrackSharing.ALL_MEMBERS),
        agreement_id="se",
    )
    picture = LivePicture(service)
    yield picture
    picture.close()


def pushed(track_id: str, t_s: float, **changes: object) -> PushedTrack:
    base = PushedTrack(track_id, t_s, 48.85, 2.35, 9000.0, 220.0, 90.0, 0.0)
    return base._replace(**changes)


def position(icao24: str, t_s: float, **changes: object) -> Position:
    base = Position(t_s, icao24, 43.6, 1.4, 10_000.0, None, 230.0, 45.0, 2.5, None, None, False, 17)
    return replace(base, **changes)  # type: ignore[arg-type]


def keys(live: LivePicture, service: Service, caller: Caller) -> set[tuple[str | None, str]]:
    return {(s.key.party, s.key.id) for s in live.visible(service.track_audience(caller))}


def test_a_push_is_the_pushers_own_and_the_admin_may_not_push(
    live: LivePicture, clock: FakeClock
) -> None:
    now = clock.now().timestamp()
    result = live.push(NORTH, [pushed("n1", now), pushed("n2", now - 1)])
    assert (result.accepted, result.stale) == (2, 0)
    (state, _) = live.visible(live.service.track_audience(ADMIN))
    assert (state.key, state.source) == (TrackKey("north", "n1"), "push")
    with pytest.raises(Forbidden):
        live.push(ADMIN, [pushed("x", now)])


def test_older_states_and_duplicate_ids_count_as_stale_and_the_latest_wins(
    live: LivePicture, clock: FakeClock
) -> None:
    now = clock.now().timestamp()
    assert live.push(NORTH, [pushed("n1", now)]).stale == 0
    older = live.push(NORTH, [pushed("n1", now - 1), pushed("n2", now)])
    assert (older.accepted, older.stale) == (1, 1)
    dupes = live.push(
        NORTH, [pushed("n3", now - 2), pushed("n3", now - 0.5), pushed("n3", now - 1)]
    )
    assert (dupes.accepted, dupes.stale) == (1, 2)
    latest = {s.key.id: s.t_s for s in live.visible(live.service.track_audience(NORTH))}
    assert latest == {"n1": now, "n2": now, "n3": now - 0.5}


def test_times_outside_the_window_and_unseen_notices_refuse_the_whole_batch(
    live: LivePicture, clock: FakeClock
) -> None:
    now = clock.now().timestamp()
    batch = [
        pushed("ok", now),
        pushed("ahead", now + 5.001),
        pushed("old", now - 60.001),
        pushed("cites", now, notice_id="ntc_missing"),
    ]
    with pytest.raises(InvalidInput) as caught:
        live.push(NORTH, batch)
    assert [e.pointer for e in caught.value.errors] == [
        "/tracks/1/time",
        "/tracks/2/time",
        "/tracks/3/notice_id",
    ]
    assert len(live) == 0
    edges = live.push(NORTH, [pushed("a", now + 5.0), pushed("b", now - 60.0)])
    assert edges.accepted == 2


def test_who_sees_which_track(live: LivePicture, service: Service, clock: FakeClock) -> None:
    """Own tracks and unattributed traffic always; another party's only through an agreement
    that shares tracks with all members (south-east), never through alerts_only (north-south)."""
    now = clock.now().timestamp()
    for caller in (NORTH, SOUTH, EAST):
        assert caller.party_id is not None
        live.push(caller, [pushed(caller.party_id[0] + "1", now)])
    live.positions(FEED, [position("4840d6", now)])
    public = (None, "4840d6")
    assert keys(live, service, NORTH) == {("north", "n1"), public}
    assert keys(live, service, SOUTH) == {("south", "s1"), ("east", "e1"), public}
    assert keys(live, service, EAST) == {("east", "e1"), ("south", "s1"), public}
    assert len(keys(live, service, ADMIN)) == 4
    service.update_agreement(
        ADMIN,
        "ns",
        AgreementTerms("n-s", ("north", "south"), track_sharing=TrackSharing.ALL_MEMBERS),
    )
    assert keys(live, service, NORTH) == {("north", "n1"), ("south", "s1"), public}
    assert ("east", "e1") not in keys(live, service, NORTH)


def test_adsb_positions_are_owned_by_declared_ranges_then_callsign_prefixes(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    service.declare_aircraft(NORTH, "north", [["3c0000", "3c00ff"]], ["NRT"])
    service.declare_aircraft(SOUTH, "south", [], ["NR", "SOU"])
    now = clock.now().timestamp()
    live.positions(
        FEED,
        [
            position("3c0001", now, callsign="SOU12"),
            position("400001", now, callsign="NRT7"),
            position("400002", now, callsign="NRX7"),
            position("400003", now, callsign="AFR1"),
            position("400004", now),
        ],
    )
    owners = {s.key.id: s.key.party for s in live.visible(service.track_audience(ADMIN))}
    assert owners == {
        "3c0001": "north",
        "400001": "north",
        "400002": "south",
        "400003": None,
        "400004": None,
    }
    (state,) = [s for s in live.visible(service.track_audience(ADMIN)) if s.key.id == "3c0001"]
    assert (state.source, state.icao24, state.callsign, state.alt_m) == (
        FEED,
        "3c0001",
        "SOU12",
        10_000.0,
    )
    service.declare_aircraft(ADMIN, "south", [["400000", "4000ff"]], [])
    live.positions(FEED, [position("400003", now + 1)])
    assert ("south", "400003") in keys(live, service, SOUTH)


def test_surface_positions_are_on_the_ground_and_missing_velocity_is_zero(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    now = clock.now().timestamp()
    live.positions(
        FEED,
        [
            position("aaaaa1", now, surface=True, alt_m=None, gs_mps=5.0, trk_deg=360.0),
            position("aaaaa2", now, gs_mps=None, trk_deg=None, vs_mps=None),
            position("aaaaa3", now, alt_m=None, gnss_alt_m=9500.0),
            position("aaaaa4", now, alt_m=None),
        ],
    )
    found = {s.key.id: s for s in live.visible(service.track_audience(ADMIN))}
    assert set(found) == {"aaaaa1", "aaaaa2", "aaaaa3"}
    ground = found["aaaaa1"]
    assert (ground.on_ground, ground.alt_m, ground.gs_mps, ground.trk_deg) == (True, 0.0, 5.0, 0.0)
    still = found["aaaaa2"]
    assert (still.gs_mps, still.trk_deg, still.vs_mps, still.on_ground) == (0.0, 0.0, 0.0, False)
    assert found["aaaaa3"].alt_m == 9500.0
    assert live.skipped == 1


def test_stale_tracks_are_lost_and_announced(live: LivePicture, clock: FakeClock) -> None:
    subscription = live.subscribe()
    now = clock.now().timestamp()
    live.push(NORTH, [pushed("n1", now), pushed("n2", now)])
    clock.advance(8)
    live.push(NORTH, [pushed("n2", clock.now().timestamp())])
    clock.advance(3)
    assert live.tick() == 1
    updates = subscription.get(0)
    assert [(u.kind, [s.key.id for s in u.states]) for u in updates] == [
        ("track", ["n1", "n2"]),
        ("track", ["n2"]),
        ("track_lost", ["n1"]),
    ]
    assert [s.key.id for s in live.visible(live.service.track_audience(NORTH))] == ["n2"]
    subscription.close()
    assert subscription.get(5) == []


def _entries(service: Service, caller: Caller, start: int) -> list[dict[str, object]]:
    found = []
    for _, raw in service.log_entries(caller, start=start):
        entry = json.loads(raw)
        if entry["type"] == "track.history":
            found.append(entry["body"])
    return found


def test_each_minute_is_written_thinned_and_committed_to_by_one_entry(
    live: LivePicture, service: Service, clock: FakeClock
) -> None:
    start = clock.now()
    assert start.second == 0
    before = service.log_size()
    for second in range(120):
        now = clock.now().timestamp()
        live.push(NORTH, [pushed("n1", now)])
        if second < 30:
            live.push(SOUTH, [pushed("s1", now - 0.5)])
        live.tick()
        clock.advance(1)
    live.tick()  # 08:02:00: the second minute ended
    minutes = [start, start + timedelta(minutes=1)]
    first = service.track_history_states(minutes[0])
    second = service.track_history_states(minutes[1])
    assert [s.t_s - start.timestamp() for s in first if s.key.id == "n1"] == [
        float(t) for t in range(0, 60, 5)
    ]
    assert [s.t_s - start.timestamp() for s in first if s.key.id == "s1"] == [
        t - 0.5 for t in range(0, 30, 5)
    ]
    assert [s.key.id for s in second] == ["n1"] * 12
    bodies = _entries(service, ADMIN, before)
    assert bodies == [
        {
            "minute_start": m.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "minute_end": (m + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "count": len(states),
            "commitment": commitment(states),
        }
        for m, states in zip(minutes, (first, second), strict=True)
    ]
    # Every party reads each minute: the entry names no track and no owner.
    for caller in (NORTH, SOUTH, EAST):
        assert _entries(service, caller, before) == bodies
    assert service.verify_log() == []


def test_old_minutes_go_and_their_entries_stay(
    service: Service, clock: FakeClock, live: LivePicture
) -> None:
    live.history_retention_s = 120.0
    before = service.log_size()
    live.positions(FEED, [position("4840d6", clock.now().timestamp())])
    clock.advance(60)
    live.tick()
    (body,) = _entries(service, EAST, before)
    assert body["count"] == 1
    minute = datetime.fromtimestamp(clock.now().timestamp() - 60, UTC)
    assert len(service.track_history_states(minute)) == 1
    clock.advance(120)
    live.tick()
    assert service.track_history_states(minute) == []
    assert len(_entries(service, ADMIN, before)) == 1  # the log keeps its entry
    assert service.verify_log() == []


def test_a_minute_that_cannot_be_written_is_tried_again(
    service: Service, clock: FakeClock, live: LivePicture, monkeypatch: pytest.MonkeyPatch
) -> None:
    live.push(NORTH, [pushed("n1", clock.now().timestamp())])
    clock.advance(61)
    record = service.record_track_history

    def failing(*args: object) -> None:
        raise RuntimeError("database away")

    monkeypatch.setattr(service, "record_track_history", failing)
    with pytest.raises(RuntimeError):
        live.tick()
    monkeypatch.setattr(service, "record_track_history", record)
    live.tick()
    minute = datetime.fromtimestamp(clock.now().timestamp() - 61, UTC)
    assert len(service.track_history_states(minute)) == 1
