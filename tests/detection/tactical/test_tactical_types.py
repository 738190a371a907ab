"""`States`: what the engine may assume once a value exists."""

from __future__ import annotations

import math

import numpy as np
import pytest

from deconflict.detection.tactical import States
from deconflict.errors import InvalidInput

GOOD = {
    "ids": ["A", "B"],
    "lat_deg": [10.0, -10.0],
    "lon_deg": [179.0, -180.0],
    "alt_m": [3000.0, -50.0],
    "gs_mps": [0.0, 250.0],
    "trk_deg": [0.0, 720.0],
    "vs_mps": [-10.0, 10.0],
}

INVALID = [
    ("lat above 90", {"lat_deg": [90.5, 0.0]}, "/lat_deg/0"),
    ("lat below -90", {"lat_deg": [0.0, -91.0]}, "/lat_deg/1"),
    ("lon beyond 180", {"lon_deg": [180.000001, 0.0]}, "/lon_deg/0"),
    ("NaN altitude", {"alt_m": [math.nan, 0.0]}, "/alt_m/0"),
    ("infinite vertical rate", {"vs_mps": [0.0, math.inf]}, "/vs_mps/1"),
    ("negative ground speed", {"gs_mps": [-1.0, 0.0]}, "/gs_mps/0"),
    ("repeated id", {"ids": ["A", "A"]}, "/ids/1"),
    ("empty id", {"ids": ["", "B"]}, "/ids/0"),
    ("too few values", {"trk_deg": [0.0]}, "/trk_deg"),
    ("not numbers", {"alt_m": ["high", "low"]}, "/alt_m"),
    ("not one-dimensional", {"lat_deg": [[0.0, 0.0]]}, "/lat_deg"),
]


def test_valid_states_are_copied_read_only_float_arrays() -> None:
    source = np.array(GOOD["alt_m"])
    states = States.of(
        GOOD["ids"],
        GOOD["lat_deg"],
        GOOD["lon_deg"],
        source,
        GOOD["gs_mps"],
        GOOD["trk_deg"],
        GOOD["vs_mps"],
    )
    source[0] = 0.0
    assert states.alt_m.tolist() == [3000.0, -50.0]
    assert states.alt_m.dtype == np.float64
    with pytest.raises(ValueError, match="read-only"):
        states.alt_m[0] = 1.0
    assert len(states) == 2
    assert states.ids == ("A", "B")


def test_take_selects_and_orders_aircraft() -> None:
    states = States.of(*GOOD.values())
    picked = states.take([1, 0])
    assert picked.ids == ("B", "A")
    assert picked.lon_deg.tolist() == [-180.0, 179.0]


def test_invalid_vectors_are_all_listed() -> None:
    assert len(INVALID) == 11


@pytest.mark.parametrize(
    ("change", "pointer"), [v[1:] for v in INVALID], ids=[v[0] for v in INVALID]
)
def test_invalid_states_are_refused_naming_the_value(
    change: dict[str, list[object]], pointer: str
) -> None:
    columns = {**GOOD, **change}
    with pytest.raises(InvalidInput) as raised:
        States.of(*columns.values())
    assert pointer in [e.pointer for e in raised.value.errors]


def test_empty_states() -> None:
    assert len(States.empty()) == 0
