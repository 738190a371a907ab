"""The alerting core's cycles: tactical at 5k, 20k and 100k tracks, and intrusion at 100k tracks
against 1,000 areas.

    .venv/bin/python bench/alerting.py [--quick]

Traffic is random over a 1,000 x 1,000 km square centred on (48 N, 2 E): 70 % level at a flight
level from FL010 to FL390 (odd levels eastbound, even westbound), 30 % climbing or descending
at 2-15 m/s anywhere from 0 to 12 km; ground speed 50-300 m/s, faster higher up. Tracks belong
to four parties and unattributed traffic in equal shares, and for one track in a hundred a
party track is also heard on ADS-B (an unattributed copy, same ICAO address, 50 m north), so
N tracks print as 1.01 N. Tiers are
issue 16's defaults (caution 9,260 m / 304.8 m / 120 s, warning 5,556 m / 228.6 m / 60 s)
between different parties and between a party and unattributed traffic.

For each size it prints the full tactical cycle (`tactical_conditions`, from track states to
conditions), the same tiers' `detect_alerts` alone on the same states (already as `States`,
every pair alerted), their ratio, the candidate pairs the prune keeps and the alerts by tier;
then the on-arrival check (`tactical_conditions_near` for one updated track) at 5k. Intrusion
builds an `AreaIndex` over 1,000 areas (circles, lon/lat and geodesic polygons of 2-30 km,
random bands, windows open now) and prints the query time and what it found. Times are the
best of a few runs; the machine's load average is printed with them. `--quick` runs 2k and
5k tracks and intrusion at 20k x 200.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import numpy as np
from shapely.geometry import Polygon

from deconflict.alerting import (
    Area,
    AreaIndex,
    AreaKind,
    between_parties,
    engine_states,
    intrusion_conditions,
    tactical_conditions,
    tactical_conditions_near,
)
from deconflict.detection.tactical import (
    AlertTier,
    AlertTiers,
    candidate_pairs,
    detect_alerts,
)
from deconflict.geometry import AltitudeBand, Circle, Edges, Footprint, Outline, TimeWindow, Volume
from deconflict.tracks import TrackKey, TrackState
from deconflict.units import flight_level_to_m

EARTH_RADIUS_M = 6_371_000.0
SIDE_M = 1_000_000.0
LAT0, LON0 = 48.0, 2.0
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PARTIES = ("p0", "p1", "p2", "p3", None)
TIERS = AlertTiers.of(
    AlertTier("caution", 9260.0, 304.8, 120.0), AlertTier("warning", 5556.0, 228.6, 60.0)
)
Result = TypeVar("Result")


def lat_lon(north_m: np.ndarray, east_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = LAT0 + np.degrees(north_m / EARTH_RADIUS_M)
    lon = LON0 + np.degrees(east_m / (EARTH_RADIUS_M * np.cos(np.radians(lat))))
    return lat, lon


def traffic(n: int, seed: int) -> list[TrackState]:
    """N tracks as the module docstring describes."""
    rng = np.random.default_rng(seed)
    lat, lon = lat_lon(rng.uniform(-0.5, 0.5, n) * SIDE_M, rng.uniform(-0.5, 0.5, n) * SIDE_M)
    trk = rng.uniform(0.0, 360.0, n)
    level = rng.random(n) < 0.7
    odd = 2 * rng.integers(0, 20, n) + 1
    flight_level = np.where(trk < 180.0, odd, odd + 1) * 10
    alt = np.where(level, flight_level_to_m(1.0) * flight_level, rng.uniform(0.0, 12_000.0, n))
    vs = np.where(level, 0.0, rng.choice([-1.0, 1.0], n) * rng.uniform(2.0, 15.0, n))
    gs = np.clip(50.0 + 250.0 * alt / 12_000.0 + rng.normal(0.0, 20.0, n), 50.0, 300.0)
    states = [
        TrackState(
            TrackKey(PARTIES[i % len(PARTIES)], f"{i:06x}"),
            NOW.timestamp(),
            *values,
            "push",
            icao24=f"{i:06x}",
        )
        for i, values in enumerate(np.column_stack([lat, lon, alt, gs, trk, vs]).tolist())
    ]
    heard = [s for s in states[: n // 100 * len(PARTIES)] if s.key.party is not None][: n // 100]
    step_deg = math.degrees(50.0 / EARTH_RADIUS_M)
    states += [
        s._replace(key=TrackKey(None, s.icao24 or ""), lat=s.lat + step_deg, source="beast://")
        for s in heard
    ]
    return states


def best(run: Callable[[], Result], repeat: int) -> tuple[Result, float]:
    """The result and the best wall time of `repeat` runs."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, min(times)  # type: ignore[return-value]


def tactical(n: int, repeat: int) -> None:
    tracks = traffic(n, seed=n)
    rule = between_parties(TIERS)
    states = engine_states(tracks, [str(i) for i in range(len(tracks))])
    outer = TIERS.outermost
    first, _ = candidate_pairs(states, outer.rpz_m, outer.lookahead_s, hpz_m=outer.hpz_m)
    conditions, cycle_s = best(lambda: tactical_conditions(tracks, rule), repeat)
    alerts, detect_s = best(lambda: detect_alerts(states, TIERS), repeat)
    tiers = Counter(c.tier for c in conditions.values())
    print(
        f"tactical {len(tracks):>7,} tracks  cycle {cycle_s * 1e3:8.1f} ms   "
        f"detect_alerts {detect_s * 1e3:8.1f} ms   ratio {cycle_s / detect_s:5.2f}   "
        f"candidates {len(first):>9,}   alerted {len(conditions):>7,} "
        f"({tiers['caution']:,} caution, {tiers['warning']:,} warning; "
        f"detect_alerts, every pair: {len(alerts):,})"
    )


def near(n: int, samples: int) -> None:
    tracks = traffic(n, seed=n)
    rule = between_parties(TIERS)
    rng = np.random.default_rng(7)
    times, found = [], 0
    for i in rng.choice(len(tracks), samples, replace=False).tolist():
        moved = tracks[i]._replace(t_s=tracks[i].t_s + 1.0, trk_deg=(tracks[i].trk_deg + 5) % 360)
        start = time.perf_counter()
        found += len(tactical_conditions_near([moved], tracks, rule))
        times.append(time.perf_counter() - start)
    times.sort()
    p50_ms = statistics.median(times) * 1e3
    p99_ms = times[int(0.99 * (len(times) - 1))] * 1e3
    print(
        f"near     {len(tracks):>7,} tracks  one updated track: p50 {p50_ms:.1f} ms, "
        f"p99 {p99_ms:.1f} ms over {samples} updates ({found} conditions found)"
    )


def areas(count: int, seed: int) -> list[Area]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        lat, lon = lat_lon(rng.uniform(-0.5, 0.5) * SIDE_M, rng.uniform(-0.5, 0.5) * SIDE_M)
        size_m = float(rng.uniform(2_000.0, 30_000.0))
        footprint: Footprint
        if i % 3 == 0:
            footprint = Circle(float(lon), float(lat), size_m)
        else:
            k = int(rng.integers(4, 12))
            angle = (np.arange(k) + rng.uniform(0.0, 0.8, k)) * (2.0 * math.pi / k)
            radius_m = rng.uniform(0.5, 1.0, k) * size_m
            ys, xs = lat_lon(radius_m * np.sin(angle), radius_m * np.cos(angle))
            ys, xs = ys - LAT0 + float(lat), xs - LON0 + float(lon)
            edges = Edges.LONLAT if i % 3 == 1 else Edges.GEODESIC
            footprint = Outline(Polygon(np.column_stack([xs, ys])), edges)
        lower_m = float(rng.uniform(0.0, 8_000.0))
        band = AltitudeBand(lower_m, lower_m + float(rng.uniform(500.0, 6_000.0)))
        ends = NOW + timedelta(hours=float(rng.uniform(0.01, 3.0)))
        window = TimeWindow(NOW - timedelta(hours=1), ends)
        kind = AreaKind.HAZARD if i % 10 == 0 else AreaKind.PROTECTED
        out.append(Area(f"a{i:04d}", Volume(footprint, band, window), kind, PARTIES[i % 4]))
    return out


def intrusion(n: int, count: int, repeat: int) -> None:
    tracks = traffic(n, seed=n)
    built, index_s = best(lambda: AreaIndex(areas(count, seed=count)), 1)
    found, query_s = best(
        lambda: intrusion_conditions(built, tracks, NOW.timestamp(), 120.0), repeat
    )
    tiers = Counter(c.tier for c in found.values())
    print(
        f"intrusion {len(tracks):>6,} tracks x {count:,} areas ({len(built.edges):,} edges): "
        f"query {query_s * 1e3:.1f} ms (index built once in {index_s * 1e3:.0f} ms)   "
        f"{len(found):,} conditions ({tiers['inside']:,} inside, {tiers['entering']:,} entering)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2k and 5k tracks, small intrusion")
    args = parser.parse_args()
    sizes = (2_000, 5_000) if args.quick else (5_000, 20_000, 100_000)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for n in sizes:
        tactical(n, repeat=3 if n < 100_000 else 2)
    near(5_000, samples=50 if args.quick else 200)
    if args.quick:
        intrusion(20_000, 200, repeat=3)
    else:
        intrusion(100_000, 1_000, repeat=3)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
