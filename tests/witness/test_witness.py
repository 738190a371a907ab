"""Witnesses against the real API: two parties co-sign, entries are checked, and a split view,
whether shown to one witness over time or to two witnesses at once, is refused with evidence."""

from __future__ import annotations

import base64
import json
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.clock import FakeClock
from deconflict.domain import AgreementTerms, KeyPurpose
from deconflict.errors import NotFound
from deconflict.geometry import AltitudeBand, Circle, TimeWindow, Volume
from deconflict.log import (
    CompactRange,
    Cosigner,
    Ed25519Signer,
    Ed25519Verifier,
    open_checkpoint,
    parse_entry,
)
from deconflict.service import ADMIN, Caller, Service
from deconflict.storage import tables as t
from deconflict.witness import StateDir, Witness, WitnessError, WitnessState, WitnessStateError
from deconflict.witness import runner as witness_module

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"


@dataclass
class Mechanism:
    """A service with parties a, b, c, an agreement between a and b, and a and b's witness keys."""

    service: Service
    tokens: dict[str, str]
    agreement: str
    clients: list[TestClient]

    def client(self, party: str) -> TestClient:
        client = TestClient(
            create_app(self.service), headers={"Authorization": f"Bearer {self.tokens[party]}"}
        )
        self.clients.append(client)
        return client

    def notice(self, clock: FakeClock, lon: float = 35.0) -> str:
        start = clock.now() + timedelta(hours=2)
        window = TimeWindow(start, start + timedelta(hours=1))
        volume = Volume(Circle(lon, 33.0, 5000.0), AltitudeBand(0.0, 3000.0), window)
        return self.service.submit_notice(Caller("a"), self.agreement, [volume], "drill").id

    def publish(self, clock: FakeClock) -> int:
        clock.advance(3)
        self.service.publish_checkpoint(force=True)
        return self.service.log_size()


WITNESS_KEYS = {"a": Cosigner.generate("a"), "b": Cosigner.generate("b")}


def mechanism(service: Service) -> Mechanism:
    tokens = {}
    for party in ("a", "b", "c"):
        _, tokens[party] = service.add_party(ADMIN, party.upper(), party_id=party)
    for party, cosigner in WITNESS_KEYS.items():
        key = base64.b64encode(cosigner.verifier().public_key).decode()
        service.add_key(Caller(party), party, KeyPurpose.COSIGN, key)
    agreement = service.add_agreement(ADMIN, AgreementTerms(name="A-B", members=("a", "b"))).id
    return Mechanism(service, tokens, agreement, [])


@pytest.fixture
def world(service: Service) -> Iterator[Mechanism]:
    m = mechanism(service)
    yield m
    for client in m.clients:
        client.close()


def witness(m: Mechanism, party: str, state: Path, clock: FakeClock, **kw: Any) -> Witness:
    return Witness(m.client(party), party, WITNESS_KEYS[party], state, clock=clock, **kw)


def test_two_witnesses_cosign_and_both_cosignatures_are_served(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    world.notice(clock)
    size = world.publish(clock)
    wa = witness(world, "a", tmp_path / "a", clock)
    wb = witness(world, "b", tmp_path / "b", clock)
    first_a, first_b = wa.run_once(), wb.run_once()
    assert (first_a.cosigned, first_a.size, first_a.ok) == (True, size, True)
    assert (first_b.cosigned, first_b.size) == (True, size)
    assert first_a.entries_checked == len(world.service.log_entries(Caller("a")))
    assert first_b.entries_checked == len(world.service.log_entries(Caller("b")))

    log = Ed25519Verifier.from_vkey(world.service.log_verifier_key())
    verifiers = [w.verifier() for w in WITNESS_KEYS.values()]
    opened = open_checkpoint(world.service.log_checkpoint(), log, verifiers)
    assert sorted(c.name for c in opened.cosignatures) == ["a", "b"]
    assert {c.time for c in opened.cosignatures} == {clock.now().replace(microsecond=0)}

    world.notice(clock, lon=36.0)
    new_size = world.publish(clock)
    expected = [i for i, _ in world.service.log_entries(Caller("a"), start=size) if i < new_size]
    second = wa.run_once()
    assert (second.cosigned, second.size, second.entries_checked) == (True, new_size, len(expected))
    state = StateDir(tmp_path / "a").load()
    assert state.size == new_size
    assert state.compact_range == CompactRange().append(world.service.leaf_hashes(0, new_size))
    assert state.log_vkey == log.vkey()


def test_no_checkpoint_yet_means_nothing_to_cosign(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    outcome = witness(world, "a", tmp_path, clock).run_once()
    assert (outcome.size, outcome.cosigned, outcome.ok) == (None, False, True)


def test_the_log_key_is_pinned_and_a_different_one_refused(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    world.publish(clock)
    witness(world, "a", tmp_path, clock).run_once()
    other = Ed25519Signer.generate(world.service.log_origin).verifier().vkey()
    with pytest.raises(WitnessError, match="not the one this state pinned"):
        witness(world, "a", tmp_path, clock, log_vkey=other).run_once()
    with pytest.raises(WitnessError, match="does not verify"):
        witness(world, "a", tmp_path / "fresh", clock, log_vkey=other).run_once()
    with pytest.raises(WitnessError, match="named"):
        Witness(world.client("a"), "b", WITNESS_KEYS["a"], tmp_path, clock=clock)


def test_run_cosigns_until_stopped(world: Mechanism, clock: FakeClock, tmp_path: Path) -> None:
    size = world.publish(clock)
    stop = threading.Event()
    stop.set()
    witness(world, "b", tmp_path, clock).run(5.0, stop)
    assert StateDir(tmp_path).load().size == size
    assert world.service.cosigned_checkpoint(ADMIN, "b") == world.service.log_checkpoint()


def test_an_entry_changed_in_the_database_is_an_alert(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    world.notice(clock)
    world.publish(clock)
    index, raw = next(
        (i, raw)
        for i, raw in world.service.log_entries(Caller("a"))
        if parse_entry(raw).type == "notice.version"
    )
    forged = raw.replace(b'"drill"', b'"other"')
    assert forged != raw
    with world.service._engine.begin() as conn:
        conn.execute(
            sa.update(t.log_entries).where(t.log_entries.c.idx == index).values(entry=forged)
        )
    outcome = witness(world, "a", tmp_path, clock).run_once()
    (alert,) = outcome.alerts
    assert alert.kind == "bad-entry"
    assert f"entry {index}" in alert.detail
    assert not outcome.cosigned
    assert alert.evidence is not None
    assert (alert.evidence / "detail.txt").is_file()


# --- auditing new leaves with the compact range -----------------------------------------------


def _relay(
    target: TestClient, seen: list[str], alter: Callable[[str, Any], Any] | None = None
) -> httpx.Client:
    """A client of `target` that records every request (path?query) and lets `alter` rewrite
    JSON answers by path, as a log serving something other than its tree would."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.path}?{request.url.query.decode()}")
        answer = target.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=request.content,
            headers={"content-type": request.headers.get("content-type", "application/json")},
        )
        kind = answer.headers.get("content-type", "")
        content = answer.content
        if alter is not None and kind.startswith("application/json"):
            content = json.dumps(alter(request.url.path, answer.json())).encode()
        return httpx.Response(answer.status_code, headers={"content-type": kind}, content=content)

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://testserver")


def _leaf_ranges(seen: list[str]) -> list[tuple[int, int]]:
    found = []
    for request in seen:
        path, _, query = request.partition("?")
        if path == "/log/leaves":
            params = dict(p.split("=") for p in query.split("&"))
            found.append((int(params["start"]), int(params["end"])))
    return found


def test_each_round_fetches_only_the_new_leaf_hashes_in_pages_and_no_proof(
    world: Mechanism, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(witness_module, "_LEAF_PAGE", 3)
    monkeypatch.setattr(witness_module, "_ENTRY_PAGE", 2)
    seen: list[str] = []
    client = _relay(world.client("a"), seen)
    wa = Witness(client, "a", WITNESS_KEYS["a"], tmp_path, clock=clock)
    world.notice(clock)
    sizes = [0, world.publish(clock)]
    for round_number in (1, 2):
        if round_number == 2:
            world.notice(clock, lon=36.0)
            world.notice(clock, lon=37.0)
            sizes.append(world.publish(clock))
        seen.clear()
        old, new = sizes[-2], sizes[-1]
        outcome = wa.run_once()
        own = [i for i, _ in world.service.log_entries(Caller("a"), start=old) if i < new]
        assert (outcome.cosigned, outcome.size) == (True, new)
        assert (outcome.entries_checked, outcome.leaves_audited) == (len(own), new - old)
        assert _leaf_ranges(seen) == [(lo, min(lo + 3, new)) for lo in range(old, new, 3)]
        assert not [r for r in seen if r.startswith("/log/proof/")]
        kept = StateDir(tmp_path).load().compact_range
        assert kept == CompactRange().append(world.service.leaf_hashes(0, new))
    seen.clear()
    idle = wa.run_once()
    assert (idle.cosigned, idle.entries_checked, idle.leaves_audited) == (True, 0, 0)
    assert _leaf_ranges(seen) == []
    client.close()


def _flip_a_leaf(path: str, body: Any) -> Any:
    if path == "/log/leaves" and body["hashes"]:
        last = body["hashes"][-1]
        body["hashes"][-1] = ("1" if last[0] == "0" else "0") + last[1:]
    return body


@pytest.mark.parametrize("history", [False, True], ids=["first-round", "after-a-cosignature"])
def test_leaf_hashes_that_do_not_give_the_signed_root_are_refused(
    world: Mechanism, clock: FakeClock, tmp_path: Path, history: bool
) -> None:
    world.notice(clock)
    size = world.publish(clock)
    if history:
        assert witness(world, "a", tmp_path, clock).run_once().cosigned
        world.notice(clock, lon=36.0)
        world.publish(clock)
    seen: list[str] = []
    client = _relay(world.client("a"), seen, _flip_a_leaf)
    outcome = Witness(client, "a", WITNESS_KEYS["a"], tmp_path, clock=clock).run_once()
    client.close()
    (alert,) = outcome.alerts
    assert alert.kind == "bad-leaves"
    assert "give root" in alert.detail
    assert not outcome.cosigned
    assert StateDir(tmp_path).load().size == (size if history else 0)
    consistency = [r for r in seen if r.startswith("/log/proof/consistency")]
    assert len(consistency) == (1 if history else 0)


def test_a_state_kept_before_compact_ranges_is_rebuilt_from_the_leaves(
    world: Mechanism, clock: FakeClock, tmp_path: Path
) -> None:
    world.notice(clock)
    old = world.publish(clock)
    assert witness(world, "a", tmp_path, clock).run_once().cosigned
    saved = json.loads((tmp_path / "state.json").read_text())
    del saved["compact_range"]
    saved["checked_to"] = old
    (tmp_path / "state.json").write_text(json.dumps(saved))
    assert StateDir(tmp_path).load().compact_range is None
    world.notice(clock, lon=36.0)
    new = world.publish(clock)
    outcome = witness(world, "a", tmp_path, clock).run_once()
    own = [i for i, _ in world.service.log_entries(Caller("a"), start=old) if i < new]
    assert (outcome.cosigned, outcome.entries_checked) == (True, len(own))
    kept = StateDir(tmp_path).load().compact_range
    assert kept == CompactRange().append(world.service.leaf_hashes(0, new))


# --- split views -------------------------------------------------------------------------------


@pytest.fixture
def twins(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> Iterator[tuple[Mechanism, Mechanism]]:
    """Two services with one log key and the same parties and keys, histories apart."""
    log_key = Ed25519Signer.generate("deconflict.test/split").skey()
    services = [
        Service.open(url, clock=clock, admin_token=ADMIN_TOKEN, log_key=log_key)
        for url in (database_url, f"sqlite:///{tmp_path / 'other.db'}")
    ]
    pair = (mechanism(services[0]), mechanism(services[1]))
    yield pair
    for m in pair:
        for client in m.clients:
            client.close()
        m.service.close()


@pytest.mark.parametrize(
    ("growth", "problem"),
    [(-1, "is smaller than"), (0, "same size, different root"), (2, "consistency proof fails")],
    ids=["smaller", "same-size", "larger"],
)
def test_a_witness_refuses_a_branch_inconsistent_with_what_it_cosigned(
    twins: tuple[Mechanism, Mechanism], clock: FakeClock, tmp_path: Path, growth: int, problem: str
) -> None:
    one, two = twins
    one.notice(clock)
    two.notice(clock)
    for _ in range(max(growth, 0)):
        two.service.add_party(ADMIN, "extra")
    if growth < 0:
        one.service.add_party(ADMIN, "extra")
    size_one, size_two = one.publish(clock), two.publish(clock)
    assert size_two - size_one == growth

    state = tmp_path / "a"
    assert witness(one, "a", state, clock).run_once().cosigned
    outcome = witness(two, "a", state, clock).run_once()

    (alert,) = outcome.alerts
    assert alert.kind == "split-view"
    assert problem in alert.detail
    assert not outcome.cosigned
    assert StateDir(state).load().size == size_one
    with pytest.raises(NotFound, match="co-signed no checkpoint"):
        two.service.cosigned_checkpoint(ADMIN, "a")
    assert alert.evidence is not None
    _assert_evidence(alert.evidence, one.service, {size_one, size_two})


def _assert_evidence(folder: Path, service: Service, sizes: set[int]) -> None:
    """Both notes of a split view carry the log's valid signature: proof the log equivocated."""
    log = Ed25519Verifier.from_vkey(service.log_verifier_key())
    ours = open_checkpoint((folder / "ours.note").read_text(), log).checkpoint
    theirs = open_checkpoint((folder / "theirs.note").read_text(), log).checkpoint
    assert {ours.size, theirs.size} == sizes
    assert ours.root != theirs.root


def _router(default: TestClient, routes: dict[str, TestClient]) -> httpx.Client:
    """A service that shows `default`'s log but serves some paths from elsewhere, as a log
    showing one party a split view while relaying the other party's real cosignatures would."""

    def handle(request: httpx.Request) -> httpx.Response:
        target = routes.get(request.url.path, default)
        answer = target.request(
            request.method,
            request.url.path,
            params=request.url.params,
            content=request.content,
            headers={"content-type": request.headers.get("content-type", "application/json")},
        )
        return httpx.Response(
            answer.status_code,
            headers={"content-type": answer.headers.get("content-type", "")},
            content=answer.content,
        )

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://testserver")


def test_a_second_witness_shown_the_other_branch_is_caught_by_the_cross_check(
    twins: tuple[Mechanism, Mechanism], clock: FakeClock, tmp_path: Path
) -> None:
    one, two = twins
    one.notice(clock)
    two.notice(clock, lon=36.0)
    size_one, size_two = one.publish(clock), two.publish(clock)
    assert witness(one, "a", tmp_path / "a", clock).run_once().cosigned

    shown = _router(two.client("b"), {"/log/cosigned/a": one.client("b")})
    b = Witness(shown, "b", WITNESS_KEYS["b"], tmp_path / "b", clock=clock)
    outcome = b.run_once()
    shown.close()

    (alert,) = outcome.alerts
    assert alert.kind == "split-view"
    assert "a co-signed size" in alert.detail
    assert not outcome.cosigned
    with pytest.raises(NotFound, match="co-signed no checkpoint"):
        two.service.cosigned_checkpoint(ADMIN, "b")
    assert alert.evidence is not None
    _assert_evidence(alert.evidence, two.service, {size_one, size_two})
    assert StateDir(tmp_path / "b").evidence() == [alert.evidence]


# --- the state directory -----------------------------------------------------------------------


def test_state_round_trips_and_evidence_is_kept_once(tmp_path: Path) -> None:
    state_dir = StateDir(tmp_path)
    assert state_dir.load() == WitnessState()
    kept = CompactRange().append([bytes([i]) * 32 for i in range(7)])
    saved = WitnessState("log+00000000+AQ==", "note\n", 7, kept.root(), kept)
    state_dir.save(saved)
    assert state_dir.load() == saved
    first = state_dir.keep_evidence("split-view", "ours\n", "theirs\n", "why")
    again = state_dir.keep_evidence("split-view", "ours\n", "theirs\n", "why")
    assert first == again
    assert state_dir.evidence() == [first]
    assert (first / "theirs.note").read_text() == "theirs\n"
    doc = json.loads((tmp_path / "state.json").read_text())
    doc["size"] = 6
    (tmp_path / "state.json").write_text(json.dumps(doc))
    with pytest.raises(WitnessStateError, match="does not give the root"):
        state_dir.load()
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(WitnessStateError):
        state_dir.load()
