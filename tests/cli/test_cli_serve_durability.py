"""`deconflict serve` killed with SIGKILL under load: after a restart on the same database every
write it acknowledged is there, and the log verifies.

The server runs as a subprocess, as an operator runs it, on a free loopback port. Client threads
submit notices and acknowledge each other's; after `LOAD_S` seconds the server is killed while
they are still sending. Writes in flight at the kill may or may not have landed; every write
answered with a 2xx must have.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

import deconflict
from deconflict.service import Service

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"
STARTUP_LIMIT_S = 120
LOAD_S = 5.0
PARTIES = ("a", "b")
SERVING = re.compile(r"deconflict serving on (http://127\.0\.0\.1:\d+)")


def _child_env() -> dict[str, str]:
    """This process's environment with the source tree it imported first on the path, so the
    server runs the same code as the test (a worktree's, or the editable install's)."""
    env = dict(os.environ)
    source = str(Path(deconflict.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    return env


@contextmanager
def serving(database_url: str, output: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`deconflict serve` on 127.0.0.1 and a free port; the process and its URL. It is stopped
    (SIGINT, then SIGKILL) when the block ends, unless the test killed it first."""
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from deconflict.cli import main; main()",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--database",
                database_url,
                "--admin-token",
                ADMIN_TOKEN,
                "--log-level",
                "warning",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_child_env(),
        )
        try:
            yield process, _wait_until_serving(process, output)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_until_serving(process: subprocess.Popen[bytes], output: Path) -> str:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while time.monotonic() < deadline and process.poll() is None:
        found = SERVING.search(output.read_text(errors="replace"))
        if found:
            url = found[1]
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    pytest.fail(f"deconflict serve did not start: {output.read_text(errors='replace')}")


def _feature(rng: random.Random) -> dict[str, Any]:
    """A small square somewhere on Earth, three hours from now for an hour."""
    lon, lat, half = rng.uniform(-170, 170), rng.uniform(-60, 60), 0.05
    start = datetime.now(UTC) + timedelta(hours=3)
    return {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [lon - half, lat - half],
                    [lon + half, lat - half],
                    [lon + half, lat + half],
                    [lon - half, lat + half],
                    [lon - half, lat - half],
                ]
            ],
        },
        "properties": {
            "alt_lower_m": 1000.0,
            "alt_upper_m": 3000.0,
            "time_start": start.isoformat(),
            "time_end": (start + timedelta(hours=1)).isoformat(),
        },
    }


@dataclass
class Load:
    """What the clients sent and what the server acknowledged with a 2xx."""

    agreement_id: str
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    notices: dict[str, str] = field(default_factory=dict)
    """Notice id -> originator, for every 201 to a submission."""
    acks: set[tuple[str, int, str]] = field(default_factory=set)
    """(notice, version, party) for every 201 to an acknowledgement."""
    in_flight: int = 0
    answers: Counter[str] = field(default_factory=Counter)

    def send(self, client: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response | None:
        with self.lock:
            self.in_flight += 1
        try:
            response = client.post(path, json=body)
        except httpx.HTTPError as exc:
            with self.lock:
                self.answers[type(exc).__name__] += 1
            time.sleep(0.05)
            return None
        finally:
            with self.lock:
                self.in_flight -= 1
        with self.lock:
            self.answers[str(response.status_code)] += 1
        return response

    def submit(self, client: httpx.Client, party: str) -> None:
        rng = random.Random(party)
        while not self.stop.is_set():
            body = {
                "agreement_id": self.agreement_id,
                "purpose": "load",
                "volumes": [_feature(rng)],
            }
            response = self.send(client, "/notices", body)
            if response is not None and response.status_code == 201:
                with self.lock:
                    self.notices[response.json()["id"]] = party

    def acknowledge(self, client: httpx.Client, party: str) -> None:
        done: set[str] = set()
        while not self.stop.is_set():
            with self.lock:
                due = [n for n, by in self.notices.items() if by != party and n not in done]
            if not due:
                time.sleep(0.01)
                continue
            notice_id = due[0]
            done.add(notice_id)
            response = self.send(client, f"/notices/{notice_id}/acknowledgements", {"version": 1})
            if response is not None and response.status_code == 201:
                with self.lock:
                    self.acks.add((notice_id, 1, party))


def _client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _set_up(url: str) -> tuple[dict[str, str], str]:
    """Parties a and b and an agreement between them; the parties' tokens, the agreement id."""
    tokens = {}
    with _client(url, ADMIN_TOKEN) as admin:
        for party in PARTIES:
            created = admin.post("/parties", json={"name": party.upper(), "id": party})
            assert created.status_code == 201, created.text
            tokens[party] = created.json()["token"]
        agreement = admin.post("/agreements", json={"name": "A-B", "members": list(PARTIES)})
        assert agreement.status_code == 201, agreement.text
    return tokens, agreement.json()["id"]


def _missing(url: str, tokens: dict[str, str], load: Load) -> list[str]:
    """Every acknowledged write the server does not serve back."""
    missing = []
    clients = {party: _client(url, token) for party, token in tokens.items()}
    try:
        for notice_id, originator in sorted(load.notices.items()):
            if clients[originator].get(f"/notices/{notice_id}").status_code != 200:
                missing.append(f"notice {notice_id}")
        for notice_id, version, party in sorted(load.acks):
            originator = clients[load.notices[notice_id]]
            served = originator.get(f"/notices/{notice_id}/acknowledgements").json()["items"]
            if not any((a["version"], a["party"]) == (version, party) for a in served):
                missing.append(f"acknowledgement of {notice_id} v{version} by {party}")
    finally:
        for client in clients.values():
            client.close()
    return missing


@pytest.mark.slow
def test_every_acknowledged_write_survives_kill_9_under_load(
    database_url: str, tmp_path: Path
) -> None:
    started = time.monotonic()
    with serving(database_url, tmp_path / "first.out") as (process, url):
        tokens, agreement_id = _set_up(url)
        load = Load(agreement_id)
        jobs = [
            (load.submit, "a"),
            (load.submit, "b"),
            (load.acknowledge, "a"),
            (load.acknowledge, "b"),
        ]
        clients = [_client(url, tokens[party]) for _, party in jobs]
        workers = [
            threading.Thread(target=work, args=(client, party), daemon=True)
            for (work, party), client in zip(jobs, clients, strict=True)
        ]
        loading = time.monotonic()
        for worker in workers:
            worker.start()
        # LOAD_S of load, longer only if a busy machine has acknowledged no write of each kind.
        deadline = loading + LOAD_S + STARTUP_LIMIT_S
        time.sleep(LOAD_S)
        while time.monotonic() < deadline and not (load.notices and load.acks):
            time.sleep(0.1)
        with load.lock:
            process.send_signal(signal.SIGKILL)
            in_flight, load_s = load.in_flight, time.monotonic() - loading
        process.wait(timeout=10)
        load.stop.set()
        for worker in workers:
            worker.join(timeout=30)
        for client in clients:
            client.close()
    assert process.returncode == -signal.SIGKILL
    assert not any(worker.is_alive() for worker in workers)
    with serving(database_url, tmp_path / "second.out") as (_, restarted):
        missing = _missing(restarted, tokens, load)
    service = Service.open(database_url)
    try:
        problems = service.verify_log()
    finally:
        service.close()
    figures = (
        f"{len(load.notices)} notices and {len(load.acks)} acknowledgements acknowledged, "
        f"{len(missing)} lost; killed after {load_s:.1f} s of load with {in_flight} requests "
        f"in flight; answers {dict(load.answers)}; {time.monotonic() - started:.1f} s in all"
    )
    print(figures)
    assert load.notices, figures
    assert load.acks, figures
    assert missing == [], figures
    assert problems == [], figures
