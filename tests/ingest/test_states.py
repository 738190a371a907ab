"""Reading aircraft states: the CSV snapshot, `traffic` state vectors, and choosing a time."""

from __future__ import annotations

import gzip
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from deconflict.errors import InvalidInput
from deconflict.ingest.states import (
    parse_states_csv,
    read_state_vectors,
    read_states,
    state_vectors_from_records,
)

QUICKSTART = Path(__file__).parents[2] / ".." / "shared" / "data" / "traffic" / "quickstart.json.gz"
T0 = datetime(2021, 10, 7, 13, 0, tzinfo=UTC)
T0_MS = 1_633_611_600_000

NAIVE = T0.replace(tzinfo=None)
HEADER = "id,lat,lon,alt_m,gs_mps,trk_deg,vs_mps"

# --- CSV --------------------------------------------------------------------------------


def test_csv_rows_become_states_in_file_order_with_extra_columns_ignored() -> None:
    text = (
        f"note,{HEADER},callsign\n"
        "x,B,1.5,-179.5,3000,210.5,45,-2.5,BAW1\n"
        "\n"
        "y,A,-2,30,100,0,0,0,AFR2\n"
    )
    states = parse_states_csv(text.splitlines(keepends=True))
    assert states.ids == ("B", "A")
    assert states.lat_deg.tolist() == [1.5, -2.0]
    assert states.lon_deg.tolist() == [-179.5, 30.0]
    assert states.alt_m.tolist() == [3000.0, 100.0]
    assert states.gs_mps.tolist() == [210.5, 0.0]
    assert states.trk_deg.tolist() == [45.0, 0.0]
    assert states.vs_mps.tolist() == [-2.5, 0.0]


def test_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_bytes(f"\ufeff{HEADER}\nA,0,0,0,0,0,0\n".encode())
    assert read_states(path).ids == ("A",)


CSV_ERRORS = [
    ("empty file", "", "line 1"),
    (
        "header lacks a column",
        "id,lat,lon,alt_m,gs_mps,trk_deg\nA,0,0,0,0,0\n",
        "line 1: header lacks vs_mps",
    ),
    (
        "not a number",
        f"{HEADER}\nA,0,0,0,0,0,0\nB,north,0,0,0,0,0\n",
        "line 3: lat 'north' is not a number",
    ),
    ("NaN", f"{HEADER}\nA,0,0,nan,0,0,0\n", "line 2: alt_m nan is not finite"),
    ("latitude range", f"{HEADER}\nA,91,0,0,0,0,0\n", "line 2: lat 91 is outside [-90, 90]"),
    (
        "longitude range",
        f"{HEADER}\nA,0,-180.5,0,0,0,0\n",
        "line 2: lon -180.5 is outside [-180, 180]",
    ),
    ("negative speed", f"{HEADER}\nA,0,0,0,-3,0,0\n", "line 2: gs_mps -3 is negative"),
    ("repeated id", f"{HEADER}\nA,0,0,0,0,0,0\n\nA,1,1,0,0,0,0\n", "line 4: id 'A' repeats line 2"),
    ("empty id", f"{HEADER}\n ,0,0,0,0,0,0\n", "line 2: id is empty"),
    ("short row", f"{HEADER}\nA,0,0\n", "line 2: 3 fields, the header has 7"),
]


def test_csv_error_vectors_are_all_listed() -> None:
    assert len(CSV_ERRORS) == 10


@pytest.mark.parametrize(
    ("text", "message"), [v[1:] for v in CSV_ERRORS], ids=[v[0] for v in CSV_ERRORS]
)
def test_bad_csv_is_refused_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_states_csv(text.splitlines(keepends=True))
    assert raised.value.detail.startswith(message)


def test_every_bad_line_is_counted() -> None:
    text = HEADER + "\n" + "".join(f"A{k},95,0,0,0,0,0\n" for k in range(25))
    with pytest.raises(InvalidInput) as raised:
        parse_states_csv(text.splitlines(keepends=True))
    assert raised.value.detail == "line 2: lat 95 is outside [-90, 90] (and 24 more)"
    assert len(raised.value.errors) == 10
    assert raised.value.errors[0].pointer == "/2/lat"


# --- state vectors ------------------------------------------------------------------------


def record(t_s: float, icao24: str = "abc123", **changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "timestamp": T0_MS + round(t_s * 1000),
        "icao24": icao24,
        "callsign": "TEST1",
        "latitude": 48.5,
        "longitude": 2.25,
        "altitude": 10_000.0,
        "groundspeed": 400.0,
        "track": 90.0,
        "vertical_rate": -1_000.0,
        "onground": False,
        "squawk": None,
    }
    return {**base, **changes}


def test_units_are_converted_once_to_si() -> None:
    states = state_vectors_from_records([record(0.0)]).states_at(T0)
    assert states.alt_m.tolist() == [pytest.approx(10_000 * 0.3048)]
    assert states.gs_mps.tolist() == [pytest.approx(400 * 1852 / 3600)]
    assert states.vs_mps.tolist() == [pytest.approx(-1_000 * 0.3048 / 60)]
    assert states.trk_deg.tolist() == [90.0]
    assert (states.lat_deg.tolist(), states.lon_deg.tolist()) == ([48.5], [2.25])


@pytest.mark.parametrize(
    ("records", "expected_lat"),
    [
        pytest.param([record(-5, latitude=1.0), record(-1, latitude=2.0)], 2.0, id="latest wins"),
        pytest.param(
            [record(-1, latitude=2.0), record(-5, latitude=1.0)], 2.0, id="by time, not order"
        ),
        pytest.param(
            [record(-3, latitude=1.0), record(1, latitude=2.0)], 1.0, id="after TIME is ignored"
        ),
        pytest.param([record(-10, latitude=1.0)], 1.0, id="exactly 10 s old is kept"),
        pytest.param([record(-10.001, latitude=1.0)], None, id="older than 10 s is dropped"),
        pytest.param(
            [record(-4, latitude=1.0), record(-2, latitude=2.0, altitude=None)],
            1.0,
            id="incomplete latest: the complete one before",
        ),
        pytest.param(
            [record(-4, latitude=1.0), record(-2, latitude=2.0, onground=True, altitude=None)],
            None,
            id="on the ground now",
        ),
        pytest.param(
            [record(-4, latitude=1.0, onground=True), record(-2, latitude=2.0)], 2.0, id="took off"
        ),
        pytest.param(
            [record(-2, latitude=1.0, onground=None)],
            1.0,
            id="unknown ground state counts as airborne",
        ),
        pytest.param(
            [record(-2, latitude=1.0), record(-2, latitude=2.0)],
            2.0,
            id="same time: the later record",
        ),
        pytest.param([record(-2, latitude=1.0, track=None)], None, id="no complete state"),
    ],
)
def test_states_at_takes_the_latest_airborne_state_at_most_10_s_old(
    records: list[dict[str, object]], expected_lat: float | None
) -> None:
    states = state_vectors_from_records(records).states_at(T0)
    assert states.lat_deg.tolist() == ([] if expected_lat is None else [expected_lat])


def test_states_at_defaults_to_the_last_record_and_keeps_each_aircraft() -> None:
    vectors = state_vectors_from_records(
        [record(-30, "aaa111"), record(-8, "BBB222 "), record(0, "ccc333"), record(-20, "ddd444")]
    )
    assert vectors.states_at().ids == ("bbb222", "ccc333")
    assert vectors.states_at(T0 - timedelta(seconds=25)).ids == ("aaa111",)
    assert vectors.states_at(T0 - timedelta(seconds=18)).ids == ("ddd444",)


def test_timestamps_may_be_iso_strings_with_a_zone() -> None:
    vectors = state_vectors_from_records([record(0, timestamp="2021-10-07T14:59:58+02:00")])
    assert vectors.t_s.tolist() == [(T0 - timedelta(seconds=2)).timestamp()]


RECORD_ERRORS = [
    ("not an object", [record(0), ["x"]], "record 1: expected an object, got list"),
    ("string latitude", [record(0, latitude="48.5")], "record 0: latitude '48.5' is not a number"),
    (
        "boolean speed",
        [record(0), record(0, "b", groundspeed=True)],
        "record 1: groundspeed True is not a number",
    ),
    (
        "latitude range",
        [record(0, latitude=-90.5)],
        "record 0: latitude -90.5 is outside [-90, 90]",
    ),
    ("negative speed", [record(0, groundspeed=-1.0)], "record 0: groundspeed -1.0 is negative"),
    ("no icao24", [record(0, icao24="")], "record 0: icao24 '' is not a non-empty string"),
    ("no timestamp", [record(0, timestamp=None)], "record 0: timestamp None is neither"),
    (
        "naive time",
        [record(0, timestamp="2021-10-07T13:00:00")],
        "record 0: timestamp '2021-10-07T13:00:00'",
    ),
    (
        "odd onground",
        [record(0, onground="no")],
        "record 0: onground 'no' is not true, false or null",
    ),
]


def test_record_error_vectors_are_all_listed() -> None:
    assert len(RECORD_ERRORS) == 9


@pytest.mark.parametrize(
    ("records", "message"), [v[1:] for v in RECORD_ERRORS], ids=[v[0] for v in RECORD_ERRORS]
)
def test_bad_records_are_refused_naming_the_index(records: list[object], message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        state_vectors_from_records(records)
    assert raised.value.detail.startswith(message)


# --- files --------------------------------------------------------------------------------


def records_file(tmp_path: Path, name: str, records: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    data = json.dumps(records).encode()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


@pytest.mark.parametrize("name", ["states.json", "states.json.gz"])
def test_json_and_gzipped_json_files(tmp_path: Path, name: str) -> None:
    path = records_file(tmp_path, name, [record(-1, "aaa111"), record(-3, "bbb222")])
    assert read_states(path, T0).ids == ("aaa111", "bbb222")


def test_parquet_with_a_utc_timestamp_column(tmp_path: Path) -> None:
    rows = [record(-1, "aaa111"), record(-3, "bbb222", altitude=None)]
    table = pa.table(
        {
            "timestamp": pa.array(
                [T0 - timedelta(seconds=1), T0 - timedelta(seconds=3)], pa.timestamp("ms", tz="UTC")
            ),
            **{k: [r[k] for r in rows] for k in rows[0] if k != "timestamp"},
        }
    )
    path = tmp_path / "states.parquet"
    pq.write_table(table, path)
    states = read_states(path, T0)
    assert states.ids == ("aaa111",)
    assert states.alt_m.tolist() == [pytest.approx(3048.0)]


def test_parquet_with_naive_timestamps_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "naive.parquet"
    pq.write_table(
        pa.table({"timestamp": pa.array([NAIVE], pa.timestamp("ms")), "icao24": ["a"]}),
        path,
    )
    with pytest.raises(InvalidInput, match="no time zone"):
        read_states(path)


def test_parquet_error_names_the_record(tmp_path: Path) -> None:
    path = tmp_path / "bad.parquet"
    pq.write_table(
        pa.table({"timestamp": [T0_MS, T0_MS], "icao24": ["a", "b"], "latitude": [1.0, 99.0]}), path
    )
    with pytest.raises(InvalidInput, match=r"^record 1: latitude 99\.0 is outside"):
        read_states(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("states.txt", b"", "unknown format"),
        ("states.json", b"{", "not valid JSON"),
        ("states.json", b'{"a": 1}', "expected a JSON array"),
        ("states.json.gz", b"\x1f\x8bnot gzip", "not valid gzip"),
    ],
)
def test_unreadable_files_are_refused(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message):
        read_states(path)


def test_a_csv_snapshot_takes_no_time(tmp_path: Path) -> None:
    path = tmp_path / "states.csv"
    path.write_text(f"{HEADER}\nA,0,0,0,0,0,0\n")
    with pytest.raises(InvalidInput, match="no times"):
        read_states(path, T0)


# --- the real recording ---------------------------------------------------------------------


@pytest.mark.skipif(
    not QUICKSTART.exists(), reason="needs ../shared/data/traffic/quickstart.json.gz"
)
def test_quickstart_snapshot_matches_a_plain_selection_over_the_raw_records() -> None:
    raw = json.loads(gzip.decompress(QUICKSTART.read_bytes()))
    assert len(raw) == 284_505
    at_ms = T0_MS
    fields = ("latitude", "longitude", "altitude", "groundspeed", "track", "vertical_rate")
    latest: dict[str, dict[str, object]] = {}
    latest_complete: dict[str, dict[str, object]] = {}
    for r in raw:
        if not at_ms - 10_000 <= r["timestamp"] <= at_ms:
            continue
        if r["icao24"] not in latest or r["timestamp"] >= latest[r["icao24"]]["timestamp"]:
            latest[r["icao24"]] = r
        complete = all(r[f] is not None for f in fields) and not r["onground"]
        if complete and (
            r["icao24"] not in latest_complete
            or r["timestamp"] >= latest_complete[r["icao24"]]["timestamp"]
        ):
            latest_complete[r["icao24"]] = r
    expected = {k: v for k, v in latest_complete.items() if not latest[k]["onground"]}

    states = read_states(QUICKSTART, T0)
    assert set(states.ids) == set(expected)
    assert len(states) > 10
    for k, icao in enumerate(states.ids):
        assert states.alt_m[k] == pytest.approx(expected[icao]["altitude"] * 0.3048)  # type: ignore[operator]
        assert states.lat_deg[k] == expected[icao]["latitude"]
        assert math.isfinite(states.vs_mps[k])


@pytest.mark.skipif(
    not QUICKSTART.exists(), reason="needs ../shared/data/traffic/quickstart.json.gz"
)
def test_quickstart_reads_every_record() -> None:
    vectors = read_state_vectors(QUICKSTART)
    assert len(vectors) == 284_505
    assert vectors.onground.sum() == 55_371
