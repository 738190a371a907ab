"""Aircraft states from files: a CSV snapshot in SI units, or recorded `traffic` state vectors.

The CSV has a header naming at least `id,lat,lon,alt_m,gs_mps,trk_deg,vs_mps` (other columns
are ignored). State vectors are the `traffic` library's columns in their native units:
`timestamp` (milliseconds since the Unix epoch, or an ISO 8601 time with a zone), `icao24`,
`latitude`, `longitude`, `altitude` (ft), `groundspeed` (kt), `track` (deg),
`vertical_rate` (ft/min) and `onground`, as a JSON array of objects (optionally gzip'd) or a
Parquet file. Units are converted once, here; what leaves this module is SI.

A recorded state vector with a missing value (null) is not an error, only an incomplete state
that is never chosen; a value of the wrong type or out of range is an error, reported with the
CSV line number or the record's index.
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from deconflict.arrays import Bools, Floats, Ints
from deconflict.clock import require_utc
from deconflict.detection.tactical import States
from deconflict.errors import FieldError, InvalidInput
from deconflict.times import parse_iso
from deconflict.units import feet_per_minute_to_mps, feet_to_m, knots_to_mps

__all__ = [
    "MAX_STATE_AGE_S",
    "STATES_CSV_COLUMNS",
    "StateVectors",
    "parse_states_csv",
    "read_state_vectors",
    "read_states",
    "state_vectors_from_records",
]

STATES_CSV_COLUMNS = ("id", "lat", "lon", "alt_m", "gs_mps", "trk_deg", "vs_mps")
MAX_STATE_AGE_S = 10.0
"""How old the latest state of an aircraft may be and still describe it now."""

_LISTED_ERRORS = 10
_PARQUET_INSTALL = "pip install 'deconflict[traffic]'"


class _Errors:
    """The first few errors of a file, and how many there were."""

    def __init__(self) -> None:
        self.listed: list[FieldError] = []
        self.total = 0

    def add(self, pointer: str, detail: str) -> None:
        self.total += 1
        if len(self.listed) < _LISTED_ERRORS:
            self.listed.append(FieldError(pointer, detail))

    def raise_any(self) -> None:
        if self.total:
            more = f" (and {self.total - 1} more)" if self.total > 1 else ""
            raise InvalidInput(self.listed[0].detail + more, self.listed)


def read_states(path: Path, at: datetime | None = None) -> States:
    """The states in a CSV snapshot, or in a state-vector file as of `at` (default: its end).

    The format follows the name: `.csv`, `.json`, `.json.gz` or `.parquet`.
    """
    name = path.name.lower()
    if name.endswith(".csv"):
        if at is not None:
            raise InvalidInput.at(
                "/at",
                "a CSV snapshot has no times; a time applies to JSON or Parquet state vectors",
            )
        with path.open(newline="", encoding="utf-8-sig") as lines:
            return parse_states_csv(lines)
    if name.endswith((".json", ".json.gz", ".parquet")):
        return read_state_vectors(path).states_at(at)
    raise InvalidInput.at(
        "/path", f"{path.name}: unknown format; expected .csv, .json, .json.gz or .parquet"
    )


def parse_states_csv(lines: Iterable[str]) -> States:
    """States from CSV text with a `STATES_CSV_COLUMNS` header; errors name the line."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise InvalidInput.at(
            "/1", f"line 1: empty file; expected a header with {','.join(STATES_CSV_COLUMNS)}"
        )
    names = [cell.strip() for cell in header]
    missing = [column for column in STATES_CSV_COLUMNS if column not in names]
    if missing:
        raise InvalidInput.at(
            "/1",
            f"line 1: header lacks {','.join(missing)}; it needs {','.join(STATES_CSV_COLUMNS)}",
        )
    where = {column: names.index(column) for column in STATES_CSV_COLUMNS}
    errors = _Errors()
    ids: list[str] = []
    values: list[list[float]] = [[] for _ in STATES_CSV_COLUMNS[1:]]
    first_line: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(where.values()):
            errors.add(f"/{line}", f"line {line}: {len(row)} fields, the header has {len(names)}")
            continue
        row_values = _csv_row(row, where, line, errors)
        aircraft = row[where["id"]].strip()
        if not aircraft:
            errors.add(f"/{line}/id", f"line {line}: id is empty")
        elif aircraft in first_line:
            errors.add(
                f"/{line}/id", f"line {line}: id {aircraft!r} repeats line {first_line[aircraft]}"
            )
        elif row_values is not None:
            first_line[aircraft] = line
            ids.append(aircraft)
            for column, value in zip(values, row_values, strict=True):
                column.append(value)
    errors.raise_any()
    return States.of(ids, *values)


def _csv_row(
    row: list[str], where: Mapping[str, int], line: int, errors: _Errors
) -> list[float] | None:
    parsed: list[float] = []
    for column in STATES_CSV_COLUMNS[1:]:
        text = row[where[column]].strip()
        try:
            value = float(text)
        except ValueError:
            errors.add(f"/{line}/{column}", f"line {line}: {column} {text!r} is not a number")
            return None
        problem = _range_problem(column, value)
        if problem:
            errors.add(f"/{line}/{column}", f"line {line}: {column} {text} {problem}")
            return None
        parsed.append(value)
    return parsed


_LIMITS = {
    "lat": (-90.0, 90.0),
    "latitude": (-90.0, 90.0),
    "lon": (-180.0, 180.0),
    "longitude": (-180.0, 180.0),
    "gs_mps": (0.0, math.inf),
    "groundspeed": (0.0, math.inf),
}
_ANY = (-math.inf, math.inf)


def _range_problem(column: str, value: float) -> str | None:
    if not math.isfinite(value):
        return "is not finite"
    low, high = _LIMITS.get(column, _ANY)
    if low <= value <= high:
        return None
    return "is negative" if low == 0.0 else f"is outside [{low:g}, {high:g}]"


@dataclass(frozen=True, slots=True, eq=False)
class StateVectors:
    """Recorded states of many aircraft over time, one array element per record, SI units.

    `t_s` is seconds since the Unix epoch. NaN marks a value the record did not carry;
    `onground` is true only where the record said so.
    """

    t_s: Floats
    icao24: NDArray[np.str_]
    lat_deg: Floats
    lon_deg: Floats
    alt_m: Floats
    gs_mps: Floats
    trk_deg: Floats
    vs_mps: Floats
    onground: Bools
    callsign: NDArray[np.str_]
    """Stripped; empty where the record carried none."""

    def __len__(self) -> int:
        return len(self.t_s)

    def _columns(self) -> tuple[Floats, ...]:
        return (self.lat_deg, self.lon_deg, self.alt_m, self.gs_mps, self.trk_deg, self.vs_mps)

    def states_at(self, at: datetime | None = None, max_age_s: float = MAX_STATE_AGE_S) -> States:
        """Each airborne aircraft's latest complete state at or before `at`, up to `max_age_s` old.

        An aircraft whose latest record in that window says it is on the ground is left out.
        Without `at`, the time of the last record.
        """
        if len(self) == 0:
            return States.empty()
        at_s = require_utc(at).timestamp() if at is not None else float(self.t_s.max())
        recent = np.flatnonzero((self.t_s <= at_s) & (self.t_s >= at_s - max_age_s))
        if len(recent) == 0:
            return States.empty()
        code = np.unique(self.icao24[recent], return_inverse=True)[1].astype(np.int64)
        grounded = self.onground[recent[_latest_per_code(recent, code, self.t_s)]]
        known = np.stack([column[recent] for column in self._columns()])
        usable = np.flatnonzero(np.isfinite(known).all(axis=0) & ~self.onground[recent])
        chosen = usable[_latest_per_code(recent[usable], code[usable], self.t_s)]
        pick = recent[chosen[~grounded[code[chosen]]]]
        return States.of(self.icao24[pick].tolist(), *(column[pick] for column in self._columns()))


def _latest_per_code(records: Ints, code: Ints, t_s: Floats) -> Ints:
    """Positions in `records` of each code's latest record (by time, then by file order)."""
    if len(records) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((records, t_s[records], code))
    last = np.r_[code[order][1:] != code[order][:-1], True]
    return order[last].astype(np.int64)


def read_state_vectors(path: Path) -> StateVectors:
    """State vectors from a JSON array of records (gzip'd or not) or a Parquet file."""
    if path.name.lower().endswith(".parquet"):
        return _state_vectors(*_parquet_columns(path))
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InvalidInput.at("", f"{path.name}: not valid gzip: {exc}") from None
    try:
        records = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput.at("", f"{path.name}: not valid JSON: {exc}") from None
    if not isinstance(records, list):
        raise InvalidInput.at("", f"{path.name}: expected a JSON array of state-vector objects")
    return state_vectors_from_records(records)


def _parquet_columns(path: Path) -> tuple[int, dict[str, _Column]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ImportError(f"reading Parquet needs pyarrow: {_PARQUET_INSTALL}") from exc
    try:
        schema = pq.read_schema(path)
        table = pq.read_table(path, columns=[f for f in _RECORD_FIELDS if f in schema.names])
    except (OSError, ValueError) as exc:
        raise InvalidInput.at("", f"{path.name}: not a readable Parquet file: {exc}") from None
    columns: dict[str, _Column] = {}
    for field in table.column_names:
        column = table.column(field)
        kind = column.type
        if pa.types.is_timestamp(kind) and kind.tz is None:
            raise InvalidInput.at(
                "/timestamp", f"{path.name}: timestamp column has no time zone ({kind})"
            )
        numeric = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        if pa.types.is_timestamp(kind) or (numeric and field != "timestamp"):
            columns[field] = column.to_numpy(zero_copy_only=False)
        else:
            columns[field] = column.to_pylist()
    return table.num_rows, columns


_NUMBER_FIELDS = ("latitude", "longitude", "altitude", "groundspeed", "track", "vertical_rate")
_RECORD_FIELDS = ("timestamp", "icao24", *_NUMBER_FIELDS, "onground", "callsign")
_Column = Sequence[object] | NDArray[Any]


def state_vectors_from_records(records: Sequence[object]) -> StateVectors:
    """State vectors from `traffic` records (mappings); errors name the record's index."""
    errors = _Errors()
    for k, record in enumerate(records):
        if not isinstance(record, Mapping):
            errors.add(f"/{k}", f"record {k}: expected an object, got {type(record).__name__}")
    errors.raise_any()
    rows = [record for record in records if isinstance(record, Mapping)]
    columns = {field: [row.get(field) for row in rows] for field in _RECORD_FIELDS}
    return _state_vectors(len(records), columns)


def _state_vectors(count: int, columns: Mapping[str, _Column]) -> StateVectors:
    """Validated SI state vectors from native-unit columns; a missing column is all null."""
    errors = _Errors()
    nothing: list[object] = [None] * count
    t_s = _times(columns.get("timestamp", nothing), errors)
    icao24 = _aircraft(columns.get("icao24", nothing), errors)
    raw = {f: _numbers(columns.get(f, nothing), f, errors) for f in _NUMBER_FIELDS}
    onground = _flags(columns.get("onground", nothing), errors)
    callsign = _callsigns(columns.get("callsign", nothing), errors)
    errors.raise_any()
    return StateVectors(
        t_s=t_s,
        icao24=icao24,
        lat_deg=raw["latitude"],
        lon_deg=raw["longitude"],
        alt_m=raw["altitude"] * feet_to_m(1.0),
        gs_mps=raw["groundspeed"] * knots_to_mps(1.0),
        trk_deg=raw["track"],
        vs_mps=raw["vertical_rate"] * feet_per_minute_to_mps(1.0),
        onground=onground,
        callsign=callsign,
    )


def _kinds(values: Sequence[object]) -> set[type]:
    return set(map(type, values))


def _times(values: _Column, errors: _Errors) -> Floats:
    """Seconds since the epoch, from milliseconds, ISO 8601 strings or UTC datetimes."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        t_s = values.astype("datetime64[ns]").astype(np.int64) / 1e9
        t_s[np.isnat(values)] = np.nan
    elif not isinstance(values, np.ndarray) and _kinds(values) <= {int, float}:
        t_s = np.array(values, dtype=np.float64) / 1000.0
    else:
        t_s = np.array([_time(value) for value in values], dtype=np.float64)
    for k in np.flatnonzero(~np.isfinite(t_s)).tolist():
        errors.add(
            f"/{k}/timestamp",
            f"record {k}: timestamp {values[k]!r} is neither epoch milliseconds "
            "nor an ISO 8601 time with a zone",
        )
    return t_s


def _time(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) / 1000.0
    if isinstance(value, str):
        try:
            return parse_iso(value, "/timestamp").timestamp()
        except InvalidInput:
            return math.nan
    return math.nan


def _aircraft(values: _Column, errors: _Errors) -> NDArray[np.str_]:
    names = list(values)
    for k, name in enumerate(names):
        if not isinstance(name, str) or not name.strip():
            errors.add(f"/{k}/icao24", f"record {k}: icao24 {name!r} is not a non-empty string")
    if errors.total:
        return np.zeros(0, dtype=np.str_)
    return np.char.lower(np.char.strip(np.array(names, dtype=np.str_)))


def _numbers(values: _Column, field: str, errors: _Errors) -> Floats:
    """Native-unit numbers, NaN where null; wrong types and ranges are errors."""
    if isinstance(values, np.ndarray):
        numbers = values.astype(np.float64)
    elif _kinds(values) <= {int, float, type(None)}:
        numbers = np.array(values, dtype=np.float64)
    else:
        for k, value in enumerate(values):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                errors.add(f"/{k}/{field}", f"record {k}: {field} {value!r} is not a number")
        return np.zeros(0)
    low, high = _LIMITS.get(field, _ANY)
    bad = np.isinf(numbers) | (numbers < low) | (numbers > high)
    for k in np.flatnonzero(bad).tolist():
        number = float(numbers[k])
        errors.add(
            f"/{k}/{field}", f"record {k}: {field} {number!r} {_range_problem(field, number)}"
        )
    return numbers


def _callsigns(values: _Column, errors: _Errors) -> NDArray[np.str_]:
    names = ["" if name is None else name for name in values]
    for k, name in enumerate(names):
        if not isinstance(name, str):
            errors.add(f"/{k}/callsign", f"record {k}: callsign {name!r} is not a string")
    if errors.total:
        return np.zeros(0, dtype=np.str_)
    return np.char.strip(np.array(names, dtype=np.str_))


def _flags(values: _Column, errors: _Errors) -> Bools:
    flags = list(values)
    if not _kinds(flags) <= {bool, np.bool_, type(None)}:
        for k, flag in enumerate(flags):
            if flag is not None and not isinstance(flag, bool | np.bool_):
                errors.add(
                    f"/{k}/onground", f"record {k}: onground {flag!r} is not true, false or null"
                )
    return np.array([flag is not None and bool(flag) for flag in flags], dtype=np.bool_)
