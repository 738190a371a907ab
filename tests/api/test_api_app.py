"""The application as a whole: health, OpenAPI document and docs page."""

from __future__ import annotations

from typing import Any

from deconflict.api.app import create_app

ROUTES = {
    ("post", "/parties"),
    ("get", "/parties"),
    ("get", "/parties/{party_id}"),
    ("post", "/parties/{party_id}/keys"),
    ("post", "/parties/{party_id}/token"),
    ("delete", "/parties/{party_id}/token"),
    ("post", "/admin/token"),
    ("post", "/agreements"),
    ("get", "/agreements"),
    ("get", "/agreements/{agreement_id}"),
    ("put", "/agreements/{agreement_id}"),
    ("post", "/protected-areas"),
    ("get", "/protected-areas"),
    ("delete", "/protected-areas/{area_id}"),
    ("post", "/hazards"),
    ("get", "/hazards"),
    ("delete", "/hazards/{hazard_id}"),
    ("post", "/notices"),
    ("get", "/notices"),
    ("get", "/notices/{notice_id}"),
    ("post", "/notices/{notice_id}/submit"),
    ("post", "/notices/{notice_id}/amend"),
    ("post", "/notices/{notice_id}/cancel"),
    ("post", "/notices/{notice_id}/acknowledgements"),
    ("get", "/notices/{notice_id}/acknowledgements"),
    ("get", "/events"),
    ("get", "/events/stream"),
    ("get", "/health"),
    ("get", "/log/checkpoint"),
    ("get", "/log/checkpoint/{size}"),
    ("get", "/log/key"),
    ("get", "/log/cosigned/{party_id}"),
    ("get", "/log/proof/inclusion"),
    ("get", "/log/proof/consistency"),
    ("get", "/log/entries"),
    ("get", "/log/leaves"),
    ("post", "/log/cosignatures"),
}


def test_health_needs_no_token(client: Any) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_openapi_lists_every_route(client: Any) -> None:
    document = client.get("/openapi.json").json()
    listed = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert listed >= ROUTES
    assert "HTTPBearer" in document["components"]["securitySchemes"]


def test_openapi_documents_bodies_and_problems(client: Any) -> None:
    document = client.get("/openapi.json").json()
    submit = document["paths"]["/notices"]["post"]
    assert "requestBody" in submit
    assert "Idempotency-Key" in {p["name"] for p in submit["parameters"]}
    assert {"201", "400", "401", "422"} <= set(submit["responses"])


def test_docs_page_is_served(client: Any) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text


def test_create_app_takes_the_service_it_is_given(service: Any) -> None:
    app = create_app(service, max_body_bytes=10)
    assert app.state.service is service
