"""`deconflict backup` and `restore`: a copy taken while the service writes restores to a log
that verifies and matches what the witnesses co-signed, and a restore that rolls the log back
behind a co-signed checkpoint is refused by the witness that co-signed it."""

from __future__ import annotations

import base64
import sqlite3
import threading
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.cli import root
from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, KeyPurpose
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.log import Cosigner, Ed25519Verifier, open_checkpoint
from deconflict.service import ADMIN, Caller, Service, default_database_url
from deconflict.witness import Witness

KEYS = {"a": Cosigner.generate("a"), "b": Cosigner.generate("b")}


def run(*args: str) -> Any:
    return CliRunner().invoke(root, list(args), catch_exceptions=False)


def ok(*args: str) -> Any:
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


class World:
    """A service on SQLite in `data`, parties a and b with witness keys, an agreement."""

    def __init__(self, data: Path, clock: FakeClock) -> None:
        self.data = data
        self.clock = clock
        self.service = self.open()
        self.tokens: dict[str, str] = {}
        for party, cosigner in KEYS.items():
            _, self.tokens[party] = self.service.add_party(ADMIN, party.upper(), party_id=party)
            key = base64.b64encode(cosigner.verifier().public_key).decode()
            self.service.add_key(Caller(party), party, KeyPurpose.COSIGN, key)
        terms = AgreementTerms(name="A-B", members=("a", "b"))
        self.agreement = self.service.add_agreement(ADMIN, terms).id
        self.clients: list[TestClient] = []

    def open(self) -> Service:
        return Service.open(default_database_url(self.data), clock=self.clock)

    def notice(self, lon: float = 35.0) -> None:
        start = self.clock.now() + timedelta(hours=2)
        volume = Volume(
            Circle(lon, 33.0, 5000.0),
            AltitudeBand(0.0, 3000.0),
            TimeWindow(start, start + timedelta(hours=1)),
        )
        self.service.submit_notice(Caller("a"), self.agreement, [volume], "drill")

    def publish(self) -> int:
        self.clock.advance(3)
        self.service.publish_checkpoint(force=True)
        return self.service.log_size()

    def witness(self, party: str, state: Path) -> Witness:
        client = TestClient(create_app(self.service, auth_fail_limit=0))
        client.headers["Authorization"] = f"Bearer {self.tokens[party]}"
        self.clients.append(client)
        return Witness(client, party, KEYS[party], state, clock=self.clock)

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.clients = []
        self.service.close()


@pytest.fixture
def world(tmp_path: Path, clock: FakeClock) -> Iterator[World]:
    w = World(tmp_path / "data", clock)
    yield w
    w.close()


def test_backups_taken_while_the_service_writes_each_restore_to_a_verified_log(
    world: World, tmp_path: Path
) -> None:
    world.notice()
    world.publish()
    stop = threading.Event()
    written = []

    def write() -> None:
        lon = 36.0
        while not stop.is_set() and len(written) < 200:
            world.notice(lon)
            written.append(lon)
            lon += 0.01

    writer = threading.Thread(target=write)
    writer.start()
    try:
        backups = []
        for n in range(3):
            while len(written) < 5 * (n + 1):
                threading.Event().wait(0.01)
            backups.append(tmp_path / f"backup-{n}.db")
            out = ok("backup", "--data-dir", str(world.data), "-o", str(backups[-1])).stdout
            assert out.startswith(f"backed up {world.data / 'deconflict.db'} to {backups[-1]}: ")
    finally:
        stop.set()
        writer.join(timeout=60)
    sizes = []
    for n, backup in enumerate(backups):
        restored = tmp_path / f"restored-{n}"
        out = ok("restore", str(backup), "--data-dir", str(restored)).stdout
        assert "log verified: " in out
        service = Service.open(default_database_url(restored), clock=world.clock)
        try:
            assert service.verify_log() == []
            sizes.append(service.log_size())
            assert (
                f"restored {backup} to {restored / 'deconflict.db'}: {sizes[-1]} log entries" in out
            )
        finally:
            service.close()
    assert sizes == sorted(sizes)
    assert sizes[0] < sizes[-1] <= world.service.log_size()


def test_the_restored_log_matches_the_checkpoint_the_witnesses_cosigned(
    world: World, tmp_path: Path
) -> None:
    world.notice()
    size = world.publish()
    for party in KEYS:
        assert world.witness(party, tmp_path / f"w-{party}").run_once().cosigned
    cosigned = world.service.log_checkpoint()
    ok("backup", "--data-dir", str(world.data), "-o", str(tmp_path / "backup.db"))
    world.close()

    restored = tmp_path / "restored"
    out = ok("restore", str(tmp_path / "backup.db"), "--data-dir", str(restored)).stdout
    assert f"  a: co-signed up to size {size}" in out
    assert f"  b: co-signed up to size {size}" in out
    world.data = restored
    world.service = world.open()
    assert world.service.verify_log() == []
    assert world.service.log_checkpoint() == cosigned
    log = Ed25519Verifier.from_vkey(world.service.log_verifier_key())
    opened = open_checkpoint(cosigned, log, [k.verifier() for k in KEYS.values()])
    assert (opened.checkpoint.size, sorted(c.name for c in opened.cosignatures)) == (
        size,
        ["a", "b"],
    )
    again = world.witness("a", tmp_path / "w-a").run_once()
    assert (again.ok, again.size) == (True, size)


def test_a_restore_behind_a_cosigned_checkpoint_is_refused_by_that_witness(
    world: World, tmp_path: Path
) -> None:
    world.notice()
    old_size = world.publish()
    assert world.witness("a", tmp_path / "w-a").run_once().cosigned
    ok("backup", "--data-dir", str(world.data), "-o", str(tmp_path / "backup.db"))
    world.notice(36.0)
    new_size = world.publish()
    assert world.witness("a", tmp_path / "w-a").run_once().size == new_size > old_size
    world.close()

    refused = run("restore", str(tmp_path / "backup.db"), "--data-dir", str(world.data))
    assert refused.exit_code == 2
    assert "is not empty; give --force" in refused.stderr
    out = ok("restore", str(tmp_path / "backup.db"), "--data-dir", str(world.data), "--force")
    assert f"  a: co-signed up to size {old_size}" in out.stdout
    world.service = world.open()
    assert world.service.verify_log() == []
    assert world.service.log_size() == old_size

    rolled_back = world.witness("a", tmp_path / "w-a").run_once()
    assert (rolled_back.cosigned, rolled_back.size) == (False, old_size)
    [alert] = rolled_back.alerts
    assert alert.kind == "split-view"
    assert f"size {old_size} is smaller than {new_size}" in alert.detail

    for lon in (37.0, 38.0):
        world.notice(lon)
    assert world.publish() > new_size
    forked = world.witness("a", tmp_path / "w-a").run_once()
    assert not forked.cosigned
    assert [a.kind for a in forked.alerts] == ["split-view"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("backup", "--data-dir", "{tmp}/none", "-o", "{tmp}/b.db"), "no deconflict database in"),
        (("backup", "--data-dir", "{data}", "-o", "{tmp}/exists"), "exists; give --force"),
        (("restore", "{tmp}/missing.db", "--data-dir", "{tmp}/r"), "no backup file"),
        (("restore", "{tmp}/exists", "--data-dir", "{tmp}/r"), "is not an SQLite database"),
        (("restore", "{tmp}/plain.db", "--data-dir", "{tmp}/r"), "is not a deconflict database"),
        (("restore", "{tmp}/exists", "--data-dir", "{tmp}/exists"), "is not a directory"),
    ],
)
def test_bad_input_exits_2(
    world: World, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "exists").write_text("x" * 200)
    plain = sqlite3.connect(tmp_path / "plain.db")
    plain.execute("CREATE TABLE t (x)")
    plain.close()
    filled = [a.format(tmp=tmp_path, data=world.data) for a in args]
    result = run(*filled)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert not (tmp_path / "r").exists()
