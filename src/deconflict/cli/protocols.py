"""uvicorn's HTTP protocols, answering a request they cannot parse (a Content-Length that lies or
is negative, a malformed request line or header) with an RFC 9457 problem body, like every
other refusal of the API, instead of uvicorn's plain-text 400."""

from __future__ import annotations

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from deconflict.api.problems import PROBLEM_MEDIA_TYPE, malformed_request

__all__ = ["ProblemH11Protocol", "http_protocol"]

_DETAIL = "the request could not be parsed: its framing (Content-Length) or a header is malformed"


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]


class ProblemH11Protocol(H11Protocol):
    def send_400_response(self, msg: str) -> None:
        body = malformed_request(_DETAIL)
        for event in (
            h11.Response(status_code=400, headers=_headers(body), reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def http_protocol() -> type:
    """The protocol class uvicorn's `http="auto"` would pick, answering with problems."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:  # httptools is optional: uvicorn then speaks h11
        return ProblemH11Protocol

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            body = malformed_request(_DETAIL)
            head = b"".join(
                [b"HTTP/1.1 400 Bad Request\r\n"]
                + [
                    name + b": " + value + b"\r\n"
                    for name, value in self.server_state.default_headers
                ]
                + [name + b": " + value + b"\r\n" for name, value in _headers(body)]
                + [b"\r\n"]
            )
            self.transport.write(head + body)
            self.transport.close()

    return ProblemHttpToolsProtocol
