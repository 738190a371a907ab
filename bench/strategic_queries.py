"""Per-notice query time of the strategic index alone, each query's best of several passes.

    .venv/bin/python bench/strategic_queries.py --count 1000000 --region middle-east

On a shared machine the figures of `bench/strategic.py` move from run to run; this measures
only `conflicts_with` (the same volumes and notices as `bench/strategic.py`'s generator, same
buffers), taking each query's fastest pass. To compare two revisions on one machine, run it
again with an older checkout's `src` first on `PYTHONPATH`:

    git worktree add /tmp/old <commit>
    PYTHONPATH=/tmp/old/src .venv/bin/python bench/strategic_queries.py --count 1000000
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

import deconflict
from deconflict.detection.strategic import StrategicIndex
from strategic import BUFFERS, REGIONS, hazards, make_volumes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--region", choices=sorted(REGIONS), default="middle-east")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260601)
    parser.add_argument(
        "--inserted",
        action="store_true",
        help="insert the volumes one by one (as a running service does: several levels)",
    )
    parser.add_argument("--quick", action="store_true", help="10k volumes, 50 notices, 2 passes")
    args = parser.parse_args()
    if args.quick:
        args.count, args.queries, args.passes = 10_000, 50, 2
    rng = np.random.default_rng(args.seed + args.count)
    volumes = make_volumes(args.count, args.region, rng) + hazards(args.region, rng)
    notices = make_volumes(args.queries, args.region, rng)
    if args.inserted:
        index = StrategicIndex()
        for i, v in enumerate(volumes):
            index.insert(f"v{i}", v)
    else:
        index = StrategicIndex.build((f"v{i}", v) for i, v in enumerate(volumes))
    gc.collect()
    gc.freeze()
    best = np.full(len(notices), np.inf)
    found = np.zeros(len(notices))
    for _ in range(args.passes):
        for i, notice in enumerate(notices):
            start = time.perf_counter()
            conflicts = index.conflicts_with(notice, BUFFERS, key="q")
            best[i] = min(best[i], time.perf_counter() - start)
            found[i] = len(conflicts)
    excess = best - 40e-6 * found
    print(
        f"{deconflict.__file__}\n{args.region}, {args.count:,} volumes "
        f"({'inserted one by one' if args.inserted else 'bulk-loaded'}: levels "
        f"{index.level_sizes}), {args.queries} notices, "
        f"best of {args.passes} passes: p50 {np.percentile(best, 50) * 1e3:.3f} ms, "
        f"p99 {np.percentile(best, 99) * 1e3:.3f} ms, "
        f"p99(time - 40 us x conflicts) {np.percentile(excess, 99) * 1e3:.3f} ms; "
        f"conflicts {int(found.sum())}"
    )


if __name__ == "__main__":
    main()
