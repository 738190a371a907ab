"""The FastAPI application: one function builds it around a `Service`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from deconflict.api import (
    aircraft,
    airspace,
    alerts,
    events,
    feeds,
    metrics,
    notices,
    parties,
    record,
    tokens,
    tracks,
)
from deconflict.api.docs import install_docs
from deconflict.api.edge import EdgeMiddleware
from deconflict.api.forwarded import ForwardedMiddleware, TrustedProxies
from deconflict.api.headers import SecurityHeadersMiddleware
from deconflict.api.links import install_links
from deconflict.api.metrics import Metrics, MetricsMiddleware
from deconflict.api.problems import install_problem_handlers
from deconflict.api.ratelimit import AuthFailureLimiter
from deconflict.api.schemas import ProblemOut
from deconflict.live import LivePicture
from deconflict.service import Service

__all__ = ["create_app"]

_DESCRIPTION = """\
Advance notices of operations between parties who share a sky: submit a notice, get it checked
against the other parties' notices and protected areas, disclose it, and track acknowledgements,
escalations and short notice.

Authenticate with `Authorization: Bearer <token>`. Errors are RFC 9457 problem details
(`application/problem+json`) whose `errors` name each bad field with a JSON pointer.
"""

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemOut, "description": description}
    for status, description in (
        (400, "Malformed body (not JSON, or non-standard numbers)"),
        (401, "Missing or unknown bearer token"),
        (403, "The token may not do this"),
        (404, "Not found, or not visible to the caller"),
        (409, "Clashes with the current state"),
        (413, "Body over the size limit"),
        (422, "Invalid input; `errors` names each field"),
        (429, "Too many failed authentications from this address; see `Retry-After`"),
        (503, "The database is out of reach for now; see `Retry-After`"),
    )
}


def create_app(
    service: Service,
    *,
    max_body_bytes: int = 1_048_576,
    sse_heartbeat_s: float = 15.0,
    auth_fail_limit: int = 20,
    trusted_proxies: Sequence[str] = (),
    metrics_token: str | None = None,
    live: LivePicture | None = None,
) -> FastAPI:
    """The HTTP API around `service` and its live picture; the caller owns the service and the
    picture it passes (and closes them). Without `live` the app makes its own, which runs no
    thread until a feed is added (`app.state.live`; close it to stop its feeds).

    `auth_fail_limit` failed authentications per client address and minute, on the service's
    clock, then 429 (0: no limit). The client address is the peer's, or, when the peer is one of
    `trusted_proxies` (addresses or CIDR networks), the one it names in `X-Forwarded-For`.
    `/metrics` answers the admin token and `metrics_token`, if one is given."""
    app = FastAPI(
        title="deconflict",
        version="0.1.0",
        description=_DESCRIPTION,
        strict_content_type=False,
        responses=_PROBLEMS,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app, "deconflict")
    app.state.service = service
    app.state.sse_heartbeat_s = sse_heartbeat_s
    app.state.auth_limiter = AuthFailureLimiter(auth_fail_limit, service.clock)
    app.state.live = live if live is not None else LivePicture(service)
    app.add_middleware(
        EdgeMiddleware,
        max_body_bytes=max_body_bytes,
        route_limits={("POST", "/tracks"): tracks.TRACKS_BODY_BYTES},
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.metrics = Metrics(service, app.state.live)
    app.state.metrics_token = metrics_token
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(ForwardedMiddleware, trusted=TrustedProxies(trusted_proxies))
    install_problem_handlers(app)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: answers without authentication."""
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/docs")

    for module in (
        parties,
        aircraft,
        tokens,
        airspace,
        notices,
        events,
        tracks,
        alerts,
        feeds,
        record,
        metrics,
    ):
        app.include_router(module.router)
    install_links(app)
    return app
