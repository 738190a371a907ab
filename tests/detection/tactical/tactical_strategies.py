"""Hypothesis strategies and builders shared by the tactical tests."""

from __future__ import annotations

import math
from collections.abc import Sequence

from hypothesis import strategies as st

from deconflict.detection.tactical import States

EARTH_RADIUS_M = 6_371_000.0
DYADIC_DEG = 2.0**-16
DYADIC_M = 2.0**-8

CENTRES = (
    (0.0, 0.0),
    (48.0, 2.0),
    (-33.5, 151.0),
    (0.0, 180.0),
    (65.0, -180.0),
    (-60.0, 179.5),
    (84.0, 30.0),
)
"""Where random traffic is put: mid-latitudes, the equator, both sides of the antimeridian,
and high latitudes where the cosine of the mean latitude matters."""

Row = tuple[str, float, float, float, float, float, float]


def make_states(rows: Sequence[Row]) -> States:
    """States from (id, lat, lon, alt_m, gs_mps, trk_deg, vs_mps) rows."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    return States.of(*columns)


def wrap_lon(lon_deg: float) -> float:
    """Longitude in [-180, 180), exact for the dyadic values the strategies draw."""
    return (lon_deg + 180.0) % 360.0 - 180.0


def _dyadic(draw: st.DrawFn, low: float, high: float, step: float) -> float:
    return draw(st.integers(math.ceil(low / step), math.floor(high / step))) * step


@st.composite
def traffic(
    draw: st.DrawFn,
    min_size: int = 2,
    max_size: int = 10,
    spread_deg: float = 0.4,
) -> States:
    """A handful of aircraft close enough together for conflicts to be common.

    Positions and altitudes are on dyadic grids, so translations by dyadic amounts are exact
    in floating point. Speeds, tracks and vertical rates include exact zeros and repeats, so
    parallel tracks, equal vertical rates and zero relative velocity come up.
    """
    n = draw(st.integers(min_size, max_size))
    lat0, lon0 = draw(st.sampled_from(CENTRES))
    speeds = st.one_of(st.just(0.0), st.just(150.0), st.floats(0.0, 300.0))
    tracks = st.one_of(st.sampled_from([0.0, 90.0, 180.0, 270.0]), st.floats(0.0, 360.0))
    rates = st.one_of(st.just(0.0), st.just(-5.0), st.floats(-20.0, 20.0))
    rows = []
    for k in range(n):
        lat = _dyadic(draw, max(lat0 - spread_deg, -89.0), min(lat0 + spread_deg, 89.0), DYADIC_DEG)
        lon = wrap_lon(_dyadic(draw, lon0 - spread_deg, lon0 + spread_deg, DYADIC_DEG))
        alt = _dyadic(draw, 3000.0, 3900.0, DYADIC_M)
        rows.append((f"AC{k:02d}", lat, lon, alt, draw(speeds), draw(tracks), draw(rates)))
    return make_states(rows)


separations = st.tuples(st.floats(500.0, 20_000.0), st.floats(30.0, 600.0), st.floats(0.0, 900.0))
"""(rpz_m, hpz_m, lookahead_s)"""
