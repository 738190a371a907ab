"""`deconflict detect` end to end, on a throwaway Typer app with the command registered."""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from deconflict.cli.detect import detect
from deconflict.detection.tactical import States, detect_reference

app = typer.Typer()
app.callback()(lambda: None)
app.command()(detect)
runner = CliRunner()

HEADER = "id,lat,lon,alt_m,gs_mps,trk_deg,vs_mps"
ROWS = [
    ("zulu", 0.0, 0.0, 3000.0, 200.0, 90.0, 0.0),
    ("alpha", 0.0, 0.5, 3000.0, 200.0, 270.0, 0.0),
    ("mike", 0.0, 0.02, 3100.0, 150.0, 0.0, 1.0),
    ("far", 40.0, 40.0, 3000.0, 200.0, 90.0, 0.0),
]


def write_csv(tmp_path: Path, rows: list[tuple[object, ...]] = ROWS) -> Path:
    path = tmp_path / "states.csv"
    path.write_text(HEADER + ",remark\n" + "".join(",".join(map(str, r)) + ",x\n" for r in rows))
    return path


def parse_output(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_in_conflicts_out_matching_the_reference(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", str(write_csv(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "id1,id2,tcpa_s,dcpa_m,tin_s,tout_s,los"
    rows = parse_output(result.stdout)
    expected = detect_reference(States.of(*zip(*ROWS, strict=True)))
    assert len(expected) >= 2
    assert [(r["id1"], r["id2"]) for r in rows] == [(c.id1, c.id2) for c in expected]
    for row, conflict in zip(rows, expected, strict=True):
        for name in ("tcpa_s", "dcpa_m", "tin_s", "tout_s"):
            assert float(row[name]) == getattr(conflict, name)
        assert row["los"] == ("true" if conflict.los else "false")


def test_rows_are_sorted_with_id1_before_id2(tmp_path: Path) -> None:
    rows = parse_output(runner.invoke(app, ["detect", str(write_csv(tmp_path))]).stdout)
    pairs = [(r["id1"], r["id2"]) for r in rows]
    assert all(a < b for a, b in pairs)
    assert pairs == sorted(pairs)


def test_separation_options_change_the_answer(tmp_path: Path) -> None:
    path = write_csv(tmp_path)
    wide = parse_output(
        runner.invoke(
            app, ["detect", str(path), "--rpz", "10000000", "--hpz", "1000", "--lookahead", "1"]
        ).stdout
    )
    assert ("alpha", "far") in {(r["id1"], r["id2"]) for r in wide}
    none = parse_output(
        runner.invoke(app, ["detect", str(path), "--rpz", "10", "--lookahead", "0"]).stdout
    )
    assert none == []


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "conflicts.csv"
    result = runner.invoke(app, ["detect", str(write_csv(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert parse_output(out.read_text())[0]["id1"] == "alpha"


def test_traffic_json_at_a_time(tmp_path: Path) -> None:
    base = 1_633_611_600_000
    ft = 1 / 0.3048
    records = [
        {
            "timestamp": base - 2000,
            "icao24": "aaa111",
            "latitude": 0.0,
            "longitude": 0.0,
            "altitude": 3000 * ft,
            "groundspeed": 200 * 3600 / 1852,
            "track": 90.0,
            "vertical_rate": 0.0,
            "onground": False,
        },
        {
            "timestamp": base - 1000,
            "icao24": "bbb222",
            "latitude": 0.0,
            "longitude": 0.3,
            "altitude": 3000 * ft,
            "groundspeed": 200 * 3600 / 1852,
            "track": 270.0,
            "vertical_rate": 0.0,
            "onground": False,
        },
        {
            "timestamp": base + 1000,
            "icao24": "ccc333",
            "latitude": 0.0,
            "longitude": 0.1,
            "altitude": 3000 * ft,
            "groundspeed": 0.0,
            "track": 0.0,
            "vertical_rate": 0.0,
            "onground": False,
        },
    ]
    path = tmp_path / "states.json.gz"
    path.write_bytes(gzip.compress(json.dumps(records).encode()))
    result = runner.invoke(app, ["detect", str(path), "--at", "2021-10-07T13:00:00Z"])
    assert result.exit_code == 0, result.output
    rows = parse_output(result.stdout)
    assert [(r["id1"], r["id2"]) for r in rows] == [("aaa111", "bbb222")]
    assert float(rows[0]["tcpa_s"]) == pytest.approx(6_371_000 * math.radians(0.3) / 400, rel=1e-6)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (f"{HEADER}\nA,0,0,0,0,0,0\nB,0,0,abc,0,0,0\n", [], "line 3: alt_m 'abc' is not a number"),
        (
            f"{HEADER}\nA,0,0,0,0,0,0\n",
            ["--at", "yesterday"],
            "--at: time 'yesterday' is not ISO 8601",
        ),
        (
            f"{HEADER}\nA,0,0,0,0,0,0\n",
            ["--at", "2021-10-07T13:00:00Z"],
            "a CSV snapshot has no times",
        ),
        (f"{HEADER}\nA,0,0,0,0,0,0\n", ["--rpz", "-5"], "rpz_m = -5.0 must be finite and > 0"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, content: str, args: list[str], message: str
) -> None:
    path = tmp_path / "states.csv"
    path.write_text(content)
    result = runner.invoke(app, ["detect", str(path), *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2
    assert "nowhere.csv" in result.stderr
