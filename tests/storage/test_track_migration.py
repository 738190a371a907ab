"""Migration 0006 adds the aircraft declarations and the track history, and takes them away."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from test_cosignature_migration import _alembic

from deconflict.storage.database import create_engine, migrate
from deconflict.storage.tables import metadata

NEW = {"aircraft_ranges", "aircraft_prefixes", "track_history"}


def test_the_new_tables_match_the_schema_and_downgrade_away(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        migrate(engine)
        with engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) >= NEW
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        _alembic(engine, "downgrade", "0005")
        with engine.connect() as conn:
            assert not NEW & set(sa.inspect(conn).get_table_names())
        migrate(engine)
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()
