"""What happens to a request before a route sees it: size limit, strict JSON, last-resort errors.

`EdgeMiddleware` refuses a body over the limit from its `Content-Length` before reading anything,
and counts streamed bytes so a chunked body is refused as soon as it passes the limit, never
buffered whole. A route may have a limit of its own (`route_limits`, by method and path), as
`POST /tracks` has for its batches. `StrictJSONRoute` parses bodies with orjson, which refuses
what RFC 8259 refuses (NaN, Infinity, numbers that overflow a double), and names the offending
field when it can; a body nested deeper than `limits.MAX_JSON_DEPTH` is refused too, before its
canonical digest is written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Coroutine, Iterator, Mapping
from email.message import Message as EmailMessage
from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.routing import APIRoute
from starlette.datastructures import Headers
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deconflict.api.problems import (
    BodyTooLargeError,
    MalformedBodyError,
    internal_problem,
    json_pointer,
    log_unexpected,
    send_problem,
    too_large_problem,
)
from deconflict.errors import FieldError
from deconflict.limits import MAX_JSON_DEPTH

__all__ = [
    "EdgeMiddleware",
    "StrictJSONRoute",
    "body_digest",
    "is_json_media_type",
    "parse_json_strict",
]

_DIGEST_STATE_KEY = "body_digest"
E = TypeVar("E", bound=BaseException)


class EdgeMiddleware:
    """Body size limit and the last line of defence against unexpected exceptions."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        route_limits: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.route_limits = dict(route_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.route_limits.get((str(scope.get("method", "")), path), self.max_body_bytes)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await send_problem(
                scope, send, too_large_problem(BodyTooLargeError(limit, declared), path)
            )
            return

        seen_bytes = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen_bytes
            message = await receive()
            if message["type"] == "http.request":
                seen_bytes += len(message.get("body", b""))
                if seen_bytes > limit:
                    raise BodyTooLargeError(limit, seen_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except Exception as exc:
            too_large = _find(exc, BodyTooLargeError)
            if started:
                raise
            if _find(exc, ClientDisconnect) is not None:
                # The client left before its body ended (shorter than its Content-Length):
                # there is no one to answer, and nothing failed here.
                return
            if too_large is not None:
                await send_problem(scope, send, too_large_problem(too_large, path))
                return
            log_unexpected(exc, str(scope.get("method", "")), path)
            await send_problem(scope, send, internal_problem(path))


def _find(exc: BaseException, cls: type[E]) -> E | None:
    """`exc` or the first matching exception inside an exception group or its causes."""
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if isinstance(current, cls):
            return current
        if isinstance(current, BaseExceptionGroup):
            stack.extend(current.exceptions)
        if current.__cause__ is not None:
            stack.append(current.__cause__)
    return None


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _non_finite(value: object) -> Iterator[tuple[str | int, ...]]:
    """The path to each NaN or infinity in `value`, in document order (without recursion: the
    lenient parser reads deeper than Python's stack would go)."""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            yield path
        elif isinstance(item, dict):
            stack.extend(reversed([(child, (*path, key)) for key, child in item.items()]))
        elif isinstance(item, list):
            stack.extend(reversed([(child, (*path, i)) for i, child in enumerate(item)]))


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _nests_deeper(raw: bytes, depth: int) -> bool:
    """Whether the arrays and objects of JSON text `raw` nest more than `depth` levels.

    Strings are cut out, the brackets kept, and the innermost pairs removed `depth` times
    over, each pass in C: a level of brackets is left only under a deeper nesting. For valid
    JSON only: there every quote opens or closes a string, so the cut takes linear time."""
    brackets = _JSON_STRING.sub(b"", raw).translate(_BRACKETS, _NOT_BRACKETS)
    for _ in range(depth):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return b"[]" in brackets


def _too_deep() -> MalformedBodyError:
    detail = f"body nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects"
    return MalformedBodyError(detail, [FieldError("", detail)])


def parse_json_strict(raw: bytes) -> Any:
    """Parse standard JSON; refuse NaN, Infinity and overflowing numbers, naming where they are.
    Nesting is checked where a body is written back (`StrictJSONRoute`): `POST /tracks`, which
    parses 150 kB a batch, writes nothing back, and its typed fields refuse any nesting."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as strict_error:
        try:
            lenient = json.loads(raw)
        except RecursionError:
            raise _too_deep() from None
        except ValueError:
            raise MalformedBodyError(
                f"body is not valid JSON: {strict_error}",
                [FieldError("", f"not valid JSON: {strict_error}")],
            ) from None
        if _nests_deeper(raw, MAX_JSON_DEPTH):  # JSON but for NaN: its strings all end
            raise _too_deep() from None
        errors = [
            FieldError(json_pointer(path), "non-standard number (NaN or infinite) is not JSON")
            for path in _non_finite(lenient)
        ]
        if not errors:
            raise MalformedBodyError(f"body is not valid JSON: {strict_error}") from None
        raise MalformedBodyError(
            "body holds non-standard numbers (NaN or infinite)", errors
        ) from None
    return value


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a body of this type is JSON (`application/json` or `…+json`; none said is JSON)."""
    if content_type is None:
        return True
    message = EmailMessage()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class _ParsedRequest(Request):
    """A request whose JSON body was already parsed strictly."""

    parsed_json: Any = None

    async def json(self) -> Any:
        return self.parsed_json


class StrictJSONRoute(APIRoute):
    """An APIRoute that parses its JSON body strictly and records its canonical digest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def strict_handler(request: Request) -> Response:
            parsed = _ParsedRequest(request.scope, request.receive)
            raw = await parsed.body()
            if raw:
                if not is_json_media_type(parsed.headers.get("content-type")):
                    raise MalformedBodyError(
                        f"body must be JSON (application/json), not "
                        f"{parsed.headers.get('content-type')}"
                    )
                parsed.parsed_json = parse_json_strict(raw)
                if _nests_deeper(raw, MAX_JSON_DEPTH):  # orjson writes only 254 levels back
                    raise _too_deep()
                canonical = orjson.dumps(parsed.parsed_json, option=orjson.OPT_SORT_KEYS)
                parsed.state.body_digest = hashlib.sha256(canonical).hexdigest()
            return await handler(parsed)

        return strict_handler


def body_digest(request: Request) -> str | None:
    """SHA-256 of the parsed body re-serialised with sorted keys (None without a body)."""
    digest = getattr(request.state, _DIGEST_STATE_KEY, None)
    return digest if isinstance(digest, str) else None
