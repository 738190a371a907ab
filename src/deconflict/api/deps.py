"""Dependencies every route shares: the service, the authenticated caller, pagination headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deconflict.api.ratelimit import AuthFailureLimiter
from deconflict.errors import Unauthorized
from deconflict.service import Caller, Service

__all__ = [
    "CallerDep",
    "IdempotencyKey",
    "ServiceDep",
    "client_address",
    "get_caller",
    "get_service",
    "limited",
    "set_next_link",
]

T = TypeVar("T")

_bearer = HTTPBearer(
    auto_error=False,
    description="a party's token, or the admin token for setup (parties, agreements)",
)


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def client_address(request: Request) -> str:
    """The client's address (a trusted proxy's `X-Forwarded-For` already applied)."""
    return request.client.host if request.client is not None else "unknown"


def limited(request: Request, authenticate: Callable[[], T]) -> T:
    """Run `authenticate` unless the client is over its limit of failed authentications
    (429), and count its failure (an `Unauthorized`) against the client's address."""
    limiter: AuthFailureLimiter = request.app.state.auth_limiter
    address = client_address(request)
    limiter.check(address)
    try:
        return authenticate()
    except Unauthorized:
        limiter.failed(address)
        raise


def get_caller(
    request: Request,
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller named by `Authorization: Bearer <token>`; 401 without a valid one, 429 after
    too many invalid ones from the client's address. A missing token is not a guess: only a
    token that fails counts."""
    if credentials is None:
        raise Unauthorized("send Authorization: Bearer <token>")
    token = credentials.credentials
    return limited(request, lambda: service.authenticate(token))


CallerDep = Annotated[Caller, Depends(get_caller)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="repeat a submission safely: same key and body return the same notice",
    ),
]


def set_next_link(request: Request, response: Response, param: str, value: str | None) -> None:
    """RFC 8288 `Link: <…>; rel="next"` to the next page, when there is one."""
    if value is not None:
        url = request.url.include_query_params(**{param: value})
        response.headers["Link"] = f'<{url}>; rel="next"'
