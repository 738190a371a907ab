"""Fixtures for the HTTP API tests: the app over the real service, and a small populated world.

The world has three parties and three agreements, seen from party `alpha`:
- `ab` (alpha, bravo; disclosure to all members) holds alpha's own notice and bravo's notice,
  which is disclosed to alpha;
- `ab_affected` (alpha, bravo; disclosure to affected parties only) holds a bravo notice far from
  anything of alpha's, so it is not disclosed to alpha;
- `bc` (bravo, charlie) holds charlie's notice, in an agreement alpha is not part of.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

with warnings.catch_warnings():
    # Starlette asks for the `httpx2` fork; the API works the same through httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.clock import FakeClock
from deconflict.service import Service

ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"
"""The same admin token as the suite-wide `service` fixture (tests/conftest.py)."""

FeatureFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def app(service: Service) -> Any:
    """The app with no limit on failed authentications (tests that fail on purpose would
    otherwise trip it); tests of the limit build their own."""
    return create_app(service, max_body_bytes=64 * 1024, sse_heartbeat_s=0.05, auth_fail_limit=0)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(ADMIN_TOKEN)


def _iso(when: datetime) -> str:
    return when.isoformat()


@pytest.fixture
def feature(clock: FakeClock) -> FeatureFactory:
    """A GeoJSON Feature: a square footprint around (lon, lat), hours relative to the clock."""

    def make(
        lon: float = 30.0,
        lat: float = 10.0,
        *,
        half_deg: float = 0.1,
        start_h: float = 2.0,
        hours: float = 2.0,
        lower_m: float = 1000.0,
        upper_m: float = 3000.0,
    ) -> dict[str, Any]:
        start = clock.now() + timedelta(hours=start_h)
        w, e = lon - half_deg, lon + half_deg
        s, n = lat - half_deg, lat + half_deg
        return {
            "type": "Feature",
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]],
            },
            "properties": {
                "alt_lower_m": lower_m,
                "alt_upper_m": upper_m,
                "time_start": _iso(start),
                "time_end": _iso(start + timedelta(hours=hours)),
            },
        }

    return make


@dataclass
class World:
    """Parties, agreements and notices created through the API, and their tokens."""

    client: TestClient
    tokens: dict[str, str] = field(default_factory=dict)
    agreements: dict[str, str] = field(default_factory=dict)
    notices: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        if who == "admin":
            return bearer(ADMIN_TOKEN)
        return bearer(self.tokens[who])

    def post(self, who: str | None, path: str, body: object, **kwargs: Any) -> Any:
        return self.client.post(path, json=body, headers=self.headers(who), **kwargs)

    def get(self, who: str | None, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, headers=self.headers(who), **kwargs)


def _created(response: Any) -> dict[str, Any]:
    if response.status_code != 201:
        raise AssertionError(f"{response.status_code}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def world(client: TestClient, feature: FeatureFactory) -> World:
    w = World(client)
    for name in ("alpha", "bravo", "charlie"):
        party = _created(w.post("admin", "/parties", {"name": name.title(), "id": name}))
        w.tokens[name] = party["token"]
    for agreement_id, members, disclosure in (
        ("ab", ["alpha", "bravo"], "all_members"),
        ("ab_affected", ["alpha", "bravo"], "affected"),
        ("bc", ["bravo", "charlie"], "all_members"),
    ):
        body = {"id": agreement_id, "name": agreement_id, "members": members}
        body["disclosure"] = disclosure
        w.agreements[agreement_id] = _created(w.post("admin", "/agreements", body))["id"]
    for key, who, agreement, lon in (
        ("own", "alpha", "ab", 30.0),
        ("disclosed", "bravo", "ab", 32.0),
        ("undisclosed", "bravo", "ab_affected", 60.0),
        ("other_agreement", "charlie", "bc", 70.0),
    ):
        body = {"agreement_id": agreement, "purpose": key, "volumes": [feature(lon, 10.0)]}
        w.notices[key] = _created(w.post(who, "/notices", body))["id"]
    return w
