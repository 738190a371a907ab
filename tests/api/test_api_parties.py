"""Parties and agreements through HTTP: tokens shown once, agreement versions, keys."""

from __future__ import annotations

import base64
from typing import Any

from deconflict.geometry.formats import volume_from_geojson, volume_to_f3548


def test_a_new_party_gets_a_working_token_shown_once(client: Any, admin: dict[str, str]) -> None:
    created = client.post("/parties", json={"name": "Delta"}, headers=admin)
    assert created.status_code == 201
    party = created.json()
    assert created.headers["location"] == f"/parties/{party['id']}"
    assert len(base64.urlsafe_b64decode(party["token"] + "=")) == 32
    mine = {"Authorization": f"Bearer {party['token']}"}
    fetched = client.get(f"/parties/{party['id']}", headers=mine).json()
    assert fetched == {"id": party["id"], "name": "Delta", "keys": []}
    assert "token" not in client.get("/parties", headers=mine).text


def test_agreement_terms_default_and_update_to_new_versions(world: Any) -> None:
    first = world.get("alpha", "/agreements/ab").json()
    assert (first["version"], first["min_lead_time_s"], first["ack_deadline_s"]) == (1, 3600, 900)
    assert first["escalation_after_s"] == [0, 900]
    terms = {"name": "ab v2", "members": ["alpha", "bravo"], "ack_deadline_s": 600}
    second = world.client.put("/agreements/ab", json=terms, headers=world.headers("admin"))
    assert second.status_code == 200, second.text
    assert (second.json()["version"], second.json()["ack_deadline_s"]) == (2, 600)
    old = world.get("alpha", "/agreements/ab", params={"version": 1}).json()
    assert (old["version"], old["name"], old["ack_deadline_s"]) == (1, "ab", 900)
    assert world.get("alpha", "/agreements/ab", params={"version": 3}).status_code == 404


def test_invalid_terms_name_their_fields(world: Any) -> None:
    terms = {"name": " ", "members": ["alpha"], "buffer_h_m": -1}
    response = world.post("admin", "/agreements", terms)
    assert response.status_code == 422
    assert {e["pointer"] for e in response.json()["errors"]} == {"/name", "/members", "/buffer_h_m"}
    tiers = {"name": "t", "members": ["alpha", "bravo"], "escalation_after_s": [900, 0]}
    response = world.post("admin", "/agreements", tiers)
    assert [e["pointer"] for e in response.json()["errors"]] == ["/escalation_after_s"]


def test_keys_are_registered_and_bad_keys_named(world: Any) -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    party = world.post("alpha", "/parties/alpha/keys", {"purpose": "ack", "key_b64": key}).json()
    assert [(k["purpose"], k["key_b64"]) for k in party["keys"]] == [("ack", key)]
    short = base64.b64encode(b"too short").decode()
    response = world.post("alpha", "/parties/alpha/keys", {"purpose": "ack", "key_b64": short})
    assert response.status_code == 422
    assert [e["pointer"] for e in response.json()["errors"]] == ["/key_b64"]


def test_protected_area_from_f3548(world: Any, feature: Any) -> None:
    volume = volume_to_f3548(volume_from_geojson(feature(hours=100)))
    response = world.post("bravo", "/protected-areas", {"name": "range", "volume_f3548": volume})
    assert response.status_code == 201, response.text
    area = response.json()
    assert (area["owner"], area["name"], area["volume"]["type"]) == ("bravo", "range", "Feature")


def test_track_sharing_defaults_to_alerts_only_and_is_versioned_like_any_term(world: Any) -> None:
    assert world.get("alpha", "/agreements/ab").json()["track_sharing"] == "alerts_only"
    terms = {"name": "ab", "members": ["alpha", "bravo"], "track_sharing": "all_members"}
    second = world.client.put("/agreements/ab", json=terms, headers=world.headers("admin"))
    assert (second.json()["version"], second.json()["track_sharing"]) == (2, "all_members")
    old = world.get("alpha", "/agreements/ab", params={"version": 1}).json()
    assert old["track_sharing"] == "alerts_only"
    bad = world.post("admin", "/agreements", {**terms, "track_sharing": "everyone"})
    assert bad.status_code == 422
    assert [e["pointer"] for e in bad.json()["errors"]] == ["/track_sharing"]
