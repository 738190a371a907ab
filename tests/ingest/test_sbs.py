"""SBS-1 (BaseStation) lines to positions, and every reason to skip a line."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconflict.ingest.sbs import SbsDecoder

STAMP = "2021/10/07,12:00:00.000,2021/10/07,12:00:00.000"


def line(kind: int, address: str = "4840D6", **fields: str) -> str:
    """A MSG line with the named fields filled (callsign, alt, gs, track, lat, lon, vr, squawk,
    ground); every other field empty, as dump1090 writes them."""
    names = [
        "callsign",
        "alt",
        "gs",
        "track",
        "lat",
        "lon",
        "vr",
        "squawk",
        "alert",
        "emergency",
        "spi",
        "ground",
    ]
    values = [fields.get(name, "") for name in names]
    return ",".join(["MSG", str(kind), "1", "1", address, "1", STAMP, *values])


def decode(lines: list[str], start_s: float = 0.0) -> tuple[list, Counter[str], SbsDecoder]:
    decoder = SbsDecoder()
    counts: Counter[str] = Counter()
    times = [start_s + i for i in range(len(lines))]
    return decoder.decode(lines, times, counts), counts, decoder


def test_identification_velocity_and_position_lines_make_one_aircraft_in_si_units() -> None:
    positions, counts, decoder = decode(
        [
            line(1, callsign="AFR123  "),
            line(4, gs="420", track="90.5", vr="-1024"),
            line(6, alt="38000", squawk="7000"),
            line(3, alt="38000", lat="48.85", lon="2.35", ground="0"),
        ]
    )
    (found,) = positions
    assert (found.icao24, found.callsign, found.squawk) == ("4840d6", "AFR123", "7000")
    assert (found.lat, found.lon) == (48.85, 2.35)
    assert found.alt_m == pytest.approx(38000 * 0.3048)
    assert found.gs_mps == pytest.approx(420 * 1852 / 3600)
    assert found.trk_deg == 90.5
    assert found.vs_mps == pytest.approx(-1024 * 0.3048 / 60)
    assert found.t_s == 3.0
    assert found.df is None
    assert not found.surface
    assert decoder.states.aircraft["4840d6"].callsign_t_s == 0.0
    assert counts["lines"] == 4
    assert counts["msg3"] == 1


def test_a_surface_position_has_no_altitude() -> None:
    (found,), _, _ = decode([line(2, gs="12", track="270", lat="49.01", lon="2.55", ground="-1")])
    assert found.surface
    assert found.alt_m is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", None),
        ("garbage", "malformed"),
        ("MSG,3,1,1,4840D6", "malformed"),
        ("STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM", "malformed"),
        (line(9), "unknown_type"),
        (line(3, address="XYZ123", lat="1", lon="1"), "malformed"),
        (line(3, lat="forty", lon="2"), "malformed"),
        (line(3, lat="48.85"), "malformed"),
        (line(3, lat="nan", lon="2"), "malformed"),
        (line(6, squawk="9999"), "malformed"),
        (line(3, lat="91", lon="2"), "out_of_range"),
        (line(4, gs="-5", track="10"), "out_of_range"),
        (line(3, alt="1e9", lat="1", lon="1"), "out_of_range"),
        ("MSG,3," + "x" * 600, "malformed"),
    ],
)
def test_a_bad_line_is_counted_under_its_reason_and_skipped(text: str, reason: str | None) -> None:
    positions, counts, decoder = decode([text])
    assert positions == []
    assert decoder.states.aircraft == {}
    if reason is None:
        assert counts == {}
    else:
        assert counts[reason] == 1
        assert counts["lines"] == 1


def test_a_position_no_aircraft_could_reach_is_implausible() -> None:
    positions, counts, _ = decode(
        [
            line(4, gs="420", track="0"),
            line(3, lat="48.85", lon="2.35"),
            line(3, lat="52.0", lon="2.35"),
        ]
    )
    assert len(positions) == 1
    assert counts["implausible"] == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=5))
def test_arbitrary_text_never_raises(lines: list[str]) -> None:
    decode([",".join(["MSG", "3", *text.split(" ")]) for text in lines] + lines)
