"""The edge of the API: strict JSON and the body size limit (declared and streamed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from deconflict.api.edge import parse_json_strict
from deconflict.api.problems import MalformedBodyError

LIMIT = 64 * 1024  # as the `app` fixture


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for key in ("type", "title", "detail", "instance", "errors"):
        assert key in body
    return body


@pytest.mark.parametrize(
    ("raw", "pointer"),
    [
        (b'{"a": NaN}', "/a"),
        (b'{"a": [1, Infinity]}', "/a/1"),
        (b'{"a": {"b": -Infinity}}', "/a/b"),
        (b'{"x": 1e400}', "/x"),
        (b"[0, -1e999]", "/1"),
        (b'{"a~b/c": NaN}', "/a~0b~1c"),
    ],
)
def test_non_standard_numbers_are_refused_naming_the_field(raw: bytes, pointer: str) -> None:
    with pytest.raises(MalformedBodyError) as caught:
        parse_json_strict(raw)
    assert [e.pointer for e in caught.value.errors] == [pointer]
    assert "non-standard number" in caught.value.errors[0].detail


@pytest.mark.parametrize("raw", [b"", b"{", b"nope", b'{"a": 1,}', b"\xff\xfe", b"[" * 100_000])
def test_malformed_json_is_refused(raw: bytes) -> None:
    with pytest.raises(MalformedBodyError):
        parse_json_strict(raw)


def test_standard_json_parses_as_the_standard_library_does() -> None:
    raw = b'{"a": [1, 2.5, -3e10, "\\u00e9", true, null], "b": {"c": ""}}'
    assert parse_json_strict(raw) == json.loads(raw)


def test_nan_in_a_request_is_a_400_naming_the_field(client: Any, admin: dict[str, str]) -> None:
    raw = b'{"name": "x", "members": ["a", "b"], "buffer_h_m": NaN}'
    response = client.post(
        "/agreements", content=raw, headers={**admin, "content-type": "application/json"}
    )
    body = _problem(response, 400)
    assert body["errors"] == [
        {"pointer": "/buffer_h_m", "detail": "non-standard number (NaN or infinite) is not JSON"}
    ]


def test_non_json_content_type_is_a_400(client: Any, admin: dict[str, str]) -> None:
    response = client.post(
        "/parties", content=b"name=x", headers={**admin, "content-type": "text/plain"}
    )
    assert "must be JSON" in _problem(response, 400)["detail"]


def test_declared_length_over_the_limit_is_a_413_before_reading(
    client: Any, admin: dict[str, str]
) -> None:
    body = b'{"name": "' + b"x" * (LIMIT + 10) + b'"}'
    response = client.post(
        "/parties", content=body, headers={**admin, "content-type": "application/json"}
    )
    problem = _problem(response, 413)
    assert problem["limit_bytes"] == LIMIT


def test_ten_megabytes_are_refused(client: Any, admin: dict[str, str]) -> None:
    body = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = client.post(
        "/parties", content=body, headers={**admin, "content-type": "application/json"}
    )
    _problem(response, 413)
    assert client.get("/parties", headers=admin).json()["items"] == []


def test_a_chunked_body_is_refused_without_being_buffered(app: Any, admin: dict[str, str]) -> None:
    """10 MB sent in 64 KiB chunks without Content-Length: refused after about LIMIT bytes."""
    chunk = b"x" * 65536
    total_chunks = 10 * 1024 * 1024 // len(chunk)
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'{"name": "'
        for _ in range(total_chunks):
            pulled += 1
            yield chunk

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post(
                "/parties",
                content=body(),
                headers={**admin, "content-type": "application/json"},
            )

    response = asyncio.run(send())
    assert "content-length" not in {k.lower() for k in response.request.headers}
    _problem(response, 413)
    assert pulled <= LIMIT // len(chunk) + 2 < total_chunks
