"""Security headers on every answer: success, problems from the routes and from the edge, and
HSTS only over TLS (direct, or as a trusted proxy says)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.service import Service

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789abcdef0123456789abcdef"}
STRICT = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"


def _secured(response: Any) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == STRICT
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/health", {}, 200),
        ("GET", "/parties", {"headers": ADMIN}, 200),
        ("GET", "/openapi.json", {}, 200),
        ("GET", "/parties", {}, 401),
        ("GET", "/nowhere", {}, 404),
        ("DELETE", "/health", {}, 405),
        ("POST", "/parties", {"headers": ADMIN, "content": b"{"}, 400),
        ("POST", "/parties", {"headers": ADMIN, "content": b"x" * 70_000}, 413),
        ("POST", "/parties", {"headers": ADMIN, "json": {}}, 422),
    ],
)
def test_every_answer_carries_the_security_headers(
    client: Any, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code == status
    _secured(response)
    assert "strict-transport-security" not in response.headers


def test_an_event_stream_carries_them_too(client: Any) -> None:
    with client.stream("GET", "/events/stream", headers=ADMIN) as response:
        assert response.status_code == 200
        _secured(response)


def test_hsts_only_over_tls(service: Service) -> None:
    app = create_app(service, trusted_proxies=("10.0.0.5",))
    with TestClient(app, base_url="https://testserver") as tls:
        assert tls.get("/health").headers["strict-transport-security"] == "max-age=63072000"
    proxy = TestClient(app, client=("10.0.0.5", 1))
    forwarded = proxy.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert forwarded.headers["strict-transport-security"] == "max-age=63072000"
    assert "strict-transport-security" not in proxy.get("/health").headers
    stranger = TestClient(app, client=("10.0.0.6", 1))
    spoofed = stranger.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in spoofed.headers
    proxy.close()
    stranger.close()
