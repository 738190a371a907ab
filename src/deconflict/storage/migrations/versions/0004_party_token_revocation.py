"""party token revocation

A revoked party keeps its row (its entries, keys and notices name it) but no token of it
authenticates until the admin issues a new one: `token_revoked_at` says since when. Adding a
nullable column needs no table rebuild on SQLite, so the parties that other tables reference
stay in place.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 11:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import deconflict.storage.tables

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "parties",
        sa.Column(
            "token_revoked_at",
            deconflict.storage.tables.UTCDateTime(timezone=True),
            nullable=True,
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("parties", schema=None) as batch_op:
        batch_op.drop_column("token_revoked_at")
