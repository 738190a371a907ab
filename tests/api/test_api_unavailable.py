"""A database that stops taking connections makes the API answer 503 with Retry-After and a
problem body, not 500; once it is back, the same requests succeed again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from deconflict.api import create_app
from deconflict.clock import FakeClock
from deconflict.service import Service

ADMIN_TOKEN = "unavailable-test-admin-token-0123456789abcdef"
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def _refuse_connections(admin: sa.Engine, database: str, refuse: bool) -> None:
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {"false" if refuse else "true"}'
            )
        )
        if refuse:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            )


def test_a_postgresql_that_refuses_connections_answers_503_then_recovers(postgres: Any) -> None:
    if postgres is None:
        pytest.skip("no PostgreSQL here")
    url = postgres.fresh()
    database = sa.engine.make_url(url).database
    assert database is not None
    service = Service.open(url, clock=FakeClock(START), admin_token=ADMIN_TOKEN)
    app = create_app(service, auth_fail_limit=0)
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            assert client.get("/parties", headers=headers).status_code == 200
            _refuse_connections(postgres.engine, database, refuse=True)
            try:
                for path in ("/parties", "/agreements", "/notices"):
                    answer = client.get(path, headers=headers)
                    assert answer.status_code == 503, (path, answer.text)
                    assert answer.headers["content-type"] == "application/problem+json"
                    assert int(answer.headers["retry-after"]) > 0
                    body: dict[str, Any] = answer.json()
                    assert body["status"] == 503
                    assert "database is unavailable" in body["detail"]
            finally:
                _refuse_connections(postgres.engine, database, refuse=False)
            assert client.get("/parties", headers=headers).status_code == 200
    finally:
        service.close()
