"""Malformed bodies into every POST and PUT route: always a 4xx problem, never a 5xx."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

MALFORMED: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b"{}",
    b'"text"',
    b"42",
    b"true",
    b"{",
    b"\xff\xfe\x00",
    b"[" * 3000 + b"]" * 3000,
    b'{"volumes": 5, "version": "1"}',
    b'{"agreement_id": null, "purpose": null, "volumes": null}',
    b'{"agreement_id": "ab", "purpose": "x", "volumes": [{}]}',
    b'{"agreement_id": "ab", "purpose": "x", "volumes": [{"type": "Feature", "geometry": 1}]}',
    b'{"agreement_id": "ab", "purpose": "x", "volumes": {"type": "FeatureCollection"}}',
    b'{"agreement_id": "ab", "purpose": "x", "volumes_f3548": [{"volume": []}]}',
    b'{"agreement_id": "ab", "purpose": "x", "volumes": [{"type": "Feature", "geometry": '
    b'{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}, "properties": []}]}',
    b'{"version": -1, "received_at": "yesterday"}',
    b'{"version": 99999999999999999999999}',
    b'{"name": 3, "members": "x", "escalation_after_s": [5, 1]}',
    b'{"name": "x", "members": ["a", "a"], "min_lead_time_s": -1}',
    b'{"purpose": "ack", "key_b64": "not base64!"}',
    b'{"name": "' + "\u202e".encode() + b'", "volume": {"type": "Feature"}}',
    b'{"reason": ' + b'"r" ' + b"}",
]

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "volumes",
                    "agreement_id",
                    "purpose",
                    "version",
                    "name",
                    "members",
                    "type",
                    "geometry",
                    "properties",
                    "coordinates",
                    "volume",
                    "features",
                    "draft",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def _body_routes(world: Any) -> list[tuple[str, str, str]]:
    """(method, path, caller) for every POST and PUT route, with real ids filled in."""
    ids = {
        "notice_id": world.notices["own"],
        "party_id": "alpha",
        "agreement_id": "ab",
    }
    routes = []
    for path, operations in world.client.get("/openapi.json").json()["paths"].items():
        if path.endswith("/token"):
            continue  # no body, and rotating a token would lock the callers below out
        for method in operations:
            if method in ("post", "put"):
                caller = "admin" if path.startswith(("/parties", "/agreements")) else "alpha"
                routes.append((method.upper(), path.format(**ids), caller))
    return routes


def _post(world: Any, method: str, path: str, who: str, raw: bytes) -> Any:
    headers = {**world.headers(who), "content-type": "application/json"}
    return world.client.request(method, path, content=raw, headers=headers)


def test_every_body_route_refuses_malformed_bodies(world: Any) -> None:
    routes = _body_routes(world)
    assert len(routes) >= 11
    for method, path, who in routes:
        for raw in MALFORMED:
            response = _post(world, method, path, who, raw)
            assert 400 <= response.status_code < 500 or response.status_code in (200, 201), (
                method,
                path,
                raw[:80],
                response.status_code,
                response.text[:300],
            )
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=JSON_VALUES)
def test_random_json_never_gets_a_5xx(world: Any, value: Any) -> None:
    raw = json.dumps(value).encode()
    for method, path, who in _body_routes(world):
        response = _post(world, method, path, who, raw)
        assert response.status_code < 500, (method, path, raw[:200], response.text[:300])
