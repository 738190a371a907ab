"""Schemathesis against a running `deconflict serve`, as a party and as the admin: no 5xx.

    python .ci/schemathesis_run.py [--postgres ADMIN_URL] [--max-examples N] [--seed N] [--keep DIR]

For each backend (SQLite in a temporary data directory, and PostgreSQL in a temporary database
when --postgres names a server), this starts `deconflict serve` on a free port with a known
admin token and no limit on failed authentications, creates a small world through the API
(three parties with tokens, two agreements, a notice by each, an area and a hazard), and runs
`st run` against its /openapi.json: every phase, the stateful one following the document's
OpenAPI links, with checks not_a_server_error and response_schema_conformance. It runs once
with party alpha's token (the token routes left out, so alpha cannot rotate its own token away
mid-run) and once with the admin token (POST /admin/token left out, for the same reason).
`/events/stream` is left out of both: it ends only after `max_events` events, so schemathesis
would wait out its timeout on each request; tests/api/test_api_fuzz.py fuzzes its status line.

It prints, per run, the requests sent, the 5xx among them, the other check failures and the
seconds taken, and exits 1 on any 5xx or schema mismatch.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ADMIN_TOKEN = "schemathesis-admin-token-0123456789abcdef"
ST = Path(sys.executable).with_name("st")
CHECKS = "not_a_server_error,response_schema_conformance"


@contextmanager
def serving(workdir: Path, database: str | None) -> Iterator[str]:
    """`deconflict serve` on a free port of 127.0.0.1; its base URL. Stopped on exit."""
    command = [sys.executable, "-c", "from deconflict.cli import main; main()", "serve"]
    command += ["--port", "0", "--data-dir", str(workdir / "data"), "--admin-token", ADMIN_TOKEN]
    command += ["--auth-fail-limit", "0", "--log-level", "warning"]
    if database is not None:
        command += ["--database", database]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with (workdir / "serve.stderr").open("w") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    try:
        first = child.stdout.readline() if child.stdout is not None else ""
        found = re.search(r"serving on (http://\S+)", first)
        if found is None:
            raise SystemExit(
                f"serve did not start: {first!r}\n{(workdir / 'serve.stderr').read_text()}"
            )
        yield found.group(1)
    finally:
        child.terminate()
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()


def _created(response: httpx.Response) -> Any:
    if response.status_code != 201:
        raise SystemExit(
            f"setting up the world: {response.request.url} {response.status_code} {response.text}"
        )
    return response.json()


def make_world(url: str) -> dict[str, str]:
    """Parties alpha, bravo, charlie; agreements ab and bc; a notice by each, alpha's area and
    a hazard in ab. Returns each party's token."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    tokens: dict[str, str] = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for party in ("alpha", "bravo", "charlie"):
            body = {"name": party.title(), "id": party}
            tokens[party] = _created(client.post("/parties", json=body, headers=admin))["token"]
        for agreement, members in (("ab", ["alpha", "bravo"]), ("bc", ["bravo", "charlie"])):
            body = {"id": agreement, "name": agreement, "members": members}
            _created(client.post("/agreements", json=body, headers=admin))
        start = datetime.now(UTC) + timedelta(hours=3)

        def volume(lon: float) -> dict[str, Any]:
            return {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[lon, 10.0], [lon + 0.2, 10.0], [lon + 0.2, 10.2], [lon, 10.0]]
                    ],
                },
                "properties": {
                    "alt_lower_m": 1000.0,
                    "alt_upper_m": 3000.0,
                    "time_start": start.isoformat(),
                    "time_end": (start + timedelta(hours=2)).isoformat(),
                },
            }

        for party, agreement, lon in (
            ("alpha", "ab", 30.0),
            ("bravo", "ab", 30.1),
            ("charlie", "bc", 50.0),
        ):
            auth = {"Authorization": f"Bearer {tokens[party]}"}
            body = {"agreement_id": agreement, "purpose": f"{party}'s", "volumes": [volume(lon)]}
            _created(client.post("/notices", json=body, headers=auth))
        alpha = {"Authorization": f"Bearer {tokens['alpha']}"}
        _created(
            client.post(
                "/protected-areas", json={"name": "base", "volume": volume(-60.0)}, headers=alpha
            )
        )
        hazard = {"agreement_id": "ab", "name": "crane", "volume": volume(-70.0)}
        _created(client.post("/hazards", json=hazard, headers=alpha))
    return tokens


def run_schemathesis(
    url: str, token: str, excluded: list[str], report_dir: Path, args: argparse.Namespace
) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """`st run` with the token; the HAR entries, the JSON report and the seconds it took."""
    report_dir = report_dir.resolve()
    command = [str(ST), "run", f"{url}/openapi.json", "--checks", CHECKS]
    command += ["--header", f"Authorization: Bearer {token}"]
    command += ["--max-examples", str(args.max_examples), "--seed", str(args.seed)]
    command += ["--workers", "1", "--request-timeout", "10", "--no-color"]
    command += ["--generation-database", "none", "--warnings", "off"]
    command += ["--report", "har,json", "--report-dir", str(report_dir)]
    for path in [*excluded, "/events/stream", "/tracks/stream"]:
        command += ["--exclude-path", path]
    started = time.monotonic()
    # In the run's own directory: schemathesis keeps the crashes it found under its working
    # directory and replays them first next time, which a seeded run must not depend on.
    report_dir.mkdir(parents=True)
    finished = subprocess.run(command, capture_output=True, text=True, check=False, cwd=report_dir)
    seconds = time.monotonic() - started
    (report_dir / "st.out").write_text(finished.stdout + finished.stderr)
    hars = glob.glob(str(report_dir / "har-*.json"))
    reports = glob.glob(str(report_dir / "json-*.json"))
    if not hars or not reports:
        raise SystemExit(f"schemathesis wrote no report:\n{finished.stdout}\n{finished.stderr}")
    entries = json.loads(Path(hars[0]).read_text())["log"]["entries"]
    return entries, json.loads(Path(reports[0]).read_text()), seconds


@contextmanager
def database(backend: str, postgres: str | None) -> Iterator[str | None]:
    """The database URL to serve from: None (SQLite in the data directory), or a temporary
    PostgreSQL database, dropped on exit."""
    if backend == "sqlite" or postgres is None:
        yield None
        return
    engine = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    name = f"deconflict_st_{uuid.uuid4().hex[:8]}"
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield engine.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def summarise(
    backend: str, who: str, entries: list[dict[str, Any]], report: dict[str, Any], seconds: float
) -> tuple[list[str], Counter[str]]:
    """Print one run's figures; return its 5xx and errors, and its other failed checks by
    name."""
    statuses = Counter(e["response"]["status"] for e in entries)
    server_errors = [e for e in entries if e["response"]["status"] >= 500]
    failures = []
    for entry in server_errors:
        request = entry["request"]
        body = (request.get("postData", {}).get("text") or "")[:300]
        status = entry["response"]["status"]
        failures.append(
            f"{backend} [{who}] {status} {request['method']} {request['url'][:300]} {body}"
        )
    errors = report.get("errors", [])
    failures += [f"{backend} [{who}] error: {json.dumps(e)[:300]}" for e in errors]
    checks = Counter(str(f.get("title") or f.get("check") or f) for f in report.get("failures", []))
    checks = Counter({k: n for k, n in checks.items() if "server error" not in k.lower()})
    print(
        f"schemathesis on {backend} as {who}: {len(entries)} requests, {len(server_errors)} 5xx, "
        f"{sum(checks.values())} other check failures {dict(checks)}, {len(errors)} errors, "
        f"{seconds:.0f} s; by status: "
        + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())),
        flush=True,
    )
    return failures, checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--postgres", help="a PostgreSQL server's admin URL, to run there too")
    parser.add_argument("--max-examples", type=int, default=20, help="per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the reports and server logs here")
    args = parser.parse_args()
    failures: list[str] = []
    failed_checks: Counter[str] = Counter()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="deconflict-st-") as tmp:
        for backend in ["sqlite", "postgres"] if args.postgres else ["sqlite"]:
            workdir = (args.keep or Path(tmp)) / backend
            workdir.mkdir(parents=True)
            with database(backend, args.postgres) as url_of_db, serving(workdir, url_of_db) as url:
                tokens = make_world(url)
                for who, token, excluded in (
                    ("alpha", tokens["alpha"], ["/parties/{party_id}/token", "/admin/token"]),
                    ("admin", ADMIN_TOKEN, ["/admin/token"]),
                ):
                    ran = run_schemathesis(url, token, excluded, workdir / f"report-{who}", args)
                    bad, checks = summarise(backend, who, *ran)
                    failures += bad
                    failed_checks.update(checks)
    for line in failures:
        print(f"  {line}")
    print(f"schemathesis stage: {time.monotonic() - started:.0f} s")
    if failures or failed_checks:
        print(f"FAILED: {len(failures)} 5xx or errors; checks {dict(failed_checks)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
