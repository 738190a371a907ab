"""Bearer tokens through HTTP: rotation by the party or the admin, revocation, the admin's own
token, and the log entry each change leaves (which holds neither the token nor its digest)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from deconflict.log import parse_entry
from deconflict.service import ADMIN, Caller, Service

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _token_entries(service: Service) -> list[tuple[str | None, dict[str, Any]]]:
    entries = [parse_entry(raw) for _, raw in service.log_entries(ADMIN)]
    return [(e.party, dict(e.body)) for e in entries if e.type.startswith("token.")]


def _types(service: Service) -> list[str]:
    return [parse_entry(raw).type for _, raw in service.log_entries(ADMIN)]


def _refused(response: Any) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["status"] == 401


def test_a_party_rotates_its_own_token_and_the_old_one_stops_at_once(
    world: Any, service: Service
) -> None:
    old = world.tokens["alpha"]
    rotated = world.client.post("/parties/alpha/token", headers=bearer(old))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    assert rotated.json()["party_id"] == "alpha"
    assert new != old
    assert len(new) == 43
    _refused(world.client.get("/parties", headers=bearer(old)))
    assert world.client.get("/notices", headers=bearer(new)).status_code == 200

    assert _token_entries(service) == [("alpha", {"party_id": "alpha"})]
    [raw] = [raw for _, raw in service.log_entries(ADMIN) if b"token.rotated" in raw]
    for secret in (new, old):
        assert secret.encode() not in raw
        assert hashlib.sha256(secret.encode()).hexdigest().encode() not in raw
    alpha_sees = [parse_entry(raw).type for _, raw in service.log_entries(Caller("alpha"))]
    assert "token.rotated" in alpha_sees
    bravo_sees = [parse_entry(raw).type for _, raw in service.log_entries(Caller("bravo"))]
    assert "token.rotated" not in bravo_sees


def test_the_admin_rotates_any_party_token_and_no_other_party_may(world: Any) -> None:
    by_admin = world.post("admin", "/parties/bravo/token", None)
    assert by_admin.status_code == 200
    _refused(world.get("bravo", "/parties"))
    by_other = world.post("alpha", "/parties/charlie/token", None)
    assert by_other.status_code == 403
    assert by_other.json()["type"] == "urn:deconflict:problem:forbidden"
    assert world.get("charlie", "/parties").status_code == 200
    missing = world.post("admin", "/parties/nobody/token", None)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_a_revoked_party_is_refused_until_the_admin_issues_a_new_token(
    world: Any, service: Service
) -> None:
    assert world.client.delete("/parties/bravo/token", headers=bearer(ADMIN_TOKEN)).status_code == (
        204
    )
    _refused(world.get("bravo", "/notices"))
    _refused(world.post("bravo", "/parties/bravo/token", None))
    again = world.client.delete("/parties/bravo/token", headers=bearer(ADMIN_TOKEN))
    assert again.status_code == 204
    assert _types(service).count("token.revoked") == 1

    reissued = world.post("admin", "/parties/bravo/token", None)
    assert reissued.status_code == 200
    assert world.client.get("/notices", headers=bearer(reissued.json()["token"])).status_code == (
        200
    )
    _refused(world.get("bravo", "/notices"))
    assert _token_entries(service) == [
        (None, {"party_id": "bravo"}),
        (None, {"party_id": "bravo"}),
    ]
    assert _types(service)[-2:] == ["token.revoked", "token.rotated"]


def test_only_the_admin_revokes(world: Any) -> None:
    for who in ("alpha", "bravo"):
        response = world.client.delete("/parties/bravo/token", headers=world.headers(who))
        assert response.status_code == 403
    assert world.get("bravo", "/notices").status_code == 200
    missing = world.client.delete("/parties/nobody/token", headers=world.headers("admin"))
    assert missing.status_code == 404


def test_the_admin_rotates_its_own_token(client: Any, service: Service) -> None:
    rotated = client.post("/admin/token", headers=bearer(ADMIN_TOKEN))
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["token"]
    assert rotated.json()["party_id"] is None
    _refused(client.get("/parties", headers=bearer(ADMIN_TOKEN)))
    assert client.get("/parties", headers=bearer(new)).status_code == 200
    assert _token_entries(service) == [(None, {"party_id": None})]
    assert new.encode() not in b"".join(raw for _, raw in service.log_entries(ADMIN))


def test_a_party_may_not_rotate_the_admin_token(world: Any) -> None:
    response = world.post("alpha", "/admin/token", None)
    assert response.status_code == 403
    assert world.get("admin", "/parties").status_code == 200
    _refused(world.post(None, "/admin/token", None))


def test_setting_the_admin_token_at_start_is_recorded_only_when_it_changes(
    service: Service,
) -> None:
    service.set_admin_token(ADMIN_TOKEN)
    assert _token_entries(service) == []
    service.set_admin_token("another-admin-token-of-enough-length")
    assert _token_entries(service) == [(None, {"party_id": None})]
    assert service.authenticate("another-admin-token-of-enough-length") == ADMIN


def test_the_token_routes_are_documented(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/parties/{party_id}/token"]) == {"post", "delete"}
    assert set(paths["/admin/token"]) == {"post"}
    rotate = paths["/parties/{party_id}/token"]["post"]
    schema = rotate["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/TokenOut"}
    assert {"401", "403", "404"} <= set(rotate["responses"])
    assert json.dumps(paths["/admin/token"]["post"]["responses"]).count("TokenOut") == 1


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("POST", "/parties/%00/token", "admin", 404),
        ("POST", "/parties/" + "x" * 5000 + "/token", "admin", 404),
        ("DELETE", "/parties/%E2%80%AE/token", "admin", 404),
        ("POST", "/parties/alpha/token", {"Authorization": "Bearer "}, 401),
        ("POST", "/parties/alpha/token", {"Authorization": "Basic YTpi"}, 401),
        ("POST", "/admin/token", {"Authorization": "Bearer \u00e9t\u00e9".encode()}, 401),
        ("GET", "/parties/%00", "admin", 404),
        ("DELETE", "/admin/token", "admin", 405),
        ("GET", "/parties/alpha/token", "admin", 405),
        ("GET", "/metrics", {"Authorization": "Bearer x"}, 401),
        ("GET", "/metrics", {"Authorization": "Bearer"}, 401),
    ],
)
def test_odd_input_to_the_new_routes_is_a_4xx_problem(
    world: Any, method: str, path: str, headers: Any, status: int
) -> None:
    sent = world.headers("admin") if headers == "admin" else headers
    response = world.client.request(method, path, headers=sent, content=b'{"x": 1}')
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
