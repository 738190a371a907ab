"""Benchmark the strategic engine: index build and per-notice conflict queries at scale.

    .venv/bin/python bench/strategic.py            # 10k, 100k and 1M volumes, two regions
    .venv/bin/python bench/strategic.py --quick    # 10k only (well under a minute)

Volumes: footprints 5-150 km across (uniform), 30 % circles, the rest star-shaped polygons of
8-64 vertices with lon/lat edges; altitude bands 300 m-15 km thick (log-uniform) between 0 and
15 km; windows 15 min-12 h (log-uniform) starting over one week; plus 10 long-lived hazards
(2000-2100). Regions: the Middle East (lon 25-63, lat 12-42) and the whole globe (lat within
+-80, uniform on the sphere). Queries are fresh notices from the same distribution.
Buffers: 5 km horizontal, 300 m vertical, no time buffer, 150 m datum margin.

Measured in one process, for each region and size:
- build: `StrategicIndex.build` time; the memory the index holds (tracemalloc, on a second
  build: the volumes themselves belong to the caller and are not counted); how long making the
  `Volume` objects took (the service pays that too when it loads its rows);
- per-query `conflicts_with` time p50/p99/max, conflicts per query, and the target
  p99 <= 2 ms + 40 us x conflicts (checked per query: time - 40 us x conflicts), from the
  first pass and again from each query's best of three passes;
- the overlap polygons (computed lazily on access): time per conflict to materialise them;
- references on a sample of queries, with identical answers required: the "scan" (the same
  predicate, batched, over every indexed volume: no spatial index) and the "pair loop"
  (`pair_conflict` one pair at a time, over all volumes at 10k, a random 20k at larger sizes);
- the plain shapely baseline a user would write: STRtree over the footprints buffered by the
  horizontal buffer (in degrees, conservatively), query with the notice's footprint, filter
  time and altitude, then the exact predicate on what is left; on every measured notice. Where
  its answer differs from the index's, the scan reference says which is right (the baseline,
  working in plain lon/lat, misses pairs that meet across the antimeridian).
Each engine first answers as many warm-up notices as are measured, from the same distribution
(not among those measured), as a running service has answered many before: neither pays the
one-off cost of a code path's first use (a few hundred microseconds each, for each of several
rarer paths of the pair predicate) in the figures, and the baseline, which calls the same pair
predicate, no longer finds those paths warmed by the index.
The index is then timed on its first pass over the notices, the baseline after it; their ratio
(sums of query times) is printed for the first pass and for each query's best of three passes
of each engine (the baseline runs on notices the index has just read).
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import statistics
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import shapely
from shapely.strtree import STRtree

from deconflict.detection.strategic import Buffers, Conflict, StrategicIndex, pair_conflict
from deconflict.detection.strategic.pair import PreparedQuery, Summaries, evaluate
from deconflict.geometry import AltitudeBand, Circle, Outline, TimeWindow, Volume

T0 = datetime(2026, 6, 1, tzinfo=UTC)
BUFFERS = Buffers(horizontal_m=5_000.0, vertical_m=300.0, time_s=0.0, datum_margin_m=150.0)
REGIONS = {"middle-east": (25.0, 63.0, 12.0, 42.0), "globe": (-180.0, 180.0, -80.0, 80.0)}
KM_PER_DEG = 111.32


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


def make_volumes(count: int, region: str, rng: np.random.Generator) -> list[Volume]:
    lon0, lon1, lat0, lat1 = REGIONS[region]
    lon = rng.uniform(lon0, lon1, count)
    sin0, sin1 = math.sin(math.radians(lat0)), math.sin(math.radians(lat1))
    lat = np.degrees(np.arcsin(rng.uniform(sin0, sin1, count)))
    radius_km = rng.uniform(5.0, 150.0, count) / 2.0
    circle = rng.random(count) < 0.3
    vertices = rng.integers(8, 65, count)
    thick_m = np.exp(rng.uniform(math.log(300.0), math.log(15_000.0), count))
    lower_m = rng.uniform(0.0, 1.0, count) * (15_000.0 - thick_m)
    duration_s = np.exp(rng.uniform(math.log(900.0), math.log(43_200.0), count))
    start_s = rng.uniform(0.0, 7 * 86_400.0 - duration_s)
    polygon_at = np.flatnonzero(~circle)
    counts = vertices[polygon_at]
    owner = np.repeat(np.arange(polygon_at.size), counts)
    step = np.arange(owner.size) - np.repeat(np.cumsum(counts) - counts, counts)
    angle = (step + rng.uniform(0.0, 0.8, owner.size)) * 2 * np.pi / np.repeat(counts, counts)
    reach_km = radius_km[polygon_at][owner] * rng.uniform(0.5, 1.0, owner.size)
    plat = lat[polygon_at][owner] + reach_km / KM_PER_DEG * np.sin(angle)
    plon = lon[polygon_at][owner] + reach_km / (
        KM_PER_DEG * np.cos(np.radians(lat[polygon_at][owner]))
    ) * np.cos(angle)
    plon = (plon + 180.0) % 360.0 - 180.0
    rings = shapely.linearrings(np.stack([plon, plat], axis=-1), indices=owner)
    shapes = dict(zip(polygon_at.tolist(), shapely.polygons(rings).tolist(), strict=True))
    out: list[Volume] = []
    for i in range(count):
        footprint: Circle | Outline
        if circle[i]:
            footprint = Circle(float(lon[i]), float(lat[i]), float(radius_km[i] * 1000.0))
        else:
            shape = shapes[i]
            minx, _, maxx, _ = shape.bounds
            if maxx - minx > 180.0:  # straddles the antimeridian: keep the notice simple
                footprint = Circle(float(lon[i]), float(lat[i]), float(radius_km[i] * 1000.0))
            else:
                footprint = Outline(shape)
        start = T0 + timedelta(seconds=float(start_s[i]))
        out.append(
            Volume(
                footprint,
                AltitudeBand(float(lower_m[i]), float(lower_m[i] + thick_m[i])),
                TimeWindow(start, start + timedelta(seconds=float(duration_s[i]))),
            )
        )
    return out


def hazards(region: str, rng: np.random.Generator) -> list[Volume]:
    lon0, lon1, lat0, lat1 = REGIONS[region]
    years = TimeWindow(datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    return [
        Volume(
            Circle(float(rng.uniform(lon0, lon1)), float(rng.uniform(lat0, lat1)), 60_000.0),
            AltitudeBand(0.0, 20_000.0),
            years,
        )
        for _ in range(10)
    ]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def same(a: list[Conflict], b: list[Conflict]) -> bool:
    return sorted(a, key=lambda c: c.second) == sorted(b, key=lambda c: c.second)


class StrtreeBaseline:
    """What a user would write with shapely: an STRtree of buffered footprints, then filters."""

    def __init__(self, items: list[tuple[str, Volume]], buffer_m: float) -> None:
        self.items = items
        geoms = []
        for _, v in items:
            fp = v.footprint
            if isinstance(fp, Circle):
                lat = abs(fp.lat_deg) + (fp.radius_m + buffer_m) / 1000.0 / KM_PER_DEG
                deg = (
                    (fp.radius_m + buffer_m)
                    / 1000.0
                    / (KM_PER_DEG * math.cos(math.radians(min(lat, 89.0))))
                )
                geoms.append(shapely.Point(fp.lon_deg, fp.lat_deg).buffer(deg * 1.01, quad_segs=8))
            else:
                _, miny, _, maxy = fp.shape.bounds
                lat = max(abs(miny), abs(maxy)) + buffer_m / 1000.0 / KM_PER_DEG
                deg = buffer_m / 1000.0 / (KM_PER_DEG * math.cos(math.radians(min(lat, 89.0))))
                geoms.append(fp.shape.buffer(deg * 1.01, quad_segs=4))
        self.tree = STRtree(geoms)

    def conflicts_with(self, query: Volume, buffers: Buffers, key: str) -> list[Conflict]:
        fp = query.footprint
        geom = (
            shapely.Point(fp.lon_deg, fp.lat_deg).buffer(
                fp.radius_m
                / 1000.0
                / (
                    KM_PER_DEG
                    * math.cos(math.radians(min(abs(fp.lat_deg) + fp.radius_m / 1e5, 89.0)))
                )
                * 1.01,
                quad_segs=8,
            )
            if isinstance(fp, Circle)
            else fp.shape
        )
        found = []
        for i in self.tree.query(geom, predicate="intersects"):
            k, v = self.items[int(i)]
            if max(v.window.start, query.window.start) - min(
                v.window.end, query.window.end
            ) >= timedelta(seconds=buffers.time_s):
                continue
            limit = buffers.vertical_m + (
                0.0 if v.altitude.reference is query.altitude.reference else buffers.datum_margin_m
            )
            if (
                max(v.altitude.lower_m, query.altitude.lower_m)
                - min(v.altitude.upper_m, query.altitude.upper_m)
                >= limit
            ):
                continue
            c = pair_conflict(query, v, buffers, key, k)
            if c is not None:
                found.append(c)
        return sorted(found, key=lambda c: c.second)


def run(region: str, count: int, queries: int, samples: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    print(f"\n== {region}, {count:,} volumes (+10 hazards of 2000-2100), buffers {BUFFERS}")
    made_s, made = timed(lambda: make_volumes(count, region, rng) + hazards(region, rng))
    volumes: list[Volume] = made  # type: ignore[assignment]
    items = [(f"v{i:07d}", v) for i, v in enumerate(volumes)]
    print(f"making Volume objects: {made_s:.1f} s ({made_s / len(items) * 1e6:.0f} us per volume)")
    gc.collect()
    build_s, built = timed(lambda: StrategicIndex.build(items))
    index: StrategicIndex = built  # type: ignore[assignment]
    tracemalloc.start()
    again = StrategicIndex.build(items)
    held_mb = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    del again
    gc.collect()
    gc.freeze()  # what a long-running service does after loading: no full GC over the volumes
    print(
        f"build: {build_s:.2f} s ({build_s / len(items) * 1e6:.1f} us per volume); index holds "
        f"{held_mb:.0f} MB ({held_mb * 1e6 / len(items):.0f} B per volume); "
        f"process RSS {rss_mb():.0f} MB"
    )
    notices = make_volumes(queries, region, rng)
    warm_up = make_volumes(queries, region, np.random.default_rng(seed + 1))
    for q in warm_up:
        index.conflicts_with(q, BUFFERS, key="warm-up")
    times_s, cpu_s, counts, excess_s = [], [], [], []
    answers: list[list[Conflict]] = []
    for i, q in enumerate(notices):
        cpu_start = time.process_time()
        t, found = timed(lambda q=q, i=i: index.conflicts_with(q, BUFFERS, key=f"q{i}"))
        cpu_s.append(time.process_time() - cpu_start)
        conflicts: list[Conflict] = found  # type: ignore[assignment]
        times_s.append(t)
        counts.append(len(conflicts))
        excess_s.append(t - 40e-6 * len(conflicts))
        answers.append(conflicts)
    p99_budget = percentile(excess_s, 99)
    print(
        f"query ({queries} notices): p50 {percentile(times_s, 50) * 1e3:.3f} ms, "
        f"p99 {percentile(times_s, 99) * 1e3:.3f} ms, max {max(times_s) * 1e3:.3f} ms; "
        f"conflicts per query mean {statistics.mean(counts):.1f}, "
        f"p99 {percentile(counts, 99):.0f}, max {max(counts)}"
    )
    print(
        f"query CPU time (excludes waiting for a core on a shared machine): "
        f"p50 {percentile(cpu_s, 50) * 1e3:.3f} ms, p99 {percentile(cpu_s, 99) * 1e3:.3f} ms"
    )
    cpu_budget = percentile([c - 40e-6 * k for c, k in zip(cpu_s, counts, strict=True)], 99)
    print(
        f"target p99(time - 40 us x conflicts) <= 2 ms: wall {p99_budget * 1e3:.3f} ms "
        f"({'met' if p99_budget <= 2e-3 else 'NOT met'}), CPU {cpu_budget * 1e3:.3f} ms "
        f"({'met' if cpu_budget <= 2e-3 else 'NOT met'})"
    )
    best_s = list(times_s)
    for _ in range(2):
        for i, q in enumerate(notices):
            t, _ = timed(lambda q=q, i=i: index.conflicts_with(q, BUFFERS, key=f"q{i}"))
            best_s[i] = min(best_s[i], t)
    best_budget = percentile([b - 40e-6 * k for b, k in zip(best_s, counts, strict=True)], 99)
    print(
        f"each query's best of 3 runs (a shared machine's scheduling noise removed): "
        f"p50 {percentile(best_s, 50) * 1e3:.3f} ms, p99 {percentile(best_s, 99) * 1e3:.3f} ms; "
        f"p99(time - 40 us x conflicts) {best_budget * 1e3:.3f} ms "
        f"({'met' if best_budget <= 2e-3 else 'NOT met'})"
    )
    overlaps = [c for found in answers[:50] for c in found if c.footprints_overlap][:300]
    if overlaps:
        t, _ = timed(lambda: [c.overlap for c in overlaps])
        each_us = t / len(overlaps) * 1e6
        print(
            f"overlap polygons on access: {each_us:.0f} us per conflict ({len(overlaps)} measured)"
        )

    sample = random.Random(seed).sample(range(queries), min(samples, queries))
    all_keys = [k for k, _ in items]
    all_volumes = [v for _, v in items]
    summaries = Summaries.of(all_volumes)

    def scan(i: int) -> list[Conflict]:
        """The scan reference: the predicate batched over every indexed volume."""
        return evaluate(
            PreparedQuery.of(notices[i]), f"q{i}", all_keys, all_volumes, summaries, BUFFERS
        )

    scan_s, index_s, agree = 0.0, 0.0, True
    for i in sample:
        t, found = timed(lambda i=i: scan(i))
        scan_s += t
        index_s += times_s[i]
        agree &= same(found, answers[i])  # type: ignore[arg-type]
    print(
        f"scan reference (predicate batched over all volumes), {len(sample)} queries: "
        f"{scan_s / len(sample) * 1e3:.2f} ms per query, {scan_s / index_s:.0f}x the index; "
        f"identical answers: {agree}"
    )
    pair_sample = (
        range(len(items))
        if len(items) <= 20_010
        else sorted(random.Random(seed).sample(range(len(items)), 20_000))
    )
    loop_s, agree, loop_q = 0.0, True, sample[: max(1, min(3, len(sample)))]
    for i in loop_q:
        subset = {items[j][0] for j in pair_sample}
        t, found = timed(
            lambda i=i: [
                c
                for j in pair_sample
                if (c := pair_conflict(notices[i], items[j][1], BUFFERS, f"q{i}", items[j][0]))
                is not None
            ]
        )
        loop_s += t * len(items) / len(pair_sample)
        agree &= same(found, [c for c in answers[i] if c.second in subset])  # type: ignore[arg-type]
    print(
        f"pair-loop reference (pair_conflict one pair at a time, {len(pair_sample):,} pairs "
        f"per query, {len(loop_q)} queries): {loop_s / len(loop_q):.2f} s per query "
        "extrapolated to all, "
        f"{loop_s / sum(times_s[i] for i in loop_q):.0f}x the index; identical answers: {agree}"
    )
    base_build_s, base = timed(lambda: StrtreeBaseline(items, BUFFERS.horizontal_m))
    baseline: StrtreeBaseline = base  # type: ignore[assignment]
    for q in warm_up:
        baseline.conflicts_with(q, BUFFERS, "warm-up")
    base_times, differ, base_q = [], [], range(queries)
    for i in base_q:
        t, found = timed(lambda i=i: baseline.conflicts_with(notices[i], BUFFERS, f"q{i}"))
        base_times.append(t)
        if not same(found, answers[i]):  # type: ignore[arg-type]
            differ.append(i)
    index_right = sum(same(scan(i), answers[i]) for i in differ)
    base_best = list(base_times)
    for _ in range(2):
        for i in base_q:
            t, _ = timed(lambda i=i: baseline.conflicts_with(notices[i], BUFFERS, f"q{i}"))
            base_best[i] = min(base_best[i], t)
    ours = [times_s[i] for i in base_q]
    ours_best = [best_s[i] for i in base_q]
    print(
        f"STRtree baseline: build {base_build_s:.2f} s; "
        f"query p50 {percentile(base_times, 50) * 1e3:.3f} ms, "
        f"p99 {percentile(base_times, 99) * 1e3:.3f} ms over {len(base_q)} queries "
        f"(index on the same: p50 {percentile(ours, 50) * 1e3:.3f} ms, "
        f"p99 {percentile(ours, 99) * 1e3:.3f} ms); identical answers: "
        f"{len(base_q) - len(differ)} of {len(base_q)} queries"
        + (
            f"; where not, the scan reference agrees with the index in {index_right} of "
            f"{len(differ)}"
            + (
                " (the baseline's plain lon/lat misses pairs across the antimeridian)"
                if index_right == len(differ)
                else ": THE INDEX IS WRONG THERE"
            )
            if differ
            else ""
        )
    )
    print(
        f"STRtree baseline / index, sum of query times: first pass "
        f"{sum(base_times) / sum(ours):.2f}x, each query's best of 3 for both "
        f"{sum(base_best) / sum(ours_best):.2f}x (above 1: the index is faster)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10k volumes only")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--regions", default="middle-east,globe")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--samples", type=int, default=50, help="queries checked against references"
    )
    parser.add_argument("--seed", type=int, default=20260601)
    args = parser.parse_args()
    sizes = [10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    queries = 300 if args.quick else args.queries
    samples = 20 if args.quick else args.samples
    for region in args.regions.split(","):
        for count in sizes:
            run(region, count, queries, samples, args.seed + count)
            gc.unfreeze()
            gc.collect()


if __name__ == "__main__":
    main()
