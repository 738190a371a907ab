"""Service start-up with many active volumes: how long until the strategic indexes are rebuilt.

Loads N active notices (one realistic volume each, from bench/strategic.py's generator) into a
fresh SQLite file and a fresh PostgreSQL database, then times `Service.open` (migrations plus
rebuilding every agreement's index from the database). In the same run it times the reference
without a database: building `StrategicIndex` from the volumes already in memory, and parsing
the stored GeoJSON alone, so the figures split into database, parsing and index building.

    .venv/bin/python bench/service_startup.py                 # 1M volumes, both backends
    .venv/bin/python bench/service_startup.py --quick         # 10k volumes
    .venv/bin/python bench/service_startup.py --count 100000 --backend sqlite
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from deconflict.clock import FakeClock
from deconflict.detection.strategic import StrategicIndex
from deconflict.domain import AgreementTerms, DisclosureRule
from deconflict.geometry.formats import volume_from_geojson, volume_to_geojson
from deconflict.geometry.stored import volumes_from_stored_geojson
from deconflict.log import LogEntry, new_salt
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage import tables as t
from deconflict.storage.log_entries import PendingEntry, append_entries
from deconflict.times import read_utc
from strategic import make_volumes

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CHUNK = 5000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(url: str, features: list[dict[str, object]], clock: FakeClock) -> None:
    """A migrated database with two parties, one agreement and one notice per feature, each
    with its log entry, as if they had been submitted through the service."""
    service = Service.open(url, clock=clock)
    for pid in ("a", "b"):
        service.add_party(ADMIN, pid.upper(), party_id=pid)
    terms = AgreementTerms(
        name="bench",
        members=("a", "b"),
        buffer_h_m=5000,
        buffer_v_m=300,
        disclosure=DisclosureRule.AFFECTED,
    )
    agreement = service.add_agreement(ADMIN, terms, agreement_id="agr")
    service.close()
    engine = sa.create_engine(url)
    now = clock.now()
    with engine.begin() as conn:
        for start in range(0, len(features), CHUNK):
            chunk = features[start : start + CHUNK]
            notices = []
            versions = []
            for offset, feature in enumerate(chunk):
                i = start + offset
                notice_id = f"ntc_{i:013d}"
                props = feature["properties"]
                assert isinstance(props, dict)
                notices.append(
                    {
                        "id": notice_id,
                        "agreement_id": agreement.id,
                        "originator": "a" if i % 2 else "b",
                        "latest_version": 1,
                        "state": "submitted",
                        "created_at": now,
                    }
                )
                versions.append(
                    {
                        "notice_id": notice_id,
                        "version": 1,
                        "kind": "submission",
                        "agreement_version": 1,
                        "purpose": "bench",
                        "volumes": [feature],
                        "time_start": read_utc(props["time_start"]),
                        "time_end": read_utc(props["time_end"]),
                        "created_at": now,
                        "submitted_at": now,
                        "indexed": True,
                    }
                )
            conn.execute(t.notices.insert(), notices)
            conn.execute(t.notice_versions.insert(), versions)
            append_entries(
                conn,
                [
                    PendingEntry(
                        LogEntry(
                            "notice.version",
                            n["originator"],
                            now,
                            new_salt(),
                            body={"notice_id": n["id"], "version": 1, "volumes": v["volumes"]},
                        ),
                        {n["originator"]},
                        n["id"],
                        1,
                    )
                    for n, v in zip(notices, versions, strict=True)
                ],
                lock=False,
            )
    engine.dispose()


def postgres_url() -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"deconflict_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    return admin.url.set(database=name).render_as_string(hide_password=False), admin, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="10k volumes")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    count = 10_000 if args.quick else args.count
    rng = np.random.default_rng(args.seed)
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    print(f"service start-up with {count:,} active volumes (one per notice), Middle East region")

    t0 = time.perf_counter()
    volumes = make_volumes(count, "middle-east", rng)
    features = [volume_to_geojson(v) for v in volumes]
    print(f"  generated volumes and GeoJSON       {time.perf_counter() - t0:8.1f} s")

    t0 = time.perf_counter()
    StrategicIndex.build((f"v{i}", v) for i, v in enumerate(volumes))
    build_s = time.perf_counter() - t0
    print(f"  reference: index from memory        {build_s:8.1f} s")
    t0 = time.perf_counter()
    for feature in features:
        volume_from_geojson(feature)
    parse_s = time.perf_counter() - t0
    print(f"  reference: parse GeoJSON, validated {parse_s:8.1f} s")
    t0 = time.perf_counter()
    for start in range(0, len(features), 10_000):
        volumes_from_stored_geojson(features[start : start + 10_000])
    trusted_s = time.perf_counter() - t0
    print(f"  reference: parse GeoJSON, trusted   {trusted_s:8.1f} s (the start-up path)")

    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    for backend in backends:
        cleanup = None
        if backend == "sqlite":
            tmp = tempfile.TemporaryDirectory()
            url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
            cleanup = tmp.cleanup
        else:
            url, admin, name = postgres_url()

            def cleanup(admin: sa.Engine = admin, name: str = name) -> None:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()

        try:
            t0 = time.perf_counter()
            prepare(url, features, clock)
            load_s = time.perf_counter() - t0
            rss_before = rss_mb()
            t0 = time.perf_counter()
            service = Service.open(url, clock=clock)
            open_s = time.perf_counter() - t0
            latencies = []
            for i in range(20):
                probe = volumes[i]
                t1 = time.perf_counter()
                service.submit_notice(Caller("a"), "agr", [probe.shifted(timedelta(0))], "probe")
                latencies.append(time.perf_counter() - t1)
            service.close()
            print(
                f"  {backend:8s} bulk load {load_s:7.1f} s | Service.open {open_s:7.1f} s "
                f"({open_s / build_s:4.1f}x index-from-memory) | peak RSS {rss_mb():,.0f} MB "
                f"(+{rss_mb() - rss_before:,.0f}) | submit after start p50 "
                f"{sorted(latencies)[10] * 1000:.1f} ms"
            )
            print(f"           target: start-up < 60 s -> {'met' if open_s < 60 else 'NOT met'}")
        finally:
            cleanup()


if __name__ == "__main__":
    main()
