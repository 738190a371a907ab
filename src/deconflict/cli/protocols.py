"""uvicorn's HTTP protocols, answering what they refuse themselves with an RFC 9457 problem.

uvicorn refuses a request it cannot parse (a Content-Length that is not a number, negative or
given twice, a bad request line or header, bytes left over after a body shorter than its
Content-Length) before the API sees it, with a plain-text 400. These subclasses of its two
protocols send the same 400, closing the connection as uvicorn does, as
`application/problem+json`, so every refusal a client gets reads alike.
"""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from deconflict.api.problems import PROBLEM_MEDIA_TYPE, problem_response

try:
    from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
except ImportError:  # no httptools build (Windows, PyPy): uvicorn runs h11 there too
    HTTPTOOLS = False
else:
    HTTPTOOLS = True

__all__ = [
    "HTTPTOOLS",
    "ProblemH11Protocol",
    "ProblemHttpToolsProtocol",
    "http_protocol",
    "malformed_request",
]

_DETAIL = (
    "not a valid HTTP/1.1 request: a malformed request line or header, or a Content-Length "
    "that is not one non-negative number or does not fit the body"
)


def malformed_request() -> bytes:
    """The problem body for a request the protocol could not parse (nor route: no instance)."""
    response = problem_response(
        status=400,
        slug="malformed-request",
        title="Malformed request",
        detail=_DETAIL,
        instance="",
    )
    return bytes(response.body)


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, its own 400 a problem."""

    def send_400_response(self, msg: str) -> None:
        body = malformed_request()
        headers = [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


if HTTPTOOLS:

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol, its own 400 a problem."""

        def send_400_response(self, msg: str) -> None:
            body = malformed_request()
            content = [STATUS_LINE[400]]
            for name, value in self.server_state.default_headers:
                content += [name, b": ", value, b"\r\n"]
            content += [
                b"content-type: " + PROBLEM_MEDIA_TYPE.encode() + b"\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n\r\n",
                body,
            ]
            self.transport.write(b"".join(content))
            self.transport.close()


def http_protocol() -> type[asyncio.Protocol]:
    """The protocol uvicorn's "auto" picks (httptools where it is installed, else h11), with
    its own refusals as problems."""
    return ProblemHttpToolsProtocol if HTTPTOOLS else ProblemH11Protocol
