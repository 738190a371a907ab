"""Migration 0003 keeps the cosignatures already stored as each party's first, and the schema it
leaves is the one `tables.py` declares (autogenerate finds nothing to add)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from deconflict.storage.database import MIGRATIONS, create_engine, migrate
from deconflict.storage.tables import metadata

WHEN = datetime(2026, 6, 1, 8, 0, 5, tzinfo=UTC)


def _alembic(engine: sa.Engine, action: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def test_existing_cosignatures_become_the_first_ones(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        migrate(engine)
        _alembic(engine, "downgrade", "0002")
        stamp = "2026-06-01 08:00:05.000000"
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO parties (id, name, token_sha256, created_at) "
                    "VALUES ('a', 'A', 'x', :t)"
                ),
                {"t": WHEN},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO checkpoints (size, root, note, created_at) "
                    "VALUES (3, :root, 'note', :t)"
                ),
                {"root": bytes(32), "t": WHEN},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO cosignatures (size, party_id, line, timestamp, received_at) "
                    "VALUES (3, 'a', '— a line', :t, :t)"
                ),
                {"t": WHEN if engine.dialect.name == "postgresql" else stamp},
            )
        migrate(engine)
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(metadata.tables["cosignatures"]).where(sa.column("size") == 3)
            ).one()
            assert (row.line, row.first_line) == ("— a line", "— a line")
            assert row.first_timestamp == row.timestamp == WHEN
            assert row.first_received_at == row.received_at == WHEN
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert diff == []
    finally:
        engine.dispose()
