"""Malformed HTTP framing against the server `deconflict serve` runs, over a raw socket, with each
of uvicorn's HTTP protocols: a Content-Length that lies (non-numeric, negative, two of them,
shorter than the body) or a request that is not HTTP at all is a 4xx with an RFC 9457 problem
body, where uvicorn itself used to answer plain text; a body cut short by the client's hang-up
is answered by nobody, and logged as no server error."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from deconflict.cli.protocols import ProblemH11Protocol, ProblemHttpToolsProtocol
from deconflict.cli.serve import ServerOptions, build_server
from deconflict.service import Service

ADMIN_TOKEN = "protocols-admin-token-0123456789abcdef"
PROBLEM = b"application/problem+json"


@pytest.fixture
def sqlite_service(tmp_path: Path, sqlite_template: Path) -> Iterator[Service]:
    """A service on a copy of the migrated SQLite template (framing needs one backend only)."""
    path = tmp_path / "deconflict.db"
    shutil.copyfile(sqlite_template, path)
    service = Service.open(f"sqlite:///{path}", admin_token=ADMIN_TOKEN)
    yield service
    service.close()


@pytest.fixture(params=[ProblemH11Protocol, ProblemHttpToolsProtocol], ids=["h11", "httptools"])
def address(request: pytest.FixtureRequest, sqlite_service: Service) -> Iterator[tuple[str, int]]:
    """The API served by `build_server` with one protocol class, in a thread; its address."""
    server = build_server(sqlite_service, ServerOptions(log_level="warning"))
    server.config.http = request.param
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield sock.getsockname()[:2]
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _exchange(address: tuple[str, int], data: bytes, *, hang_up: bool = False) -> bytes:
    """Send `data` on a fresh connection (then shut its sending side, with `hang_up`) and
    read until the server closes it."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(data)
        if hang_up:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _responses(received: bytes) -> list[tuple[int, dict[bytes, bytes], bytes]]:
    """Each response in the stream: status, headers (names lower-cased), body."""
    found = []
    rest = received
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(b":") for line in lines)
        )
        if b"content-length" in headers:
            size = int(headers[b"content-length"])
            body, rest = rest[:size], rest[size:]
        else:  # h11 ends a response it gave no length by closing the connection
            body, rest = rest, b""
        found.append((int(status_line.split()[1]), headers, body))
    return found


def _request(content_length: bytes | list[bytes], body: bytes = b'{"name": "x"}') -> bytes:
    lengths = content_length if isinstance(content_length, list) else [content_length]
    head = [
        b"POST /parties HTTP/1.1",
        b"Host: testserver",
        b"Authorization: Bearer " + ADMIN_TOKEN.encode(),
        b"Content-Type: application/json",
        *(b"Content-Length: " + length for length in lengths),
    ]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


FRAMING = {
    "non-numeric Content-Length": _request(b"abc"),
    "negative Content-Length": _request(b"-5"),
    "two Content-Lengths": _request([b"13", b"14"]),
    "Content-Length shorter than the body": _request(b"5"),
    "Content-Length past 64 bits": _request(b"99999999999999999999999"),
    "not HTTP": b"\x00\x01\x02 nonsense\r\n\r\n",
    "header without a colon": b"GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
}


@pytest.mark.parametrize("case", sorted(FRAMING))
def test_malformed_framing_is_a_4xx_problem(address: tuple[str, int], case: str) -> None:
    responses = _responses(_exchange(address, FRAMING[case]))
    assert responses, "no answer"
    for status, headers, body in responses:
        assert 400 <= status < 500, (status, body)
        assert headers[b"content-type"].startswith(PROBLEM), (headers, body)
        problem: dict[str, Any] = orjson.loads(body)
        assert problem["status"] == status
        assert problem["type"].startswith("urn:deconflict:problem:")
        assert problem["detail"]


def test_the_protocols_own_refusal_names_its_problem_type(address: tuple[str, int]) -> None:
    [(status, _, body)] = _responses(_exchange(address, FRAMING["not HTTP"]))
    problem = orjson.loads(body)
    assert (status, problem["type"]) == (400, "urn:deconflict:problem:malformed-request")
    assert set(problem) >= {"type", "title", "status", "detail", "instance", "errors"}


def test_a_body_cut_short_by_a_hang_up_is_no_server_error(
    address: tuple[str, int], caplog: pytest.LogCaptureFixture
) -> None:
    """Content-Length 50, 13 bytes, then the client shuts its side: uvicorn closes the
    connection, so nobody can be answered; the API must not log or count it as its own
    failure (a 500), but as a client that left (499)."""
    with caplog.at_level(logging.ERROR, logger="deconflict.api"):
        assert _exchange(address, _request(b"50"), hang_up=True) == b""
        time.sleep(0.5)
    assert [r.getMessage() for r in caplog.records if r.name == "deconflict.api"] == []
    metrics = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    metrics += b"Authorization: Bearer " + ADMIN_TOKEN.encode() + b"\r\n\r\n"
    [(status, _, body)] = _responses(_exchange(address, metrics))
    counted = re.findall(
        rb'deconflict_http_requests_total\{method="POST",route="/parties",status="(\d+)"', body
    )
    assert (status, counted) == (200, [b"499"])


def test_serve_uses_the_problem_protocol_uvicorn_would_pick(sqlite_service: Service) -> None:
    """httptools when it is installed (uvicorn[standard] brings it), as uvicorn's auto does."""
    server = build_server(sqlite_service, ServerOptions())
    assert server.config.http is ProblemHttpToolsProtocol
