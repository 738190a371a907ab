"""ADS-B ingest: Beast frames per second through the live decoder, beside rs1090 alone.

    .venv/bin/python bench/ingest.py [--quick] [--threads N]

Frames: the 239 real frames of ../shared/data/adsb/sample_dump1090.bin, re-timed and repeated,
and DF17 frames made from the real traffic in ../shared/data/traffic/quickstart.json.gz (each
second's `squitter.transmissions` of every airborne aircraft). For each set it times, on the
same bytes read in 64 KiB chunks as from a socket:
- the whole live path: framing, parity, de-duplication, rs1090 decoding and state assembly
  into positions (`BeastStream` + `ModeSDecoder`);
- its stages alone: framing, and CRC-24 parity;
- the reference: `rs1090.decode` alone on the same messages as hex, in one batch call.
rs1090 decodes on a rayon thread pool; `--threads 1` (the default) pins it to one core, so the
figure is per core. Best of 3 runs each, interleaved. Target: >= 50,000 frames/s on one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SAMPLE = SHARED / "adsb" / "sample_dump1090.bin"
QUICKSTART = SHARED / "traffic" / "quickstart.json.gz"
CHUNK = 64 * 1024
TARGET_FPS = 50_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer frames, for CI")
    parser.add_argument("--threads", type=int, default=1, help="rs1090's thread pool size")
    args = parser.parse_args()
    os.environ["RAYON_NUM_THREADS"] = str(args.threads)

    from deconflict.ingest.beast import BeastFrame, encode_frame

    sets: list[tuple[str, bytes]] = []
    if SAMPLE.exists():
        sets.append(("sample_dump1090.bin repeated", _repeated_sample(200 if args.quick else 2000)))
    if QUICKSTART.exists():
        seconds = 300 if args.quick else 1800
        sets.append(
            (f"quickstart, first {seconds} s", _from_traffic(seconds, BeastFrame, encode_frame))
        )
    if not sets:
        print("no ../shared data: nothing to measure")
        return 0
    print(f"rs1090 threads: {args.threads}; best of 3, interleaved\n")
    for name, wire in sets:
        _measure(name, wire)
    _store_memory(5_000 if args.quick else 100_000)
    return 0


def _store_memory(count: int) -> None:
    """Traced memory of the track store holding `count` live tracks, each with a full recent
    history, beside the states alone in a plain list (the reference)."""
    import tracemalloc

    from deconflict.tracks import TrackKey, TrackState, TrackStore

    def states(t_s: float) -> list[TrackState]:
        return [
            TrackState(
                TrackKey("north", f"t{k}"),
                t_s,
                48.0,
                2.0,
                9000.0,
                220.0,
                90.0,
                0.0,
                "push",
                callsign=f"NRT{k % 1000}",
                icao24=f"{k:06x}",
            )
            for k in range(count)
        ]

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    plain = states(0.0)
    plain_b = tracemalloc.get_traced_memory()[0] - before
    del plain
    before = tracemalloc.get_traced_memory()[0]
    store = TrackStore()
    store.update(states(0.0))
    latest_b = tracemalloc.get_traced_memory()[0] - before
    for step in range(1, store.history + 1):
        store.update(states(float(step)))
    full_b = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    print(f"== track store, {count:,} live tracks")
    print(f"states alone (reference): {plain_b / count:8.0f} B/track")
    print(f"store, latest state only: {latest_b / count:8.0f} B/track, {latest_b / 2**20:7.1f} MiB")
    print(
        f"store, + {store.history} recent states: {full_b / count:8.0f} B/track, "
        f"{full_b / 2**20:7.1f} MiB ({latest_b / plain_b:.2f}x the states alone at first)"
    )


def _measure(name: str, wire: bytes) -> None:
    import rs1090

    from deconflict.ingest.adsb import ModeSDecoder
    from deconflict.ingest.beast import BeastStream, Deframer
    from deconflict.ingest.parity import remainders

    frames = Deframer().feed(wire)
    messages = [f.message for f in frames]
    hexes = [m.hex() for m in messages]

    def live() -> object:
        stream, decoder, counts = BeastStream(), ModeSDecoder(), Counter[str]()
        positions = 0
        for start in range(0, len(wire), CHUNK):
            batch = stream.read(wire[start : start + CHUNK])
            positions += len(decoder.decode(batch, [f.seconds for f in batch], counts))
        return positions, counts

    stages: dict[str, Callable[[], object]] = {
        "live path (frame+parity+decode+state)": live,
        "  framing alone": lambda: Deframer().feed(wire),
        "  parity alone": lambda: remainders(messages),
        "reference: rs1090.decode alone": lambda: rs1090.decode(hexes),
    }
    best = {label: float("inf") for label in stages}
    outputs: dict[str, object] = {}
    for _ in range(3):
        for label, run in stages.items():
            started = time.perf_counter()
            outputs[label] = run()
            best[label] = min(best[label], time.perf_counter() - started)
    positions, counts = outputs["live path (frame+parity+decode+state)"]  # type: ignore[misc]
    print(f"== {name}: {len(frames):,} frames, {len(wire):,} bytes")
    for label, seconds in best.items():
        print(f"{label:<40} {seconds * 1e3:9.1f} ms {len(frames) / seconds:12,.0f} frames/s")
    live_s = best["live path (frame+parity+decode+state)"]
    ratio = live_s / best["reference: rs1090.decode alone"]
    fps = len(frames) / live_s
    verdict = "meets" if fps >= TARGET_FPS else "BELOW"
    print(
        f"live path / rs1090 alone: {ratio:.2f}x the time; "
        f"{verdict} the {TARGET_FPS:,} frames/s target"
    )
    skipped = {k: v for k, v in sorted(counts.items()) if not k.startswith("df") and k != "frames"}
    print(f"positions: {positions:,}; skipped: {skipped or 'none'}\n")


def _repeated_sample(times: int) -> bytes:
    """The sample's frames, re-timed so that every repetition follows the last in time."""
    from deconflict.ingest.beast import BeastFrame, Deframer, encode_frame

    frames = Deframer().feed(SAMPLE.read_bytes())
    span = frames[-1].counter - frames[0].counter + 12_000_000
    out = []
    for repeat in range(times):
        shift = repeat * span
        out += [
            encode_frame(BeastFrame(f.kind, f.counter + shift, f.signal, f.message)) for f in frames
        ]
    return b"".join(out)


def _from_traffic(seconds: int, frame: type, encode: Callable[..., bytes]) -> bytes:
    from deconflict.ingest import squitter
    from deconflict.units import FOOT_M, KNOT_MPS

    with gzip.open(QUICKSTART, "rb") as source:
        records = sorted(json.load(source), key=lambda r: r["timestamp"])
    start = records[0]["timestamp"]
    wire, counter = [], 0
    for r in records:
        t_s = (r["timestamp"] - start) / 1000.0 + 1.0
        if t_s > seconds:
            break
        if r.get("onground") or any(
            r.get(k) is None for k in ("latitude", "longitude", "altitude", "groundspeed", "track")
        ):
            continue
        for message in squitter.transmissions(
            int(t_s),
            r["icao24"],
            r["latitude"],
            r["longitude"],
            r["altitude"] * FOOT_M,
            r["groundspeed"] * KNOT_MPS,
            r["track"],
            (r.get("vertical_rate") or 0.0) * FOOT_M / 60.0,
            r.get("callsign"),
        ):
            counter = max(counter + 1200, round(t_s * 12_000_000))
            wire.append(encode(frame(0x33, counter, 0x80, message)))
    return b"".join(wire)


if __name__ == "__main__":
    sys.exit(main())
