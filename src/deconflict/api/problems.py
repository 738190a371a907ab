"""RFC 9457 problem details: every error leaves the API as `application/problem+json`.

Errors are translated once, here, by exception class: the service raises the classes of
`deconflict.errors`, FastAPI raises validation and routing errors, and the edge raises
`BodyTooLargeError` and `MalformedBodyError`. Each problem names the bad fields in `errors`, a
list of `{"pointer": <JSON pointer into the request body>, "detail": …}` (or
`{"parameter", "in", "detail"}` for query, path and header parameters).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Scope, Send

from deconflict.api.ratelimit import AuthRateLimitedError
from deconflict.errors import (
    Conflict,
    DeconflictError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
    Unavailable,
)
from deconflict.service import IdempotencyMismatch

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "BodyTooLargeError",
    "MalformedBodyError",
    "install_problem_handlers",
    "json_pointer",
    "problem_response",
    "send_problem",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_PREFIX = "urn:deconflict:problem:"
_log = logging.getLogger("deconflict.api")


class BodyTooLargeError(Exception):
    """The request body exceeds the configured limit (declared or counted while streaming)."""

    def __init__(self, limit_bytes: int, seen_bytes: int) -> None:
        super().__init__(f"request body exceeds {limit_bytes} bytes (got at least {seen_bytes})")
        self.limit_bytes = limit_bytes
        self.seen_bytes = seen_bytes


class MalformedBodyError(Exception):
    """The request body is not standard JSON (RFC 8259), or is not declared as JSON."""

    def __init__(self, detail: str, errors: Sequence[FieldError] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = tuple(errors)


_STATUS_BY_CLASS: tuple[tuple[type[DeconflictError], int, str], ...] = (
    (IdempotencyMismatch, 422, "idempotency-mismatch"),
    (InvalidInput, 422, "invalid-input"),
    (NotFound, 404, "not-found"),
    (Conflict, 409, "conflict"),
    (Unauthorized, 401, "unauthorized"),
    (Forbidden, 403, "forbidden"),
    (Unavailable, 503, "unavailable"),
)

_HTTP_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def json_pointer(parts: Sequence[str | int]) -> str:
    """An RFC 6901 pointer from path segments (`~` and `/` escaped)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _field_errors(errors: Sequence[FieldError]) -> list[dict[str, str]]:
    return [{"pointer": e.pointer, "detail": e.detail} for e in errors]


def _problem_body(
    *,
    status: int,
    slug: str | None,
    title: str,
    detail: str,
    instance: str,
    errors: Sequence[Mapping[str, object]] = (),
    extensions: Mapping[str, object] | None = None,
) -> dict[str, object]:
    body: dict[str, object] = {
        "type": _TYPE_PREFIX + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "errors": list(errors),
    }
    for key, value in (extensions or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(
    *,
    status: int,
    detail: str,
    instance: str,
    slug: str | None = None,
    title: str | None = None,
    errors: Sequence[Mapping[str, object]] = (),
    extensions: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response; `slug` names our problem type, None means plain HTTP status."""
    body = _problem_body(
        status=status,
        slug=slug,
        title=title or _HTTP_TITLES.get(status, "Error"),
        detail=detail,
        instance=instance,
        errors=errors,
        extensions=extensions,
    )
    return Response(
        orjson.dumps(body, option=orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )


async def send_problem(scope: Scope, send: Send, response: Response) -> None:
    """Send a problem from ASGI middleware, where no request body may be read."""

    async def no_body() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


def domain_problem(exc: DeconflictError, instance: str) -> Response:
    """The problem for one of our own errors, found by the first matching class in its MRO."""
    status, slug = 400, "bad-request"
    for cls, candidate_status, candidate_slug in _STATUS_BY_CLASS:
        if isinstance(exc, cls):
            status, slug = candidate_status, candidate_slug
            break
    errors = _field_errors(exc.errors) if isinstance(exc, InvalidInput) else []
    extensions = dict(exc.facts) if isinstance(exc, Conflict) else {}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else {}
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": str(exc.retry_after_s)}
        extensions = {"retry_after_s": exc.retry_after_s}
    return problem_response(
        status=status,
        slug=slug,
        title=exc.title,
        detail=exc.detail,
        instance=instance,
        errors=errors,
        extensions=extensions,
        headers=headers,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        detail = str(error.get("msg", "invalid value"))
        if loc and loc[0] == "body":
            out.append({"pointer": json_pointer(loc[1:]), "detail": detail})
        elif len(loc) >= 2:
            out.append({"parameter": str(loc[1]), "in": str(loc[0]), "detail": detail})
        else:
            out.append({"pointer": "", "detail": detail})
    return out


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts on this path (Starlette names only the first route's)."""
    allowed = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.routes):
            allowed.append(method)
    return allowed


def _instance(request: Request) -> str:
    return request.url.path


def install_problem_handlers(app: FastAPI) -> None:
    """Register the one translation from exceptions to problem responses."""

    async def on_domain(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, DeconflictError):
            raise exc
        return domain_problem(exc, _instance(request))

    async def on_validation(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):
            raise exc
        errors = _validation_errors(exc)
        return problem_response(
            status=422,
            slug="invalid-input",
            title=InvalidInput.title,
            detail=f"{len(errors)} invalid field(s) in the request",
            instance=_instance(request),
            errors=errors,
        )

    async def on_http(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise exc
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no route {request.url.path}"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            detail = f"method {request.method} is not allowed on {request.url.path}"
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem_response(
            status=exc.status_code,
            detail=detail,
            instance=_instance(request),
            headers=headers,
        )

    async def on_malformed(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, MalformedBodyError):
            raise exc
        return problem_response(
            status=400,
            slug="malformed-body",
            title="Malformed body",
            detail=exc.detail,
            instance=_instance(request),
            errors=_field_errors(exc.errors),
        )

    async def on_too_large(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, BodyTooLargeError):
            raise exc
        return too_large_problem(exc, _instance(request))

    async def on_rate_limited(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, AuthRateLimitedError):
            raise exc
        return rate_limited_problem(exc, _instance(request))

    app.add_exception_handler(DeconflictError, on_domain)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(MalformedBodyError, on_malformed)
    app.add_exception_handler(BodyTooLargeError, on_too_large)
    app.add_exception_handler(AuthRateLimitedError, on_rate_limited)


def too_large_problem(exc: BodyTooLargeError, instance: str) -> Response:
    return problem_response(
        status=413,
        slug="body-too-large",
        title="Body too large",
        detail=str(exc),
        instance=instance,
        extensions={"limit_bytes": exc.limit_bytes},
    )


def rate_limited_problem(exc: AuthRateLimitedError, instance: str) -> Response:
    return problem_response(
        status=429,
        slug="too-many-failed-authentications",
        title="Too many failed authentications",
        detail=str(exc),
        instance=instance,
        extensions={"retry_after_s": exc.retry_after_s},
        headers={"Retry-After": str(exc.retry_after_s)},
    )


def internal_problem(instance: str) -> Response:
    """A 500 that says nothing about the internals; the exception itself goes to the log."""
    return problem_response(
        status=500,
        detail="the server failed to handle this request; the error has been logged",
        instance=instance,
    )


def log_unexpected(exc: BaseException, method: str, path: str) -> None:
    _log.error("unhandled error in %s %s", method, path, exc_info=exc)
