"""The track store and the history record: latest state, staleness, thinning, commitment."""

from __future__ import annotations

import hashlib
import json

from deconflict.tracks import Thinner, TrackKey, TrackState, TrackStore, commitment, state_json

NORTH = TrackKey("north", "n1")
PUBLIC = TrackKey(None, "4840d6")


def state(key: TrackKey, t_s: float, **changes: object) -> TrackState:
    base = TrackState(key, t_s, 48.85, 2.35, 9000.0, 220.0, 90.0, 0.0, "push")
    return base._replace(**changes)


def test_the_latest_state_wins_and_older_ones_are_counted_stale() -> None:
    store = TrackStore()
    done = store.update([state(NORTH, 10.0), state(NORTH, 12.0), state(NORTH, 11.0)])
    assert (done.accepted, done.stale) == (2, 1)
    track = store.get(NORTH)
    assert track is not None
    assert track.latest.t_s == 12.0
    assert [s.t_s for s in track.recent] == [10.0]
    again = store.update([state(NORTH, 12.0)])
    assert (again.accepted, again.stale) == (0, 1)


def test_recent_history_is_bounded() -> None:
    store = TrackStore(history=3)
    store.update(state(NORTH, float(t)) for t in range(10))
    track = store.get(NORTH)
    assert track is not None
    assert [s.t_s for s in track.recent] == [6.0, 7.0, 8.0]


def test_a_track_not_heard_for_ten_seconds_is_lost_and_a_ground_track_lasts_longer() -> None:
    store = TrackStore()
    store.update([state(NORTH, 100.0), state(PUBLIC, 100.0, on_ground=True)])
    assert store.expire(110.0) == []
    (lost,) = store.expire(110.5)
    assert lost.key == NORTH
    assert len(store) == 1
    assert [s.key for s in store.expire(161.0)] == [PUBLIC]


def test_latest_filters_and_orders_by_owner_then_id() -> None:
    store = TrackStore()
    keys = [TrackKey("south", "a"), NORTH, PUBLIC, TrackKey("north", "a")]
    store.update(state(k, 1.0) for k in keys)
    assert [s.key for s in store.latest()] == [PUBLIC, TrackKey("north", "a"), NORTH, keys[0]]
    assert [s.key for s in store.latest(lambda s: s.key.party == "north")] == [
        TrackKey("north", "a"),
        NORTH,
    ]


def test_thinning_keeps_the_first_state_then_one_every_five_seconds_per_track() -> None:
    thinner = Thinner(every_s=5.0)
    states = [state(NORTH, t) for t in (0.0, 1.0, 4.9, 5.0, 7.0, 10.5)] + [state(PUBLIC, 3.0)]
    assert [(s.key, s.t_s) for s in thinner.choose(states)] == [
        (NORTH, 0.0),
        (NORTH, 5.0),
        (NORTH, 10.5),
        (PUBLIC, 3.0),
    ]
    thinner.forget([NORTH])
    assert thinner.choose([state(NORTH, 11.0)])[0].t_s == 11.0


def test_the_commitment_is_sha256_of_the_canonical_array_in_party_id_time_order() -> None:
    states = [
        state(NORTH, 1633608000.5, callsign="NRT1"),
        state(PUBLIC, 1633608001.0, icao24="4840d6"),
        state(NORTH, 1633608000.0),
    ]
    ordered = [states[1], states[2], states[0]]

    def es6(value: object) -> object:
        """RFC 8785 writes numbers as ECMAScript does: 9000.0 is 9000; these others as repr."""
        return int(value) if isinstance(value, float) and value.is_integer() else value

    canonical = [{k: es6(v) for k, v in state_json(s).items()} for s in ordered]
    text = json.dumps(canonical, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    assert commitment(states) == hashlib.sha256(text.encode()).hexdigest()
    assert state_json(states[0])["time"] == "2021-10-07T12:00:00.500000Z"
    assert state_json(states[1]) == {
        "party": None,
        "id": "4840d6",
        "time": "2021-10-07T12:00:01Z",
        "lat": 48.85,
        "lon": 2.35,
        "alt_m": 9000.0,
        "gs_mps": 220.0,
        "trk_deg": 90.0,
        "vs_mps": 0.0,
        "icao24": "4840d6",
    }
    assert commitment(list(reversed(states))) == commitment(states)
    assert commitment([states[0]._replace(lat=48.850001), *states[1:]]) != commitment(states)
