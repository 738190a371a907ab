"""Dependencies every route shares: the service, the authenticated caller, pagination headers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from deconflict.errors import Unauthorized
from deconflict.service import Caller, Service

__all__ = [
    "CallerDep",
    "IdempotencyKey",
    "ServiceDep",
    "get_caller",
    "get_service",
    "set_next_link",
]

_bearer = HTTPBearer(
    auto_error=False,
    description="a party's token, or the admin token for setup (parties, agreements)",
)


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_caller(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller named by `Authorization: Bearer <token>`; 401 without a valid one."""
    if credentials is None:
        raise Unauthorized("send Authorization: Bearer <token>")
    return service.authenticate(credentials.credentials)


CallerDep = Annotated[Caller, Depends(get_caller)]

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="repeat a submission safely: same key and body return the same notice",
    ),
]


def set_next_link(request: Request, response: Response, param: str, value: str | None) -> None:
    """RFC 8288 `Link: <…>; rel="next"` to the next page, when there is one."""
    if value is not None:
        url = request.url.include_query_params(**{param: value})
        response.headers["Link"] = f'<{url}>; rel="next"'
