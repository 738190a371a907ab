"""Replay: reading recordings, moving them onto another area, and scheduling them in time."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest

from beast_recordings import QUICKSTART, quickstart_records, recording
from deconflict.ingest.replay import Recorded, Schedule, read_recording, shifted

SAMPLE = Path(__file__).parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"


def state(t_s: float, icao24: str = "abc123", lat: float = 48.0, lon: float = 2.0) -> Recorded:
    return Recorded(t_s, icao24, lat, lon, 9000.0, 220.0, 90.0, 0.0, "AFR1", False)


def test_state_vectors_are_read_in_time_order_in_si_units_with_callsigns(tmp_path: Path) -> None:
    records = [
        {
            "timestamp": 2000,
            "icao24": "B",
            "latitude": 1.0,
            "longitude": 2.0,
            "altitude": 1000,
            "groundspeed": 100,
            "track": 370,
            "vertical_rate": 600,
            "callsign": " AFR2 ",
        },
        {
            "timestamp": 1000,
            "icao24": "a",
            "latitude": 1.0,
            "longitude": 2.0,
            "altitude": 1000,
            "groundspeed": 100,
            "track": 10,
            "vertical_rate": None,
            "onground": True,
        },
        {
            "timestamp": 1500,
            "icao24": "c",
            "latitude": None,
            "longitude": 2.0,
            "altitude": 1000,
            "groundspeed": 100,
            "track": 10,
            "vertical_rate": 0,
        },
    ]
    path = tmp_path / "r.json.gz"
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    first, second = read_recording(path)
    assert (first.t_s, first.icao24, first.callsign, first.on_ground, first.vs_mps) == (
        1.0,
        "a",
        None,
        True,
        0.0,
    )
    assert second.icao24 == "b"
    assert second.callsign == "AFR2"
    assert second.alt_m == pytest.approx(304.8)
    assert second.gs_mps == pytest.approx(100 * 1852 / 3600)
    assert second.vs_mps == pytest.approx(600 * 0.3048 / 60)
    assert second.trk_deg == pytest.approx(10.0)


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/data/adsb")
def test_a_beast_recording_is_read_through_the_decoder() -> None:
    states = read_recording(SAMPLE)
    assert [s.icao24 for s in states] == ["48520a"] * 3
    assert states[0].t_s < states[-1].t_s
    assert states[0].gs_mps == pytest.approx(203.38, abs=0.01)


@pytest.mark.skipif(not QUICKSTART.exists(), reason="needs ../shared/data")
def test_a_beast_recording_made_from_real_traffic_replays_its_aircraft(tmp_path: Path) -> None:
    wire, truths = recording(quickstart_records(seconds=60, flights=5))
    path = tmp_path / "feed.bin"
    path.write_bytes(wire)
    states = read_recording(path)
    assert {s.icao24 for s in states} == {t.icao24 for t in truths}
    assert len(states) >= 0.9 * len(truths)


def test_shifting_centres_the_extent_and_keeps_distances() -> None:
    states = [state(0, lat=48.0, lon=2.0), state(1, lat=49.0, lon=3.0)]
    moved = shifted(states, (10.0, 30.0))
    assert (moved[0].lat + moved[1].lat) / 2 == pytest.approx(10.0)
    assert moved[1].lat - moved[0].lat == pytest.approx(1.0)

    def east_m(s: Recorded, lon: float) -> float:
        return math.radians(lon) * 6_371_000 * math.cos(math.radians(s.lat))

    assert east_m(moved[1], moved[1].lon - 30.0) == pytest.approx(east_m(states[1], 0.5), rel=1e-9)
    assert moved[0].gs_mps == states[0].gs_mps
    assert moved[0].t_s == states[0].t_s


def test_time_is_scaled_by_speed_and_each_state_is_handed_out_once() -> None:
    schedule = Schedule([state(100.0), state(110.0), state(140.0)], speed=10.0)
    assert schedule.next_due_s() == 0.0
    assert [offset for _, offset in schedule.due(0.5)] == [0.0]
    assert schedule.due(0.5) == []
    assert schedule.next_due_s() == pytest.approx(1.0)
    assert [offset for _, offset in schedule.due(10.0)] == pytest.approx([1.0, 4.0])
    assert schedule.finished
    assert schedule.next_due_s() is None


def test_a_looped_replay_starts_again_after_the_last_state() -> None:
    schedule = Schedule([state(0.0), state(4.0)], speed=2.0, loop=True)
    offsets = [offset for _, offset in schedule.due(5.1)]
    assert offsets == pytest.approx([0.0, 2.0, 2.5, 4.5, 5.0])
    assert not schedule.finished


@pytest.mark.parametrize("speed", [0.0, -1.0, math.inf, math.nan])
def test_a_speed_that_is_not_a_positive_number_is_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        Schedule([state(0.0)], speed)
