"""Mode S frames to positions: parity, CPR, state per aircraft, and every reason to skip."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest
import rs1090

from beast_recordings import QUICKSTART, quickstart_records, recording
from deconflict.ingest import squitter
from deconflict.ingest.adsb import ModeSDecoder, decode_beast
from deconflict.ingest.aircraft import GLOBAL_PAIR_MAX_S
from deconflict.ingest.beast import MLAT_COUNTER, TICKS_PER_S, BeastFrame, Deframer
from deconflict.ingest.cpr import airborne_global, local, number_of_longitude_zones
from deconflict.ingest.parity import KnownAddresses, remainders

SAMPLE = Path(__file__).parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"
needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/data/adsb")
needs_quickstart = pytest.mark.skipif(not QUICKSTART.exists(), reason="needs ../shared/data")
ICAO = "4840d6"


def long_frame(message: bytes, t_s: float) -> BeastFrame:
    """A long frame whose counter is t_s + 1 s (a zero counter would mark it as MLAT)."""
    return BeastFrame(0x33, round((t_s + 1.0) * TICKS_PER_S), 0x80, message)


def decode(
    decoder: ModeSDecoder, messages: list[tuple[float, bytes]], source: str = ""
) -> tuple[list, Counter[str]]:
    counts: Counter[str] = Counter()
    frames = [long_frame(m, t) for t, m in messages]
    return decoder.decode(frames, [t for t, _ in messages], counts, source), counts


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = math.radians(lat2 - lat1) * 6_371_000
    dx = math.radians(lon2 - lon1) * 6_371_000 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


# --- parity -------------------------------------------------------------------------------


@needs_sample
def test_every_extended_squitter_in_the_sample_has_zero_remainder() -> None:
    frames = Deframer().feed(SAMPLE.read_bytes())
    df17 = [f.message for f in frames if f.message[0] >> 3 == 17]
    assert len(df17) == 23
    assert remainders(df17).tolist() == [0] * 23


def test_one_flipped_bit_anywhere_changes_the_remainder() -> None:
    message = squitter.airborne_velocity(ICAO, 200.0, 90.0, 0.0)
    flipped = []
    for bit in range(len(message) * 8):
        damaged = bytearray(message)
        damaged[bit // 8] ^= 0x80 >> (bit % 8)
        flipped.append(bytes(damaged))
    assert all(r != 0 for r in remainders(flipped).tolist())


def test_an_address_parity_reply_is_trusted_only_for_an_address_heard_with_plain_parity() -> None:
    known = KnownAddresses(keep_s=60.0)
    altitude_reply = bytes.fromhex("20000f1f684a6c")  # DF4; its remainder is its address
    address = int(remainders([altitude_reply])[0])
    assert known.trusted_address(altitude_reply, address, 0.0) is None
    known.heard(address, 10.0)
    assert known.trusted_address(altitude_reply, address, 50.0) == address
    assert known.trusted_address(altitude_reply, address, 71.0) is None


# --- CPR ----------------------------------------------------------------------------------


def test_number_of_longitude_zones_at_known_latitudes() -> None:
    assert [number_of_longitude_zones(lat) for lat in (0, 10.47047130, 45, 86.9, 87, 89)] == [
        59,
        58,
        42,
        2,
        2,
        1,
    ]


@pytest.mark.parametrize(
    ("lat", "lon"), [(48.85, 2.35), (-33.9, 151.2), (0.1, -179.9), (64.1, -21.9), (1.0, 0.0)]
)
def test_global_and_local_decoding_give_back_what_was_encoded(lat: float, lon: float) -> None:
    even = rs1090.decode(squitter.airborne_position(ICAO, lat, lon, 9000, odd=False).hex())
    odd = rs1090.decode(squitter.airborne_position(ICAO, lat, lon, 9000, odd=True).hex())
    pair = ((even["lat_cpr"], even["lon_cpr"]), (odd["lat_cpr"], odd["lon_cpr"]))
    for latest_is_odd in (False, True):
        found = airborne_global(*pair, latest_is_odd=latest_is_odd)
        assert found is not None
        assert distance_m(lat, lon, *found) < 10.0
    near = local(pair[1], True, (lat + 1.0, lon - 1.0))
    assert distance_m(lat, lon, *near) < 10.0


# --- the decoder --------------------------------------------------------------------------


@needs_sample
def test_the_sample_decodes_to_the_positions_an_independent_decoder_finds() -> None:
    frames = Deframer().feed(SAMPLE.read_bytes())
    reference = rs1090.decode([f.message.hex() for f in frames], [f.seconds for f in frames])
    expected = [
        value
        for r in reference
        if r and "latitude" in r
        for value in (r["timestamp"], r["latitude"], r["longitude"])
    ]
    positions, counts = decode_beast([SAMPLE.read_bytes()])
    assert [v for p in positions for v in (p.t_s, p.lat, p.lon)] == pytest.approx(expected)
    assert len(positions) == 3
    assert {p.icao24 for p in positions} == {"48520a"}
    assert positions[-1].callsign == "TRA89M"
    assert positions[0].alt_m == pytest.approx(38000 * 0.3048)
    assert counts["frames"] == 239
    assert sum(v for k, v in counts.items() if k.startswith("df")) + counts["bad_parity"] == 239


@needs_quickstart
def test_frames_made_from_real_traffic_decode_where_an_independent_decoder_agrees() -> None:
    wire, truths = recording(quickstart_records(seconds=240, flights=25))
    frames = Deframer().feed(wire)
    reference = rs1090.decode([f.message.hex() for f in frames], [f.seconds for f in frames])
    theirs = {
        (r["timestamp"], r["icao24"]): (r["latitude"], r["longitude"])
        for r in reference
        if r and "latitude" in r
    }
    positions, counts = decode_beast([wire])
    ours = {(p.t_s, p.icao24): (p.lat, p.lon) for p in positions}
    assert len(theirs) > 1500
    assert set(theirs) <= set(ours)
    for key, position in theirs.items():
        assert ours[key] == pytest.approx(position, abs=1e-9)
    truth = {(t.t_s, t.icao24): t for t in truths}
    for p in positions:
        made = truth[(p.t_s, p.icao24)]
        assert distance_m(made.lat, made.lon, p.lat, p.lon) < 10.0
        assert p.alt_m == pytest.approx(made.alt_m, abs=8.0)
    assert len(positions) >= 0.98 * len(truths)
    assert counts["implausible"] == 0
    assert counts["bad_parity"] == 0


def test_the_first_fix_needs_an_even_and_odd_pair_at_most_ten_seconds_apart() -> None:
    even = squitter.airborne_position(ICAO, 48.85, 2.35, 9000, odd=False)
    odd = squitter.airborne_position(ICAO, 48.86, 2.35, 9000, odd=True)
    positions, counts = decode(ModeSDecoder(), [(0.0, even), (GLOBAL_PAIR_MAX_S + 0.5, odd)])
    assert positions == []
    assert counts["cpr_unresolved"] == 2
    positions, _ = decode(ModeSDecoder(), [(0.0, even), (GLOBAL_PAIR_MAX_S - 0.5, odd)])
    assert len(positions) == 1
    assert distance_m(48.86, 2.35, positions[0].lat, positions[0].lon) < 10.0


def test_after_the_first_fix_a_single_message_decodes_locally() -> None:
    decoder = ModeSDecoder()
    pair = [
        (0.0, squitter.airborne_position(ICAO, 48.85, 2.35, 9000, odd=False)),
        (1.0, squitter.airborne_position(ICAO, 48.851, 2.35, 9000, odd=True)),
    ]
    decode(decoder, pair)
    later = squitter.airborne_position(ICAO, 48.95, 2.40, 9000, odd=False)
    positions, counts = decode(decoder, [(60.0, later)])
    assert len(positions) == 1
    assert counts["cpr_unresolved"] == 0
    assert distance_m(48.95, 2.40, positions[0].lat, positions[0].lon) < 10.0


def test_a_jump_no_aircraft_could_fly_is_refused_and_counted_as_implausible() -> None:
    decoder = ModeSDecoder()
    decode(
        decoder,
        [
            (0.0, squitter.airborne_velocity(ICAO, 220.0, 0.0, 0.0)),
            (0.5, squitter.airborne_position(ICAO, 48.85, 2.35, 9000, odd=False)),
            (1.0, squitter.airborne_position(ICAO, 48.851, 2.35, 9000, odd=True)),
        ],
    )
    far_pair = [
        (2.0, squitter.airborne_position(ICAO, 49.90, 2.35, 9000, odd=False)),
        (2.5, squitter.airborne_position(ICAO, 49.90, 2.35, 9000, odd=True)),
    ]
    positions, counts = decode(decoder, far_pair)
    assert positions == []
    assert counts["implausible"] == 2
    assert decoder.states.aircraft[ICAO].lat == pytest.approx(48.851, abs=1e-4)


def test_surface_positions_need_the_receiver_position() -> None:
    messages = [(0.0, squitter.surface_position(ICAO, 49.0097, 2.5479, 270.0, odd=False))]
    positions, counts = decode(ModeSDecoder(), messages)
    assert positions == []
    assert counts["surface_no_receiver"] == 1
    positions, _ = decode(ModeSDecoder(receiver=(49.02, 2.53)), messages)
    (found,) = positions
    assert found.surface
    assert found.alt_m is None
    assert distance_m(49.0097, 2.5479, found.lat, found.lon) < 10.0


def test_gnss_height_positions_carry_gnss_alt_m_and_no_barometric_altitude() -> None:
    pair = [
        (0.0, squitter.airborne_position(ICAO, 48.85, 2.35, 3000, odd=False, gnss=True)),
        (1.0, squitter.airborne_position(ICAO, 48.851, 2.35, 3000, odd=True, gnss=True)),
    ]
    (found,) = decode(ModeSDecoder(), pair)[0]
    assert found.alt_m is None
    assert found.gnss_alt_m == pytest.approx(3000, abs=8.0)


def test_velocity_callsign_and_squawk_are_carried_with_the_next_position() -> None:
    decoder = ModeSDecoder()
    messages = [
        (0.0, squitter.identification(ICAO, "AFR123")),
        (0.1, squitter.airborne_velocity(ICAO, 230.0, 45.0, -5.0)),
        (0.2, squitter.airborne_position(ICAO, 48.85, 2.35, 9000, odd=False)),
        (0.3, squitter.airborne_position(ICAO, 48.851, 2.35, 9000, odd=True)),
    ]
    (found,) = decode(decoder, messages)[0]
    assert found.callsign == "AFR123"
    assert found.gs_mps == pytest.approx(230.0, abs=1.0)
    assert found.trk_deg == pytest.approx(45.0, abs=0.5)
    assert found.vs_mps == pytest.approx(-5.0, abs=0.4)
    plane = decoder.states.aircraft[ICAO]
    assert (plane.callsign_t_s, plane.velocity_t_s, plane.position_t_s) == (0.0, 0.1, 0.3)


def test_bad_parity_mode_ac_and_mlat_frames_are_counted_and_skipped() -> None:
    position = squitter.airborne_position(ICAO, 48.85, 2.35, 9000, odd=False)
    damaged = bytes([position[0], position[1] ^ 0x01]) + position[2:]
    frames = [
        long_frame(damaged, 0.0),
        BeastFrame(0x31, 100, 0x80, b"\x12\x34"),
        BeastFrame(0x33, MLAT_COUNTER, 0x80, position),
        BeastFrame(0x33, 0, 0x80, position),
    ]
    counts: Counter[str] = Counter()
    assert ModeSDecoder().decode(frames, [0.0] * 4, counts) == []
    assert (counts["bad_parity"], counts["mode_ac"], counts["mlat"]) == (1, 1, 2)
    assert counts["frames"] == 4


def test_an_unreadable_frame_with_good_parity_is_undecodable_and_results_stay_aligned() -> None:
    unreadable = squitter.with_parity(bytes.fromhex("8d4840d6a0fff407cc7f8b"))
    assert rs1090.decode(unreadable.hex()) is None
    velocity = squitter.airborne_velocity(ICAO, 230.0, 45.0, 0.0)
    pair = [
        squitter.airborne_position(ICAO, 48.85, 2.35, 9000, odd=False),
        squitter.airborne_position(ICAO, 48.851, 2.35, 9000, odd=True),
    ]

    def dropping(messages: list[str]) -> object:
        return [m for m in (rs1090.decode(messages)) if m is not None]

    for batch in (lambda m: rs1090.decode(m), dropping):
        decoder = ModeSDecoder(batch_decoder=batch)
        found, counts = decode(
            decoder, [(0.0, velocity), (0.1, unreadable), (0.2, pair[0]), (0.3, pair[1])]
        )
        assert counts["undecodable"] == 1
        assert len(found) == 1
        assert found[0].gs_mps == pytest.approx(230.0, abs=1.0)


def test_one_transmission_heard_by_two_receivers_is_decoded_once() -> None:
    decoder = ModeSDecoder()
    velocity = squitter.airborne_velocity(ICAO, 230.0, 45.0, 0.0)
    _, first = decode(decoder, [(0.0, velocity)], source="north")
    _, second = decode(decoder, [(0.4, velocity)], source="south")
    _, again = decode(decoder, [(0.6, velocity)], source="north")
    _, later = decode(decoder, [(2.0, velocity)], source="south")
    assert (first["df17"], second["duplicate"], again["df17"], later["df17"]) == (1, 1, 1, 1)
