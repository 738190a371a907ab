"""Every error is an RFC 9457 problem, translated once by exception class."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from deconflict.service import Service


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "instance", "errors"}
    return body


def test_unknown_route_is_a_404_problem(client: Any) -> None:
    body = _problem(client.get("/no/such/route"), 404)
    assert body["instance"] == "/no/such/route"


def test_wrong_method_is_a_405_problem_with_allow(client: Any, admin: dict[str, str]) -> None:
    response = client.delete("/parties", headers=admin)
    _problem(response, 405)
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_without_a_valid_token_it_is_401_with_www_authenticate(
    client: Any, headers: dict[str, str]
) -> None:
    response = client.get("/notices", headers=headers)
    _problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_validation_errors_name_body_fields(client: Any, admin: dict[str, str]) -> None:
    body = {"name": 5, "members": "alpha", "buffer_h_m": "wide", "colour": "red"}
    problem = _problem(client.post("/agreements", json=body, headers=admin), 422)
    pointers = {e["pointer"] for e in problem["errors"]}
    assert pointers == {"/name", "/members", "/buffer_h_m", "/colour"}


def test_validation_errors_name_query_parameters(client: Any, admin: dict[str, str]) -> None:
    problem = _problem(client.get("/events", params={"limit": 0}, headers=admin), 422)
    assert problem["errors"][0]["parameter"] == "limit"
    assert problem["errors"][0]["in"] == "query"


def test_domain_errors_map_by_class(client: Any, admin: dict[str, str]) -> None:
    party_only = _problem(client.get("/notices", headers=admin), 403)
    assert party_only["type"].endswith(":forbidden")
    missing = _problem(client.get("/parties/nobody", headers=admin), 404)
    assert missing["type"].endswith(":not-found")


def test_a_conflict_carries_its_facts(client: Any, admin: dict[str, str]) -> None:
    assert client.post("/parties", json={"name": "A", "id": "a"}, headers=admin).status_code == 201
    problem = _problem(client.post("/parties", json={"name": "A", "id": "a"}, headers=admin), 409)
    assert problem["party_id"] == "a"


def test_an_unexpected_error_is_a_500_without_internals(
    client: Any,
    service: Service,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals at /srv/db")

    monkeypatch.setattr(service, "list_parties", broken)
    with caplog.at_level(logging.ERROR, logger="deconflict.api"):
        response = client.get("/parties", headers=admin)
    body = _problem(response, 500)
    assert "secret" not in response.text
    assert body["instance"] == "/parties"
    assert any("secret internals" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
