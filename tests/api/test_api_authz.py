"""The authorisation matrix: every endpoint x own / disclosed / undisclosed / other agreement /
admin / no token, seen by party `alpha` (see the world in conftest.py).

A party sees its own notices and those disclosed to it, nothing else: another party's
undisclosed notice answers exactly like one that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

MISSING = "ntc_0000000000000deadbeef"

# (method, path, body); {id} is the notice under test. Mutations come last, cancel at the end.
NOTICE_ENDPOINTS: list[tuple[str, str, Any]] = [
    ("GET", "/notices/{id}", None),
    ("GET", "/notices/{id}?version=1", None),
    ("GET", "/notices/{id}/acknowledgements", None),
    ("POST", "/notices/{id}/acknowledgements", {"version": 1, "text": "seen"}),
    ("POST", "/notices/{id}/submit", None),
    ("POST", "/notices/{id}/amend", "FEATURE"),
    ("POST", "/notices/{id}/cancel", {"reason": "done"}),
]

# Expected status per viewpoint, in the order of NOTICE_ENDPOINTS.
NOTICE_MATRIX: dict[str, tuple[str, str | None, list[int]]] = {
    # viewpoint: (notice key, caller, statuses)
    "own": ("own", "alpha", [200, 200, 200, 404, 409, 200, 200]),
    "disclosed": ("disclosed", "alpha", [200, 200, 200, 201, 404, 404, 404]),
    "undisclosed": ("undisclosed", "alpha", [404] * 7),
    "other_agreement": ("other_agreement", "alpha", [404] * 7),
    "nonexistent": ("nonexistent", "alpha", [404] * 7),
    "admin": ("own", "admin", [403] * 7),
    "no_token": ("own", None, [401] * 7),
}


def _call(world: Any, who: str | None, method: str, path: str, body: Any) -> Any:
    return world.client.request(method, path, json=body, headers=world.headers(who))


def _notice_id(world: Any, key: str) -> str:
    return MISSING if key == "nonexistent" else str(world.notices[key])


@pytest.mark.parametrize("viewpoint", list(NOTICE_MATRIX))
def test_notice_endpoints(world: Any, feature: Any, viewpoint: str) -> None:
    key, who, statuses = NOTICE_MATRIX[viewpoint]
    notice_id = _notice_id(world, key)
    got = []
    for method, template, body in NOTICE_ENDPOINTS:
        payload = {"volumes": [feature(upper_m=4000.0)]} if body == "FEATURE" else body
        response = _call(world, who, method, template.format(id=notice_id), payload)
        got.append(response.status_code)
        assert response.status_code < 500, response.text
    assert got == statuses


def _without_identity(response: Any, notice_id: str) -> dict[str, Any]:
    body = {k: v for k, v in response.json().items() if k != "instance"}
    text = re.sub(re.escape(notice_id), "<id>", repr(sorted(body.items())))
    return {"status": response.status_code, "body": text, "type": response.headers["content-type"]}


@pytest.mark.parametrize("hidden", ["undisclosed", "other_agreement"])
def test_a_hidden_notice_answers_exactly_like_a_missing_one(
    world: Any, feature: Any, hidden: str
) -> None:
    hidden_id = world.notices[hidden]
    for method, template, body in NOTICE_ENDPOINTS:
        payload = {"volumes": [feature()]} if body == "FEATURE" else body
        answers = [
            _without_identity(_call(world, "alpha", method, template.format(id=i), payload), i)
            for i in (hidden_id, MISSING)
        ]
        assert answers[0] == answers[1], (method, template)


def test_lists_show_only_own_and_disclosed(world: Any) -> None:
    listed = {n["id"] for n in world.get("alpha", "/notices").json()["items"]}
    assert listed == {world.notices["own"], world.notices["disclosed"]}
    events = world.get("alpha", "/events", params={"limit": 500}).json()["items"]
    hidden = {world.notices["undisclosed"], world.notices["other_agreement"]}
    assert events
    assert not {e["notice_id"] for e in events} & hidden


# (caller, method, path, body, expected status)
Row = tuple[str | None, str, str, Any, int]

AGREEMENT_ROWS: list[Row] = [
    ("alpha", "GET", "/agreements/ab", None, 200),
    ("alpha", "GET", "/agreements/bc", None, 404),
    ("alpha", "GET", "/agreements/nothing", None, 404),
    ("admin", "GET", "/agreements/bc", None, 200),
    (None, "GET", "/agreements/ab", None, 401),
    ("alpha", "PUT", "/agreements/ab", {"name": "x", "members": ["alpha", "bravo"]}, 403),
    ("alpha", "PUT", "/agreements/bc", {"name": "x", "members": ["bravo", "charlie"]}, 403),
    ("admin", "PUT", "/agreements/ab", {"name": "ab2", "members": ["alpha", "bravo"]}, 200),
    (None, "PUT", "/agreements/ab", {"name": "x", "members": ["alpha", "bravo"]}, 401),
    ("alpha", "POST", "/agreements", {"name": "x", "members": ["alpha", "bravo"]}, 403),
    (None, "POST", "/agreements", {"name": "x", "members": ["alpha", "bravo"]}, 401),
    ("admin", "POST", "/agreements", {"name": "new", "members": ["alpha", "charlie"]}, 201),
    ("alpha", "GET", "/agreements", None, 200),
    (None, "GET", "/agreements", None, 401),
]

PARTY_ROWS: list[Row] = [
    ("alpha", "POST", "/parties", {"name": "Delta"}, 403),
    (None, "POST", "/parties", {"name": "Delta"}, 401),
    ("admin", "POST", "/parties", {"name": "Delta"}, 201),
    ("alpha", "GET", "/parties", None, 200),
    ("admin", "GET", "/parties", None, 200),
    (None, "GET", "/parties", None, 401),
    ("alpha", "GET", "/parties/bravo", None, 200),
    ("alpha", "GET", "/parties/nobody", None, 404),
    (None, "GET", "/parties/bravo", None, 401),
    ("alpha", "POST", "/parties/bravo/keys", {"purpose": "ack", "key_b64": "A" * 43 + "="}, 404),
    ("alpha", "POST", "/parties/alpha/keys", {"purpose": "ack", "key_b64": "A" * 43 + "="}, 201),
    ("admin", "POST", "/parties/bravo/keys", {"purpose": "ack", "key_b64": "B" * 43 + "="}, 201),
    (None, "POST", "/parties/alpha/keys", {"purpose": "ack", "key_b64": "A" * 43 + "="}, 401),
]


def _run(world: Any, rows: list[Row]) -> None:
    got = [
        (who, method, path, _call(world, who, method, path, body).status_code)
        for who, method, path, body, _ in rows
    ]
    assert got == [(who, method, path, status) for who, method, path, _, status in rows]


def test_agreement_endpoints(world: Any) -> None:
    _run(world, AGREEMENT_ROWS)
    seen_by_alpha = {a["id"] for a in world.get("alpha", "/agreements").json()["items"]}
    every = world.get("admin", "/agreements").json()["items"]
    assert seen_by_alpha == {a["id"] for a in every if "alpha" in a["members"]}
    assert {"ab", "ab_affected"} < seen_by_alpha
    assert "bc" not in seen_by_alpha


def test_party_endpoints(world: Any) -> None:
    _run(world, PARTY_ROWS)


def test_protected_area_endpoints(world: Any, feature: Any) -> None:
    area = world.post("alpha", "/protected-areas", {"name": "base", "volume": feature(hours=500)})
    assert area.status_code == 201, area.text
    area_id = area.json()["id"]

    def visible(who: str) -> set[str]:
        return {a["id"] for a in world.get(who, "/protected-areas").json()["items"]}

    assert area_id in visible("alpha")
    assert area_id in visible("bravo")
    assert area_id not in visible("charlie")
    _run(
        world,
        [
            (None, "POST", "/protected-areas", {"name": "x", "volume": feature()}, 401),
            ("admin", "POST", "/protected-areas", {"name": "x", "volume": feature()}, 403),
            (None, "GET", "/protected-areas", None, 401),
            ("bravo", "DELETE", f"/protected-areas/{area_id}", None, 404),
            ("charlie", "DELETE", f"/protected-areas/{area_id}", None, 404),
            (None, "DELETE", f"/protected-areas/{area_id}", None, 401),
            ("alpha", "DELETE", f"/protected-areas/{area_id}", None, 204),
            ("alpha", "DELETE", f"/protected-areas/{area_id}", None, 404),
        ],
    )


def test_hazard_endpoints(world: Any, feature: Any) -> None:
    body = {"agreement_id": "ab", "name": "SAM site", "volume": feature(hours=48)}
    hazard = world.post("alpha", "/hazards", body)
    assert hazard.status_code == 201, hazard.text
    hazard_id = hazard.json()["id"]

    def visible(who: str, **params: str) -> set[str]:
        return {h["id"] for h in world.get(who, "/hazards", params=params).json()["items"]}

    assert hazard_id in visible("alpha")
    assert hazard_id in visible("bravo", agreement_id="ab")
    assert hazard_id not in visible("charlie")
    other = world.post("alpha", "/hazards", {**body, "agreement_id": "bc"})
    assert other.status_code == 422
    assert [e["pointer"] for e in other.json()["errors"]] == ["/agreement_id"]
    _run(
        world,
        [
            (None, "POST", "/hazards", body, 401),
            (None, "GET", "/hazards", None, 401),
            ("charlie", "DELETE", f"/hazards/{hazard_id}", None, 404),
            (None, "DELETE", f"/hazards/{hazard_id}", None, 401),
            ("bravo", "DELETE", f"/hazards/{hazard_id}", None, 204),
            ("alpha", "DELETE", f"/hazards/{hazard_id}", None, 404),
        ],
    )


def test_event_endpoints(world: Any) -> None:
    _run(
        world,
        [
            ("alpha", "GET", "/events", None, 200),
            ("admin", "GET", "/events", None, 200),
            (None, "GET", "/events", None, 401),
            (None, "GET", "/events/stream", None, 401),
            (None, "GET", "/notices", None, 401),
            ("admin", "GET", "/notices", None, 403),
            ("alpha", "GET", "/notices", None, 200),
            (None, "POST", "/notices", {}, 401),
        ],
    )
