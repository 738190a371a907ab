"""Aircraft declarations through HTTP: PUT and GET /parties/{id}/aircraft (see conftest's world:
alpha and bravo share agreements; charlie shares one with bravo only)."""

from __future__ import annotations

from typing import Any

import pytest

BODY = {"icao24_ranges": [["3C0000", "3c00ff"]], "callsign_prefixes": ["ALP"]}


def _put(world: Any, who: str | None, party: str, body: object) -> Any:
    return world.client.put(f"/parties/{party}/aircraft", json=body, headers=world.headers(who))


@pytest.mark.parametrize(
    ("who", "put", "get"),
    [
        ("alpha", 200, 200),
        ("bravo", 404, 200),
        ("charlie", 404, 404),
        ("admin", 200, 200),
        (None, 401, 401),
    ],
)
def test_who_may_declare_and_read_a_partys_aircraft(
    world: Any, who: str | None, put: int, get: int
) -> None:
    response = _put(world, who, "alpha", BODY)
    assert response.status_code == put, response.text
    read = world.get(who, "/parties/alpha/aircraft")
    assert read.status_code == get
    if get == 200:
        assert read.json()["party_id"] == "alpha"
    if put == 200:
        assert response.json() == {
            "party_id": "alpha",
            "icao24_ranges": [["3c0000", "3c00ff"]],
            "callsign_prefixes": ["ALP"],
        }
    assert world.get("admin", "/parties/nobody/aircraft").status_code == 404


def test_bad_declarations_name_their_fields_and_claims_clash(world: Any) -> None:
    bad = _put(
        world, "alpha", "alpha", {"icao24_ranges": [["3c0000", "3c00"]], "callsign_prefixes": ["a"]}
    )
    assert bad.status_code == 422
    assert [e["pointer"] for e in bad.json()["errors"]] == [
        "/icao24_ranges/0/1",
        "/callsign_prefixes/0",
    ]
    assert _put(world, "alpha", "alpha", {"icao24_ranges": "3c0000"}).status_code == 422
    assert _put(world, "charlie", "charlie", BODY).status_code == 200
    clash = _put(world, "alpha", "alpha", {"icao24_ranges": [["3c00f0", "3c0100"]]})
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert clash.json()["icao24_ranges"] == [["3c00f0", "3c0100"]]
    assert "charlie" not in clash.text
    assert _put(world, "alpha", "alpha", {"callsign_prefixes": ["ALP"]}).status_code == 409
