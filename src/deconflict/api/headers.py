"""Security headers on every answer, problems and streams included.

Every answer gets `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
`X-Frame-Options: DENY` and a strict `Content-Security-Policy` (nothing from another origin,
no inline script, no framing); a route that needs another policy (the docs page) sets its own,
and it is kept. API answers are `Cache-Control: no-store` (they hold tokens and notices) unless
the route chose otherwise. `Strict-Transport-Security` is sent only over TLS, directly or as a
trusted proxy says (`X-Forwarded-Proto`): over plain HTTP a browser ignores it anyway.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CSP", "HSTS", "SecurityHeadersMiddleware"]

API_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
HSTS = "max-age=63072000"
"""Two years; no includeSubDomains, since the service does not know what else runs there."""

_ALWAYS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)


class SecurityHeadersMiddleware:
    """Adds the security headers to each response's start."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tls = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    headers[name] = value
                headers.setdefault("Content-Security-Policy", API_CSP)
                headers.setdefault("Cache-Control", "no-store")
                if tls:
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, with_headers)
