"""Opening the database: SQLite (embedded default, WAL) or PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

__all__ = [
    "create_engine",
    "database_file",
    "default_database_url",
    "is_retryable",
    "is_unavailable",
    "migrate",
]

RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
"""serialization_failure and deadlock_detected: the transaction lost a race and did nothing."""

MIGRATIONS = Path(__file__).parent / "migrations"


def database_file(data_dir: Path) -> Path:
    """Where the embedded default keeps its SQLite file in `data_dir`."""
    return data_dir / "deconflict.db"


def default_database_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file in `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{database_file(data_dir).resolve()}"


def create_engine(url: str) -> Engine:
    """An engine for `url`. On SQLite, connections with the execution option `writer=True`
    begin with `BEGIN IMMEDIATE`, so a writer holds the write lock from its first read and
    never fails to upgrade; readers begin deferred and read a WAL snapshot."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(
            parsed, connect_args={"check_same_thread": False, "timeout": 30.0}, pool_size=8
        )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            writer = conn.get_execution_options().get("writer", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    return sa.create_engine(parsed, pool_size=10, max_overflow=20, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def is_unavailable(error: sa.exc.DBAPIError) -> bool:
    """Whether the database could not do the work for now (a connection refused or lost, a
    database locked, shut down or out of resources), rather than refusing the work itself."""
    return isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError)


def is_retryable(error: sa.exc.DBAPIError) -> bool:
    """Whether the database rolled the transaction back only because it lost a race, so running
    it again is safe and may succeed."""
    return getattr(error.orig, "sqlstate", None) in RETRYABLE_SQLSTATES
