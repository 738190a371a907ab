"""Who the client is behind a reverse proxy: `X-Forwarded-For` and `X-Forwarded-Proto`, believed
only from the proxies the operator names.

`ForwardedMiddleware` rewrites the ASGI scope's `client` and `scheme` in place (as uvicorn's own
proxy middleware would, which `serve` turns off so there is one rule) when the peer is a trusted
proxy. The client is the rightmost address of `X-Forwarded-For` that is not itself a trusted
proxy: every address to its left was written by the client and proves nothing. Anything after
this middleware (the authentication rate limit, the access log, links, HSTS) sees the result.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ForwardedMiddleware", "TrustedProxies"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    """The addresses (or networks, in CIDR form) of the reverse proxies to believe."""

    def __init__(self, proxies: Iterable[str] = ()) -> None:
        networks: list[Network] = []
        for proxy in proxies:
            try:
                networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"{proxy!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        self.networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, str):
            return False
        try:
            ip = ipaddress.ip_address(address.strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


def forwarded_client(forwarded_for: str, trusted: TrustedProxies) -> str | None:
    """The rightmost address of an `X-Forwarded-For` value that is not a trusted proxy (the
    leftmost when all are); None for an empty or unusable header."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return _normalised(hop)
    return _normalised(hops[0]) if hops else None


def _normalised(hop: str) -> str | None:
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None


class ForwardedMiddleware:
    """Take the client's address and scheme from a trusted proxy's headers."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            peer = scope.get("client")
            if peer is not None and peer[0] in self.trusted:
                headers = Headers(scope=scope)
                forwarded_for = headers.get("x-forwarded-for")
                client = forwarded_client(forwarded_for, self.trusted) if forwarded_for else None
                if client is not None:
                    scope["client"] = (client, 0)
                proto = headers.get("x-forwarded-proto", "").split(",")[-1].strip().lower()
                if proto in ("http", "https"):
                    scope["scheme"] = proto if scope["type"] == "http" else _ws(proto)
        await self.app(scope, receive, send)


def _ws(proto: str) -> str:
    return "wss" if proto == "https" else "ws"
