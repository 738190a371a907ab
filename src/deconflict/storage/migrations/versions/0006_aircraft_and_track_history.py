"""aircraft declarations and track history

Each party's declared ICAO address ranges and callsign prefixes (one party per prefix, held by
the primary key), and the live picture's history: each minute's thinned track states, the
batch one `track.history` log entry commits to. Only new tables, so the upgrade needs no data
moved and the downgrade drops them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deconflict.storage.tables

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aircraft_ranges",
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.Column("first_icao24", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_icao24", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name="fk_aircraft_ranges_party_id_parties"
        ),
        sa.PrimaryKeyConstraint("party_id", "first_icao24", name="pk_aircraft_ranges"),
    )
    op.create_table(
        "aircraft_prefixes",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name="fk_aircraft_prefixes_party_id_parties"
        ),
        sa.PrimaryKeyConstraint("prefix", name="pk_aircraft_prefixes"),
    )
    with op.batch_alter_table("aircraft_prefixes", schema=None) as batch_op:
        batch_op.create_index("ix_aircraft_prefixes_party_id", ["party_id"], unique=False)
    op.create_table(
        "track_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("minute", deconflict.storage.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("party", sa.String(length=64), nullable=True),
        sa.Column("track_id", sa.String(length=64), nullable=False),
        sa.Column("t_s", sa.Double(), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("alt_m", sa.Double(), nullable=False),
        sa.Column("gs_mps", sa.Double(), nullable=False),
        sa.Column("trk_deg", sa.Double(), nullable=False),
        sa.Column("vs_mps", sa.Double(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("callsign", sa.String(length=8), nullable=True),
        sa.Column("icao24", sa.String(length=6), nullable=True),
        sa.Column("squawk", sa.String(length=4), nullable=True),
        sa.Column("notice_id", sa.String(length=64), nullable=True),
        sa.Column("on_ground", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_track_history"),
    )
    with op.batch_alter_table("track_history", schema=None) as batch_op:
        batch_op.create_index("ix_track_history_minute", ["minute"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("track_history", schema=None) as batch_op:
        batch_op.drop_index("ix_track_history_minute")
    op.drop_table("track_history")
    with op.batch_alter_table("aircraft_prefixes", schema=None) as batch_op:
        batch_op.drop_index("ix_aircraft_prefixes_party_id")
    op.drop_table("aircraft_prefixes")
    op.drop_table("aircraft_ranges")
