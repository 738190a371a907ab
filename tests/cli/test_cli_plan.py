"""`deconflict plan check` end to end through the root command line."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deconflict.cli import progress, root
from deconflict.geometry.geodesy import GEOD

runner = CliRunner()


def square(
    fid: object, lon: float, lat: float, start: str, end: str, **props: Any
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [[lon, lat], [lon + 1, lat], [lon + 1, lat + 1], [lon, lat + 1], [lon, lat]]
            ],
        },
        "properties": {
            "alt_lower_m": 0,
            "alt_upper_m": 3000,
            "time_start": start,
            "time_end": end,
            **props,
        },
    }


def circle(fid: str, lon: float, lat: float, radius_m: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "radius_m": radius_m,
            "alt_lower_m": 0,
            "alt_upper_m": 3000,
            "time_start": "2026-06-01T08:00:00Z",
            "time_end": "2026-06-01T09:00:00Z",
        },
    }


def plan_file(tmp_path: Path, features: list[dict[str, Any]]) -> Path:
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


PLAN = [
    square("zulu", 30.0, 30.0, "2026-06-01T08:00:00Z", "2026-06-01T10:00:00Z"),
    square("alpha", 30.5, 30.5, "2026-06-01T09:30:00+02:00", "2026-06-01T11:00:00Z"),
    square("mike", 31.0, 30.0, "2026-06-01T08:00:00Z", "2026-06-01T10:00:00Z"),
    square(7, 50.0, 10.0, "2026-06-01T08:00:00Z", "2026-06-01T10:00:00Z"),
]


def test_plan_check_writes_sorted_pairs(tmp_path: Path) -> None:
    result = runner.invoke(root, ["plan", "check", str(plan_file(tmp_path, PLAN))])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "id1,id2,overlap_start,overlap_end,min_distance_m"
    # zulu [08,10) overlaps alpha [07:30Z,11) on [08,10) and shares an edge with mike
    # (touching: no conflict without a buffer); mike and alpha overlap on [08,10).
    assert rows(result.stdout) == [
        {
            "id1": "alpha",
            "id2": "mike",
            "overlap_start": "2026-06-01T08:00:00Z",
            "overlap_end": "2026-06-01T10:00:00Z",
            "min_distance_m": "0.000",
        },
        {
            "id1": "alpha",
            "id2": "zulu",
            "overlap_start": "2026-06-01T08:00:00Z",
            "overlap_end": "2026-06-01T10:00:00Z",
            "min_distance_m": "0.000",
        },
    ]


def test_buffers_bring_in_touching_and_nearby_volumes(tmp_path: Path) -> None:
    _, _, centres_m = GEOD.inv(20.0, 0.0, 20.2, 0.0)
    features = [*PLAN, circle("c1", 20.0, 0.0, 5000.0), circle("c2", 20.2, 0.0, 5000.0)]
    out = tmp_path / "conflicts.csv"
    gap_m = centres_m - 10_000.0
    result = runner.invoke(
        root,
        [
            "plan",
            "check",
            str(plan_file(tmp_path, features)),
            "--buffer-h",
            str(gap_m + 1.0),
            "--buffer-v",
            "100",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    found = {(r["id1"], r["id2"]): r for r in rows(out.read_text())}
    assert set(found) == {("alpha", "mike"), ("alpha", "zulu"), ("c1", "c2"), ("mike", "zulu")}
    assert float(found[("c1", "c2")]["min_distance_m"]) == pytest.approx(gap_m, abs=0.001)
    assert math.isclose(float(found[("mike", "zulu")]["min_distance_m"]), 0.0)


@pytest.mark.parametrize(
    ("features", "expected"),
    [
        (
            [square("bad", 30.0, 30.0, "2026-06-01T10:00:00Z", "2026-06-01T09:00:00Z")],
            "feature 'bad': /features/0/properties/time_end",
        ),
        (
            [PLAN[0], square("naive", 30.0, 30.0, "2026-06-01T08:00:00", "2026-06-01T09:00:00Z")],
            "feature 'naive': /features/1/properties/time_start",
        ),
        (
            [square("lat", 30.0, 95.0, "2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z")],
            "feature 'lat': /features/0/geometry/coordinates/0/0/1",
        ),
        (
            [
                square(
                    "zulu",
                    30.0,
                    30.0,
                    "2026-06-01T08:00:00Z",
                    "2026-06-01T09:00:00Z",
                    alt_upper_m="high",
                )
            ],
            "feature 'zulu': /features/0/properties/alt_upper_m",
        ),
        (
            [
                {
                    **circle("r", 1.0, 1.0, 10.0),
                    "properties": {**circle("r", 1.0, 1.0, 10.0)["properties"], "radius_m": 0},
                }
            ],
            "feature 'r': /features/0/properties/radius_m",
        ),
        ([{**PLAN[0], "id": None}], "feature #0: /features/0/id"),
        ([PLAN[0], PLAN[0]], "feature 'zulu': /features/1/id"),
    ],
)
def test_malformed_feature_is_one_line_naming_it(
    tmp_path: Path, features: list[dict[str, Any]], expected: str
) -> None:
    result = runner.invoke(root, ["plan", "check", str(plan_file(tmp_path, features))])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {expected}")


def test_not_json_or_not_a_collection_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.geojson"
    path.write_text("{not json")
    assert runner.invoke(root, ["plan", "check", str(path)]).exit_code == 2
    path.write_bytes(b'{"type": "FeatureCollection", "features": "\xff"}')
    not_utf8 = runner.invoke(root, ["plan", "check", str(path)])
    assert not_utf8.exit_code == 2
    assert not_utf8.stderr.startswith(f"error: {path} is not valid JSON")
    path.write_text(json.dumps(PLAN[0]))
    result = runner.invoke(root, ["plan", "check", str(path)])
    assert result.exit_code == 2
    assert "FeatureCollection" in result.stderr
    missing = runner.invoke(root, ["plan", "check", str(tmp_path / "missing.geojson")])
    assert missing.exit_code == 2
    negative = runner.invoke(
        root, ["plan", "check", str(plan_file(tmp_path, PLAN)), "--buffer-h", "-1"]
    )
    assert negative.exit_code == 2
    assert "/horizontal_m" in negative.stderr


# --- progress ----------------------------------------------------------------------------------


def test_on_a_terminal_progress_goes_to_stderr_and_the_csv_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["plan", "check", str(plan_file(tmp_path, PLAN))]
    plain = runner.invoke(root, args)
    assert plain.exit_code == 0
    assert plain.stderr == ""
    monkeypatch.setattr(progress, "stderr_is_terminal", lambda: True)
    shown = runner.invoke(root, args)
    assert shown.exit_code == 0
    assert shown.stdout == plain.stdout
    assert "reading volumes" in shown.stderr
    assert "checking volumes" in shown.stderr
    assert f"{len(PLAN)}/{len(PLAN)}" in shown.stderr


def test_in_a_pipe_plan_check_writes_the_csv_and_nothing_else(tmp_path: Path) -> None:
    path = str(plan_file(tmp_path, PLAN))
    done = subprocess.run(
        [sys.executable, "-c", "from deconflict.cli import main; main()", "plan", "check", path],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stderr == ""
    assert done.stdout == runner.invoke(root, ["plan", "check", path]).stdout


def test_on_a_real_terminal_the_bars_are_drawn_and_erased_on_stderr(tmp_path: Path) -> None:
    """stderr on a pseudo-terminal, stdout to a file: the bars on the one, the CSV on the other."""
    pty = pytest.importorskip("pty")
    path = str(plan_file(tmp_path, PLAN))
    out = tmp_path / "stdout.csv"
    leader, follower = pty.openpty()
    with out.open("wb") as sink:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from deconflict.cli import main; main()",
                "plan",
                "check",
                path,
            ],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=follower,
            env={**os.environ, "TERM": "xterm-256color"},
        )
    os.close(follower)
    drawn = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if not select.select([leader], [], [], 1)[0]:
            continue
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert child.wait(timeout=120) == 0
    assert out.read_text() == runner.invoke(root, ["plan", "check", path]).stdout
    text = drawn.decode()
    assert "reading volumes" in text
    assert "checking volumes" in text
    assert text.endswith("\x1b[2K")  # erased: the cursor is back where the bars began
