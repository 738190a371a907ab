"""The /log routes: C2SP checkpoints and keys as text, proofs and entries as JSON, cosignatures,
and 4xx problems (never 5xx) for every bad size or index."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from deconflict.api.record import MAX_LEAVES
from deconflict.clock import FakeClock
from deconflict.log import (
    Cosigner,
    Ed25519Verifier,
    open_checkpoint,
    parse_entry,
    verify_consistency,
    verify_inclusion,
)
from deconflict.service import ADMIN, Caller, Service

ROUTES = [
    "/log/checkpoint",
    "/log/checkpoint/1",
    "/log/key",
    "/log/cosigned/alpha",
    "/log/proof/inclusion?index=0&size=1",
    "/log/proof/consistency?old=1&new=1",
    "/log/entries",
    "/log/leaves?start=0&end=1",
]


def _hashes(response: Any) -> list[bytes]:
    assert response.status_code == 200, response.text
    return [base64.b64decode(h) for h in response.json()["hashes"]]


def _log_key(world: Any) -> Ed25519Verifier:
    response = world.get("alpha", "/log/key")
    assert response.headers["content-type"].startswith("text/plain")
    return Ed25519Verifier.from_vkey(response.text.strip())


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_needs_a_token(world: Any, path: str) -> None:
    _problem(world.get(None, path), 401)


def test_checkpoints_are_signed_text_and_404_before_the_first(
    world: Any, service: Service, clock: FakeClock
) -> None:
    _problem(world.get("alpha", "/log/checkpoint"), 404)
    service.publish_checkpoint(force=True)
    response = world.get("bravo", "/log/checkpoint")
    assert response.headers["content-type"].startswith("text/plain")
    opened = open_checkpoint(response.text, _log_key(world))
    assert opened.checkpoint.size == service.log_size()
    assert opened.checkpoint.origin == service.log_origin
    again = world.get("alpha", f"/log/checkpoint/{opened.checkpoint.size}")
    assert again.text == response.text
    _problem(world.get("alpha", f"/log/checkpoint/{opened.checkpoint.size + 1}"), 404)
    _problem(world.get("alpha", "/log/checkpoint/-1"), 422)
    _problem(world.get("alpha", "/log/checkpoint/x"), 422)


def test_entries_are_those_that_concern_the_caller(world: Any, service: Service) -> None:
    mine = world.get("alpha", "/log/entries").json()
    expected = service.log_entries(Caller("alpha"))
    assert [item["index"] for item in mine["items"]] == [i for i, _ in expected]
    for item, (_, raw) in zip(mine["items"], expected, strict=True):
        assert base64.b64decode(item["entry"]) == raw
        assert item["leaf_hash"] == hashlib.sha256(b"\x00" + raw).hexdigest()
    everything = world.get("admin", "/log/entries").json()["items"]
    assert [item["index"] for item in everything] == list(range(service.log_size()))
    assert len(mine["items"]) < len(everything)
    assert mine["next_start"] is None


def test_entries_page_with_a_next_link(world: Any, service: Service) -> None:
    first = world.get("admin", "/log/entries?limit=2")
    page = first.json()
    assert [item["index"] for item in page["items"]] == [0, 1]
    assert page["next_start"] == 2
    assert "start=2" in first.headers["Link"]
    rest = world.get("admin", "/log/entries?start=2&limit=10000").json()
    assert rest["items"][0]["index"] == 2
    assert len(rest["items"]) == service.log_size() - 2


def test_leaves_are_public_and_bounded(world: Any, service: Service) -> None:
    size = service.log_size()
    leaves = world.get("charlie", f"/log/leaves?start=1&end={size}").json()
    assert leaves["start"] == 1
    assert leaves["hashes"] == [h.hex() for h in service.leaf_hashes(1, size)]
    for query in (
        f"start=0&end={size + 1}",
        "start=3&end=2",
        f"start=0&end={MAX_LEAVES + 1}",
        "start=-1&end=1",
        "start=0",
    ):
        _problem(world.get("charlie", f"/log/leaves?{query}"), 422)


def test_proofs_verify_against_signed_checkpoints(world: Any, service: Service) -> None:
    log = _log_key(world)
    service.publish_checkpoint(force=True)
    old = open_checkpoint(world.get("alpha", "/log/checkpoint").text, log).checkpoint
    assert world.post("admin", "/parties", {"name": "Delta", "id": "delta"}).status_code == 201
    service.publish_checkpoint(force=True)
    new = open_checkpoint(world.get("alpha", "/log/checkpoint").text, log).checkpoint
    assert new.size > old.size
    leaves = [
        bytes.fromhex(h)
        for h in world.get("alpha", f"/log/leaves?start=0&end={new.size}").json()["hashes"]
    ]
    for index in range(new.size):
        proof = _hashes(world.get("bravo", f"/log/proof/inclusion?index={index}&size={new.size}"))
        verify_inclusion(leaves[index], index, new.size, proof, new.root)
    proof = _hashes(world.get("bravo", f"/log/proof/consistency?old={old.size}&new={new.size}"))
    verify_consistency(old.size, new.size, old.root, new.root, proof)


@pytest.mark.parametrize(
    "query",
    [
        "/log/proof/inclusion?index=5&size=5",
        "/log/proof/inclusion?index=0&size=0",
        "/log/proof/inclusion?index=0&size=100000",
        "/log/proof/inclusion?index=-1&size=3",
        "/log/proof/inclusion?index=0&size=9223372036854775808",
        "/log/proof/inclusion?index=x&size=3",
        "/log/proof/inclusion?size=3",
        "/log/proof/consistency?old=0&new=3",
        "/log/proof/consistency?old=4&new=3",
        "/log/proof/consistency?old=1&new=100000",
        "/log/proof/consistency?old=1&new=99999999999999999999999",
        "/log/entries?start=-1",
        "/log/entries?limit=0",
        "/log/entries?limit=10001",
        "/log/entries?start=9223372036854775807",
    ],
)
def test_bad_sizes_and_indices_are_422_problems(world: Any, query: str) -> None:
    _problem(world.get("alpha", query), 422)


def test_a_party_posts_its_cosignature_and_others_can_read_it(
    world: Any, service: Service, clock: FakeClock
) -> None:
    witness = Cosigner.generate("alpha")
    key_b64 = base64.b64encode(witness.verifier().public_key).decode()
    added = world.post("alpha", "/parties/alpha/keys", {"purpose": "cosign", "key_b64": key_b64})
    assert added.status_code == 201, added.text
    _problem(world.get("bravo", "/log/cosigned/alpha"), 404)
    service.publish_checkpoint(force=True)
    log = _log_key(world)
    checkpoint = open_checkpoint(world.get("alpha", "/log/checkpoint").text, log).checkpoint
    line = witness.cosign(checkpoint, clock.now()).line()

    posted = world.post(
        "alpha", "/log/cosignatures", {"size": checkpoint.size, "cosignature": line}
    )
    assert posted.status_code == 201, posted.text
    assert posted.json() == {
        "timestamp": clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
    }
    served = world.get("bravo", "/log/checkpoint").text
    opened = open_checkpoint(served, log, [witness.verifier()])
    assert [c.name for c in opened.cosignatures] == ["alpha"]
    assert world.get("bravo", "/log/cosigned/alpha").text == served
    _problem(world.get("charlie", "/log/cosigned/alpha"), 404)  # shares no agreement with alpha
    _problem(world.get("charlie", "/log/cosigned/bravo"), 404)

    _problem(
        world.post("admin", "/log/cosignatures", {"size": checkpoint.size, "cosignature": line}),
        403,
    )
    _problem(
        world.post("bravo", "/log/cosignatures", {"size": checkpoint.size, "cosignature": line}),
        422,
    )
    stranger = Cosigner.generate("alpha").cosign(checkpoint, clock.now()).line()
    for body in (
        {"size": checkpoint.size, "cosignature": stranger},
        {"size": checkpoint.size + 1, "cosignature": line},
        {"size": 0, "cosignature": line},
        {"size": checkpoint.size, "cosignature": "— alpha !!!"},
        {"size": checkpoint.size},
        {"size": "1", "cosignature": line},
        {"size": checkpoint.size, "cosignature": line, "extra": 1},
    ):
        _problem(world.post("alpha", "/log/cosignatures", body), 422)


def test_cited_entries_are_those_an_entry_refers_to_that_the_caller_may_read(
    world: Any, service: Service
) -> None:
    admin = {i: parse_entry(raw) for i, raw in service.log_entries(ADMIN)}
    (disclosure,) = [
        i
        for i, e in admin.items()
        if e.type == "disclosure" and e.body["party_id"] == "bravo" and e.refs
    ][:1]
    cited = world.get("bravo", f"/log/entries/{disclosure}/cited").json()["items"]
    assert [item["leaf_hash"] for item in cited] == list(admin[disclosure].refs)
    (item,) = cited
    assert admin[item["index"]].type == "notice.version"
    assert base64.b64decode(item["entry"]) == dict(service.log_entries(ADMIN))[item["index"]]
    _problem(world.get("charlie", f"/log/entries/{disclosure}/cited"), 404)
    first = next(i for i, e in admin.items() if e.type == "party.added")
    assert world.get("admin", f"/log/entries/{first}/cited").json() == {"items": []}
    _problem(world.get("bravo", f"/log/entries/{service.log_size()}/cited"), 404)
