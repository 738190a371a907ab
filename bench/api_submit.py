"""Notices submitted per second through the HTTP API, and the same submissions in-process.

Set-up: one SQLite database preloaded (in-process, through `Service.submit_notice`) with
EXISTING notices of party B spread over a Middle-East-sized area and a week; then a copy of it.
Measured: `deconflict serve` in a separate process on loopback, 16 client threads (httpx, one
keep-alive connection each) submitting party A's notices with the strategic check on; the
reference is the same submissions, from 16 threads, straight into `Service.submit_notice` on
the copy (no HTTP, no JSON). Both runs must report the same conflicts for every submission.

    .venv/bin/python bench/api_submit.py            # 10k existing notices, 1,600 submissions
    .venv/bin/python bench/api_submit.py --quick    # 1k existing, 320 submissions
"""

from __future__ import annotations

import argparse
import random
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from deconflict.domain import AgreementTerms
from deconflict.geometry.formats import volume_from_geojson
from deconflict.service import ADMIN, Caller, Service
from deconflict.times import format_utc

CLIENTS = 16
AREA = (34.0, 60.0, 14.0, 38.0)  # lon min, lon max, lat min, lat max


def feature(rng: random.Random, now: datetime) -> dict[str, Any]:
    """A square 10-60 km across, a band in 300 m-6 km, a 1-6 h window within the coming week."""
    lon = rng.uniform(AREA[0], AREA[1])
    lat = rng.uniform(AREA[2], AREA[3])
    half = rng.uniform(0.05, 0.3)
    lower = rng.uniform(0, 9000)
    start = now + timedelta(hours=2) + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
    end = start + timedelta(minutes=rng.randrange(60, 360))
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "alt_lower_m": round(lower),
            "alt_upper_m": round(lower + rng.uniform(300, 6000)),
            "time_start": format_utc(start),
            "time_end": format_utc(end),
        },
    }


def preload(url: str, admin_token: str, existing: int, rng: random.Random) -> tuple[str, float]:
    """Parties a and b, agreement ab, and `existing` notices of b; a's token and the seconds."""
    service = Service.open(url, admin_token=admin_token)
    try:
        _, token_a = service.add_party(ADMIN, "A", party_id="a")
        service.add_party(ADMIN, "B", party_id="b")
        service.add_agreement(ADMIN, AgreementTerms("ab", ("a", "b")), agreement_id="ab")
        now = datetime.now(UTC)
        started = time.perf_counter()
        for _ in range(existing):
            volume = volume_from_geojson(feature(rng, now))
            service.submit_notice(Caller("b"), "ab", [volume], "preload")
        return token_a, time.perf_counter() - started
    finally:
        service.close()


def run_clients(
    bodies: list[dict[str, Any]], submit: Callable[[int, dict[str, Any]], frozenset[str]]
) -> tuple[float, list[float], dict[int, frozenset[str]]]:
    """Wall seconds, per-request latencies and conflicts per submission, from CLIENTS threads."""
    latencies: list[float] = []
    answers: dict[int, frozenset[str]] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []

    def client(worker: int) -> None:
        try:
            for i in range(worker, len(bodies), CLIENTS):
                started = time.perf_counter()
                found = submit(i, bodies[i])
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    answers[i] = found
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return wall, latencies, answers


def start_server(url: str, admin_token: str) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-c",
        "from deconflict.cli import main; main()",
        "serve",
        "--port",
        "0",
        "--database",
        url,
        "--admin-token",
        admin_token,
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if process.stdout is None:
        raise RuntimeError("no stdout from the server")
    for line in process.stdout:
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            threading.Thread(target=process.stdout.read, daemon=True).start()
            return process, match.group(1)
    raise RuntimeError(f"the server did not start (exit {process.wait()})")


def report(name: str, wall: float, latencies: list[float]) -> float:
    rate = len(latencies) / wall
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    print(
        f"{name:<24} {len(ms):>6} submissions in {wall:7.2f} s: {rate:8.1f} /s, "
        f"p50 {p50:7.1f} ms, p99 {p99:7.1f} ms"
    )
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k existing, 320 submissions")
    args = parser.parse_args()
    existing, submissions = (1_000, 320) if args.quick else (10_000, 1_600)
    rng = random.Random(20260601)
    admin_token = secrets.token_urlsafe(32)
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        http_db, ref_db = workdir / "http.db", workdir / "reference.db"
        token_a, preload_s = preload(f"sqlite:///{http_db}", admin_token, existing, rng)
        print(
            f"preloaded {existing} notices in-process in {preload_s:.1f} s "
            f"({existing / preload_s:.1f} /s, serial, growing index)"
        )
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{http_db}{suffix}").exists():
                shutil.copy(f"{http_db}{suffix}", f"{ref_db}{suffix}")
        now = datetime.now(UTC)
        bodies = [
            {"agreement_id": "ab", "purpose": "bench", "volumes": [feature(rng, now)]}
            for _ in range(submissions)
        ]

        process, base_url = start_server(f"sqlite:///{http_db}", admin_token)
        try:
            clients = [
                httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token_a}"})
                for _ in range(CLIENTS)
            ]
            clients[0].get("/health").raise_for_status()

            def over_http(i: int, body: dict[str, Any]) -> frozenset[str]:
                response = clients[i % CLIENTS].post("/notices", json=body, timeout=60)
                if response.status_code != 201:
                    raise RuntimeError(f"{response.status_code}: {response.text}")
                return frozenset(c["other_id"] for c in response.json()["conflicts"])

            http_wall, http_lat, http_answers = run_clients(bodies, over_http)
            for c in clients:
                c.close()
        finally:
            process.terminate()
            process.wait(timeout=30)

        service = Service.open(f"sqlite:///{ref_db}")
        try:

            def in_process(i: int, body: dict[str, Any]) -> frozenset[str]:
                volumes = [volume_from_geojson(f) for f in body["volumes"]]
                notice = service.submit_notice(Caller("a"), "ab", volumes, body["purpose"])
                return frozenset(c.other_id for c in notice.conflicts)

            ref_wall, ref_lat, ref_answers = run_clients(bodies, in_process)
        finally:
            service.close()

        print(f"{CLIENTS} concurrent clients, {existing} existing notices, SQLite, loopback")
        http_rate = report("HTTP API (serve)", http_wall, http_lat)
        ref_rate = report("in-process reference", ref_wall, ref_lat)
        print(f"HTTP / in-process throughput: {http_rate / ref_rate:.2f}")
        conflicts = sum(len(a) for a in ref_answers.values())
        same = http_answers == ref_answers
        print(
            f"conflicts reported: {conflicts} over {submissions} submissions; "
            f"answers identical: {same}"
        )
        return 0 if same else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
