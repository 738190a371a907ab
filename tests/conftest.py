"""Fixtures shared by the whole suite: a fake clock and a service on every database backend.

The `service` fixture runs each test against the embedded SQLite default and, when the server
is reachable, PostgreSQL. Either way a test starts from a copy of a database migrated once per
session (per xdist worker): a SQLite file copied, a PostgreSQL template cloned, so no test runs
the migrations (the upgrade in `Service.open` finds nothing to do).
Set DECONFLICT_TEST_POSTGRES_URL to point elsewhere; set DECONFLICT_REQUIRE_POSTGRES=1 (CI does)
to fail instead of skipping when it is not reachable.

Under CI (the CI variable set) Hypothesis runs derandomized and without per-example deadlines,
so a submission's result does not depend on the seed or on a busy machine; local runs keep
exploring new examples.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings

from deconflict.clock import FakeClock
from deconflict.service import Service
from deconflict.storage.database import create_engine, migrate

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_ADMIN_URL = os.environ.get(
    "DECONFLICT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_POSTGRES = os.environ.get("DECONFLICT_REQUIRE_POSTGRES") == "1"
START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123456789abcdef"


class _Postgres:
    """Creates one migrated template database per test session and clones it per test."""

    def __init__(self, admin_url: str) -> None:
        self.engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.template = f"deconflict_tmpl_{uuid.uuid4().hex[:8]}"
        self.created: list[str] = []
        with self.engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.template}"'))
        Service.open(self.url(self.template), clock=FakeClock(START)).close()

    def url(self, name: str) -> str:
        return self.engine.url.set(database=name).render_as_string(hide_password=False)

    def fresh(self) -> str:
        name = f"deconflict_t_{uuid.uuid4().hex[:12]}"
        with self.engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        self.created.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        with self.engine.connect() as conn:
            for name in [*self.created, self.template]:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[_Postgres | None]:
    try:
        pg = _Postgres(POSTGRES_ADMIN_URL)
    except sa.exc.OperationalError as exc:
        if REQUIRE_POSTGRES:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    yield pg
    pg.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to the newest revision and holding nothing else (each test's
    service still makes its own log key). Closing the last connection folds the write-ahead log
    into the file, so the one file is the whole database."""
    path = tmp_path_factory.mktemp("sqlite-template") / "deconflict.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        migrate(engine)
    finally:
        engine.dispose()
    assert not path.with_name(f"{path.name}-wal").exists(), "template still has a write-ahead log"
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "deconflict.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    pg: _Postgres = request.getfixturevalue("postgres")
    return pg.fresh()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def service(database_url: str, clock: FakeClock) -> Iterator[Service]:
    svc = Service.open(database_url, clock=clock, admin_token=ADMIN_TOKEN)
    yield svc
    svc.close()


@pytest.fixture
def out_of_reach(
    request: pytest.FixtureRequest, database_url: str
) -> Callable[[Service], AbstractContextManager[None]]:
    """A context manager in which the service's database refuses every connection, and is given
    back on exit: on PostgreSQL its connections terminated and new ones refused; on SQLite its
    pool closed and a directory where its file was (chmod would not stop root)."""

    @contextmanager
    def cut_off(service: Service) -> Iterator[None]:
        if database_url.startswith("postgresql"):
            admin: sa.Engine = request.getfixturevalue("postgres").engine
            name = sa.make_url(database_url).database
            with admin.connect() as conn:
                conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                conn.execute(
                    sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = :name"),
                    {"name": name},
                )  # fmt: skip
            try:
                yield
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            return
        path = Path(sa.make_url(database_url).database or "")
        service.context.engine.dispose()
        away = path.with_name(f"{path.name}.away")
        path.rename(away)
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            away.rename(path)

    return cut_off
