"""The limit on failed authentications per client address: 429 with `Retry-After` and a problem
body once the limit is reached, on the service's clock, and the client address taken from
`X-Forwarded-For` only when the peer is a trusted proxy."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.api.forwarded import ForwardedMiddleware, TrustedProxies, forwarded_client
from deconflict.api.ratelimit import AuthFailureLimiter
from deconflict.clock import FakeClock
from deconflict.service import Service

ADMIN = {"Authorization": "Bearer test-admin-token-0123456789abcdef0123456789abcdef"}
WRONG = {"Authorization": "Bearer not-a-token"}
PROXY = "10.0.0.5"


@pytest.fixture
def clients(service: Service) -> Iterator[Any]:
    made: list[TestClient] = []

    def make(limit: int = 3, peer: str = "192.0.2.1", proxies: tuple[str, ...] = ()) -> Any:
        app = create_app(service, auth_fail_limit=limit, trusted_proxies=proxies)
        client = TestClient(app, client=(peer, 40000))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def _fail(client: Any, times: int, **headers: str) -> None:
    for _ in range(times):
        assert client.get("/parties", headers={**WRONG, **headers}).status_code == 401


def test_the_limit_answers_429_with_retry_after_then_lifts_on_the_clock(
    clients: Any, clock: FakeClock
) -> None:
    client = clients(limit=3)
    _fail(client, 2)
    clock.advance(20)
    _fail(client, 1)
    limited = client.get("/parties", headers=ADMIN)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "40"
    assert limited.headers["content-type"] == "application/problem+json"
    problem = limited.json()
    assert problem["type"] == "urn:deconflict:problem:too-many-failed-authentications"
    assert (problem["status"], problem["retry_after_s"], problem["instance"]) == (
        429,
        40,
        "/parties",
    )
    assert "192.0.2.1" in problem["detail"]
    assert client.get("/parties", headers=WRONG).status_code == 429

    clock.advance(40)
    assert client.get("/parties", headers=ADMIN).status_code == 200
    _fail(client, 1)
    clock.advance(20)
    assert client.get("/parties", headers=ADMIN).status_code == 200
    _fail(client, 2)
    assert client.get("/parties", headers=ADMIN).status_code == 429


def test_a_missing_token_and_health_are_not_failures(clients: Any) -> None:
    client = clients(limit=2)
    for _ in range(5):
        assert client.get("/parties").status_code == 401
        assert client.get("/health").status_code == 200
    assert client.get("/parties", headers=ADMIN).status_code == 200


def test_zero_turns_the_limit_off(clients: Any) -> None:
    client = clients(limit=0)
    _fail(client, 50)
    assert client.get("/parties", headers=ADMIN).status_code == 200


def test_the_default_limit_is_twenty_a_minute(service: Service) -> None:
    with TestClient(create_app(service)) as client:
        _fail(client, 20)
        response = client.get("/parties", headers=ADMIN)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "60"


def test_addresses_are_counted_apart(service: Service) -> None:
    app = create_app(service, auth_fail_limit=2)
    with (
        TestClient(app, client=("192.0.2.1", 1)) as one,
        TestClient(app, client=("192.0.2.2", 1)) as two,
    ):
        _fail(one, 2)
        assert one.get("/parties", headers=ADMIN).status_code == 429
        assert two.get("/parties", headers=ADMIN).status_code == 200


def test_forwarded_for_counts_only_behind_a_trusted_proxy(clients: Any) -> None:
    behind = clients(limit=2, peer=PROXY, proxies=(PROXY,))
    _fail(behind, 2, **{"X-Forwarded-For": "198.51.100.7"})
    blocked = behind.get("/parties", headers={**ADMIN, "X-Forwarded-For": "198.51.100.7"})
    assert blocked.status_code == 429
    assert "198.51.100.7" in blocked.json()["detail"]
    other = behind.get("/parties", headers={**ADMIN, "X-Forwarded-For": "198.51.100.8"})
    assert other.status_code == 200
    spoofed = behind.get(
        "/parties", headers={**ADMIN, "X-Forwarded-For": "203.0.113.1, 198.51.100.7"}
    )
    assert spoofed.status_code == 429

    untrusted = clients(limit=2, peer="192.0.2.9", proxies=(PROXY,))
    _fail(untrusted, 2, **{"X-Forwarded-For": "198.51.100.50"})
    rotated = untrusted.get("/parties", headers={**ADMIN, "X-Forwarded-For": "198.51.100.51"})
    assert rotated.status_code == 429
    assert "192.0.2.9" in rotated.json()["detail"]


def _seen(peer: str, headers: dict[str, str], proxies: tuple[str, ...]) -> tuple[Any, str]:
    """The client and scheme an app behind `ForwardedMiddleware` sees."""
    seen: dict[str, Any] = {}

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.update(client=scope["client"], scheme=scope["scheme"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = ForwardedMiddleware(probe, TrustedProxies(proxies))
    client = TestClient(app, client=(peer, 40000))
    client.get("/", headers=headers)
    client.close()
    return seen["client"][0], seen["scheme"]


def test_a_trusted_network_names_the_client_and_scheme_and_no_one_else_does() -> None:
    headers = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    assert _seen("10.1.2.3", headers, ("10.1.0.0/16",)) == ("198.51.100.7", "https")
    assert _seen("10.2.0.1", headers, ("10.1.0.0/16",)) == ("10.2.0.1", "http")
    assert _seen("10.1.2.3", headers, ()) == ("10.1.2.3", "http")
    odd = {"X-Forwarded-For": "junk", "X-Forwarded-Proto": "gopher"}
    assert _seen("10.1.2.3", odd, ("10.1.0.0/16",)) == ("10.1.2.3", "http")


@pytest.mark.parametrize(
    ("header", "want"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("203.0.113.1, 198.51.100.7", "198.51.100.7"),
        ("198.51.100.7, 10.0.0.6", "198.51.100.7"),
        ("10.0.0.6, 10.0.0.5", "10.0.0.6"),
        (" 2001:db8::1 ", "2001:db8::1"),
        ("garbage", None),
        ("", None),
    ],
)
def test_forwarded_client_is_the_rightmost_untrusted_hop(header: str, want: str | None) -> None:
    assert forwarded_client(header, TrustedProxies(["10.0.0.0/24"])) == want


def test_trusted_proxies_refuse_what_is_not_an_address() -> None:
    with pytest.raises(ValueError, match="not an IP address or network"):
        TrustedProxies(["proxy.example"])
    assert "10.0.0.1" in TrustedProxies(["10.0.0.1"])
    assert "testclient" not in TrustedProxies(["10.0.0.1"])


def test_the_limiter_keeps_a_bounded_number_of_addresses(clock: FakeClock) -> None:
    limiter = AuthFailureLimiter(1, clock, max_addresses=3)
    for n in range(5):
        limiter.failed(f"192.0.2.{n}")
        clock.advance(1)
    assert len(limiter._failures) == 3
    limiter.check("192.0.2.0")
    with pytest.raises(ValueError, match="0 \\(off\\) or more"):
        AuthFailureLimiter(-1, clock)
