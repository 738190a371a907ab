"""Beast recordings made from recorded traffic, for tests that check the decoder end to end."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from deconflict.ingest import squitter
from deconflict.ingest.beast import TICKS_PER_S, BeastFrame, encode_frame
from deconflict.units import FOOT_M, KNOT_MPS

QUICKSTART = Path(__file__).parents[1] / ".." / "shared" / "data" / "traffic" / "quickstart.json.gz"


@dataclass(frozen=True)
class Truth:
    """What a position message was made from."""

    t_s: float
    icao24: str
    lat: float
    lon: float
    alt_m: float


def quickstart_records(seconds: float, flights: int) -> list[dict[str, object]]:
    """Airborne records of the first `flights` aircraft in the first `seconds` of quickstart."""
    with gzip.open(QUICKSTART, "rb") as source:
        records = json.load(source)
    start = min(r["timestamp"] for r in records)
    keep: list[str] = []
    chosen = []
    for record in sorted(records, key=lambda r: r["timestamp"]):
        if record["timestamp"] - start > seconds * 1000:
            break
        complete = all(
            record.get(k) is not None
            for k in ("latitude", "longitude", "altitude", "groundspeed", "track")
        )
        if not complete or record.get("onground"):
            continue
        if record["icao24"] not in keep:
            if len(keep) == flights:
                continue
            keep.append(record["icao24"])
        chosen.append(record)
    return chosen


def recording(records: list[dict[str, object]]) -> tuple[bytes, list[Truth]]:
    """A Beast recording of the records, each second's `squitter.transmissions`. The counter
    is the record's
    time, nudged 0.1 ms on so that it always increases."""
    start = min(float(r["timestamp"]) for r in records) / 1000.0  # type: ignore[arg-type]
    wire: list[bytes] = []
    truths: list[Truth] = []
    counter = 0
    for r in records:
        t_s = float(r["timestamp"]) / 1000.0 - start + 1.0  # type: ignore[arg-type]
        icao, lat, lon = str(r["icao24"]), float(r["latitude"]), float(r["longitude"])  # type: ignore[arg-type]
        alt_m = float(r["altitude"]) * FOOT_M  # type: ignore[arg-type]
        second = int(t_s)
        gs = float(r["groundspeed"]) * KNOT_MPS  # type: ignore[arg-type]
        vs = float(r.get("vertical_rate") or 0.0) * FOOT_M / 60.0  # type: ignore[arg-type]
        track = float(r["track"])  # type: ignore[arg-type]
        callsign = str(r["callsign"]) if r.get("callsign") else None
        messages = squitter.transmissions(second, icao, lat, lon, alt_m, gs, track, vs, callsign)
        truths.append(
            Truth(
                max(counter + 1200, round(t_s * TICKS_PER_S)) / TICKS_PER_S, icao, lat, lon, alt_m
            )
        )
        for message in messages:
            counter = max(counter + 1200, round(t_s * TICKS_PER_S))
            wire.append(encode_frame(BeastFrame(0x33, counter, 0x80, message)))
    return b"".join(wire), truths
