"""`deconflict adsb decode`: a Beast recording to positions CSV, counts on stderr."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import rs1090
from typer.testing import CliRunner

from beast_recordings import QUICKSTART, quickstart_records, recording
from deconflict.cli.adsb import POSITIONS_CSV_COLUMNS, app
from deconflict.ingest import squitter
from deconflict.ingest.beast import TICKS_PER_S, BeastFrame, Deframer, encode_frame

SAMPLE = Path(__file__).parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"
runner = CliRunner()


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.skipif(not SAMPLE.exists(), reason="needs ../shared/data/adsb")
def test_the_sample_decodes_to_three_rows_that_match_an_independent_decoder() -> None:
    result = runner.invoke(app, ["decode", str(SAMPLE)])
    assert result.exit_code == 0, result.stderr
    header = result.stdout.splitlines()[0]
    assert header.startswith("t_s,icao24,lat,lon,alt_m,gs_mps,trk_deg,vs_mps,callsign")
    assert tuple(header.split(",")) == POSITIONS_CSV_COLUMNS
    frames = Deframer().feed(SAMPLE.read_bytes())
    reference = rs1090.decode([f.message.hex() for f in frames], [f.seconds for f in frames])
    expected = [r for r in reference if r and "latitude" in r]
    found = rows(result.stdout)
    assert len(found) == len(expected) == 3
    for row, ref in zip(found, expected, strict=True):
        assert row["t_s"] == f"{ref['timestamp']:.6f}"
        assert float(row["lat"]) == pytest.approx(ref["latitude"], abs=1e-6)
        assert float(row["lon"]) == pytest.approx(ref["longitude"], abs=1e-6)
        assert float(row["alt_m"]) == pytest.approx(ref["altitude"] * 0.3048, abs=0.1)
        assert row["icao24"] == ref["icao24"]
        assert row["gnss_alt_m"] == ""
    assert float(found[0]["gs_mps"]) == pytest.approx(395.345 * 1852 / 3600, abs=0.01)
    assert found[-1]["callsign"] == "TRA89M"
    assert "frames read: 239" in result.stderr
    assert "bad_parity 6" in result.stderr
    assert "DF17 23" in result.stderr


def test_surface_rows_have_empty_alt_m_and_gnss_rows_fill_gnss_alt_m(tmp_path: Path) -> None:
    icao = "4840d6"
    messages = [
        squitter.airborne_position(icao, 48.85, 2.35, 3000, odd=False, gnss=True),
        squitter.airborne_position(icao, 48.851, 2.35, 3000, odd=True, gnss=True),
        squitter.surface_position("3c6444", 49.0097, 2.5479, 90.0, odd=False),
    ]
    wire = b"".join(
        encode_frame(BeastFrame(0x33, (i + 1) * TICKS_PER_S, 0x80, m))
        for i, m in enumerate(messages)
    )
    path = tmp_path / "feed.bin"
    path.write_bytes(wire)
    out = tmp_path / "positions.csv"
    result = runner.invoke(app, ["decode", str(path), "--receiver", "49.02,2.53", "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    gnss, surface = rows(out.read_text())
    assert gnss["alt_m"] == ""
    assert float(gnss["gnss_alt_m"]) == pytest.approx(3000, abs=8)
    assert surface["icao24"] == "3c6444"
    assert surface["alt_m"] == ""
    assert surface["gnss_alt_m"] == ""
    assert float(surface["lat"]) == pytest.approx(49.0097, abs=1e-4)
    assert surface["t_s"] == "3.000000"


@pytest.mark.skipif(not QUICKSTART.exists(), reason="needs ../shared/data")
def test_a_garbled_recording_decodes_what_is_intact_and_counts_the_rest(tmp_path: Path) -> None:
    wire, truths = recording(quickstart_records(seconds=60, flights=5))
    garbled = bytearray(wire)
    for at in range(500, len(garbled), 997):
        garbled[at] ^= 0x5A
    path = tmp_path / "garbled.bin"
    path.write_bytes(b"\x00garbage" + bytes(garbled) + wire[:11])
    result = runner.invoke(app, ["decode", str(path)])
    assert result.exit_code == 0, result.stderr
    assert 0.5 * len(truths) < len(rows(result.stdout)) < len(truths)
    assert "garbage 0" not in result.stderr
    counts = dict(
        part.rsplit(" ", 1)
        for part in result.stderr.splitlines()[1].removeprefix("skipped: ").split(", ")
    )
    assert int(counts["bad_parity"]) > 0


def test_a_missing_file_or_a_bad_receiver_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["decode", str(tmp_path / "none.bin")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert "none.bin" in result.stderr
    path = tmp_path / "empty.bin"
    path.write_bytes(b"")
    for bad in ("91,0", "1", "a,b", "1,2,3"):
        result = runner.invoke(app, ["decode", str(path), "--receiver", bad])
        assert result.exit_code == 2
        assert "--receiver" in result.stderr
