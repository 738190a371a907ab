"""alerts

The live picture's alerts, each as last reported, and the parties that hear each one. Only new
tables, so the upgrade needs no data moved and the downgrade drops them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deconflict.storage.tables

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column(
            "raised_at", deconflict.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "reported_at", deconflict.storage.tables.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "cleared_at", deconflict.storage.tables.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_state", ["state"], unique=False)
    op.create_table(
        "alert_parties",
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("party_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_parties_alert_id_alerts"
        ),
        sa.PrimaryKeyConstraint("alert_id", "party_id", name="pk_alert_parties"),
    )
    with op.batch_alter_table("alert_parties", schema=None) as batch_op:
        batch_op.create_index("ix_alert_parties_party_id", ["party_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_parties_party_id")
    op.drop_table("alert_parties")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_state")
    op.drop_table("alerts")
