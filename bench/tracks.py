"""POST /tracks: tracks per second over loopback HTTP, beside the live picture alone.

    .venv/bin/python bench/tracks.py [--quick]

Starts `deconflict serve` on a temporary SQLite database in a child process, creates a party,
and pushes batches of 1,000 tracks (each batch moves every track one second on) from this
process over one keep-alive connection: the figure is tracks accepted per second, end to end
(JSON encoding here, parsing, validation, the store), after one batch to warm the server up.
Each track has its own time, a millisecond from the next, as a fused picture stamps them. The
server's CPU time over the run (user + system, from /proc) is printed per 1,000 tracks: it
says what a push costs even when other work shares the machine. The reference pushes the same
batches into an in-process `LivePicture.push`, already parsed, so the ratio is what HTTP and
validation cost. Target: >= 100,000 tracks/s in batches of 1,000.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

BATCH = 1_000
TARGET_TPS = 100_000


def batches(tracks: int, rounds: int, start: datetime) -> list[list[dict[str, Any]]]:
    """`rounds` passes over `tracks` aircraft, cut into batches of BATCH, one second apart."""
    out = []
    for r in range(rounds):
        states = [
            {
                "id": f"t{k}",
                "time": (start + timedelta(seconds=r, milliseconds=k % 1000))
                .isoformat()
                .replace("+00:00", "Z"),
                "lat": 40.0 + (k % 100) * 0.05 + r * 0.001,
                "lon": 10.0 + (k // 100) * 0.05,
                "alt_m": 9000.0,
                "gs_mps": 220.0,
                "trk_deg": 0.0,
                "vs_mps": 0.0,
                "callsign": f"NRT{k}",
            }
            for k in range(tracks)
        ]
        out += [states[i : i + BATCH] for i in range(0, tracks, BATCH)]
    return out


def start_server(database: str, admin_token: str) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-c", "from deconflict.cli import main; main()", "serve"]
    command += ["--port", "0", "--database", database, "--admin-token", admin_token]
    command += ["--log-level", "warning"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, match.group(1)
    raise RuntimeError(f"the server did not start (exit {process.wait()})")


def cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` so far (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def over_http(
    url: str, admin_token: str, bodies: list[bytes], warm_up: bytes, pid: int
) -> tuple[float, int, float | None]:
    """Seconds, tracks accepted and the server's CPU seconds for pushing `bodies`."""
    with httpx.Client(base_url=url, timeout=60) as client:
        created = client.post(
            "/parties",
            json={"name": "North", "id": "north"},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        created.raise_for_status()
        headers = {
            "Authorization": f"Bearer {created.json()['token']}",
            "Content-Type": "application/json",
        }
        client.post("/tracks", content=warm_up, headers=headers).raise_for_status()
        accepted = 0
        cpu_before = cpu_s(pid)
        started = time.perf_counter()
        for body in bodies:
            answer = client.post("/tracks", content=body, headers=headers)
            answer.raise_for_status()
            accepted += answer.json()["accepted"]
        elapsed = time.perf_counter() - started
        cpu_after = cpu_s(pid)
        cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        return elapsed, accepted, cpu


def in_process(rounds: list[list[dict[str, Any]]]) -> tuple[float, int]:
    from deconflict.live import LivePicture
    from deconflict.live.push import PushedTrack
    from deconflict.service import ADMIN, Caller, Service

    with tempfile.TemporaryDirectory() as workdir:
        service = Service.open(f"sqlite:///{workdir}/reference.db")
        try:
            service.add_party(ADMIN, "North", party_id="north")
            live = LivePicture(service)
            parsed = [
                [
                    PushedTrack(
                        t["id"],
                        datetime.fromisoformat(t["time"]).timestamp(),
                        t["lat"],
                        t["lon"],
                        t["alt_m"],
                        t["gs_mps"],
                        t["trk_deg"],
                        t["vs_mps"],
                        t["callsign"],
                    )
                    for t in batch
                ]
                for batch in rounds
            ]
            accepted = 0
            started = time.perf_counter()
            for batch in parsed:
                accepted += live.push(Caller("north"), batch).accepted
            elapsed = time.perf_counter() - started
            live.close()
            return elapsed, accepted
        finally:
            service.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5k tracks x 4 rounds")
    args = parser.parse_args()
    tracks, rounds = (5_000, 4) if args.quick else (20_000, 10)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=rounds + 1)
    work = batches(tracks, rounds, start)
    bodies = [orjson.dumps({"tracks": batch}) for batch in work]
    warm_up = [dict(t, id=f"warm-{t['id']}") for t in work[0]]
    admin_token = secrets.token_urlsafe(32)
    with tempfile.TemporaryDirectory() as workdir:
        process, url = start_server(f"sqlite:///{Path(workdir) / 'bench.db'}", admin_token)
        try:
            http_s, http_n, http_cpu = over_http(
                url, admin_token, bodies, orjson.dumps({"tracks": warm_up}), process.pid
            )
        finally:
            process.terminate()
            process.wait(timeout=30)
    ref_s, ref_n = in_process(work)
    total = tracks * rounds
    size = sum(map(len, bodies)) / len(bodies)
    print(
        f"{total:,} track states: {tracks:,} tracks x {rounds} rounds, batches of {BATCH:,} "
        f"({size / 1024:.0f} KiB each)"
    )
    print(f"POST /tracks over loopback   {http_s:7.2f} s {http_n / http_s:12,.0f} tracks/s")
    if http_cpu is not None:
        print(f"  server CPU {http_cpu * 1000 / (total / 1000):.2f} ms per 1,000 tracks")
    print(f"reference: LivePicture.push  {ref_s:7.2f} s {ref_n / ref_s:12,.0f} tracks/s")
    verdict = "meets" if http_n / http_s >= TARGET_TPS else "BELOW"
    print(
        f"HTTP / in-process: {http_s / ref_s:.2f}x the time; {verdict} the "
        f"{TARGET_TPS:,} tracks/s target"
    )
    if http_n != total or ref_n != total:
        print(f"accepted {http_n} over HTTP and {ref_n} in process, of {total}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
