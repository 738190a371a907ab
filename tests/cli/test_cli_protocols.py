"""Requests the HTTP parser cannot read get an RFC 9457 problem body, not uvicorn's plain text:
through `deconflict serve` (httptools), and through the h11 protocol uvicorn falls back to."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from deconflict.cli.protocols import ProblemH11Protocol
from serving import serving

MALFORMED = {
    "negative length": b"POST /parties HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    "length not a number": b"POST /parties HTTP/1.1\r\nHost: x\r\nContent-Length: ab\r\n\r\n",
    "two lengths": (
        b"POST /parties HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}"
    ),
    "garbage request line": b"\x01\x02 NOT HTTP\r\n\r\n",
    # The length says 2, so what follows the body is read as the next request.
    "body longer than its length": (
        b"POST /parties HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\n\r\n{}\x01\x02 trailing bytes\r\n\r\n"
    ),
}


def _exchange(address: tuple[str, int], request: bytes) -> bytes:
    """Send `request` raw and read until the server closes (it must, after a 400)."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _last_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """The status, headers and body of the last response in `raw`."""
    head, _, body = raw[raw.rindex(b"HTTP/1.1 ") :].partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def _assert_problem(raw: bytes) -> None:
    status, headers, body = _last_response(raw)
    assert status == 400, raw
    assert headers["content-type"] == "application/problem+json", raw
    assert int(headers["content-length"]) == len(body), raw
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == 400
    assert problem["type"] == "urn:deconflict:problem:malformed-request"
    assert "could not be parsed" in problem["detail"]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serving(tmp_path_factory.mktemp("protocols")) as (_, first):
        host, port = first.split()[3].removeprefix("http://").split(":")
        yield host, int(port)


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
def test_deconflict_serve_answers_a_request_it_cannot_parse_with_a_problem(
    served: tuple[str, int], request_bytes: bytes
) -> None:
    _assert_problem(_exchange(served, request_bytes))


async def _ok(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def h11_served() -> Iterator[tuple[str, int]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(_ok, http=ProblemH11Protocol, lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield sock.getsockname()
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
def test_the_h11_protocol_answers_with_a_problem_too(
    h11_served: tuple[str, int], request_bytes: bytes
) -> None:
    _assert_problem(_exchange(h11_served, request_bytes))


def test_a_good_request_is_untouched(served: tuple[str, int]) -> None:
    raw = _exchange(served, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, _, body = _last_response(raw)
    assert (status, json.loads(body)) == (200, {"status": "ok"})
