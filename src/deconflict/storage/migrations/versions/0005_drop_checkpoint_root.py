"""drop checkpoints.root

The root hash is in the signed note beside it, and nothing read the copy: a second, unsigned
spelling of the root that `log verify` would have had to check against the note. Downgrading
puts it back, read from each note (its third line, base64).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:12:40.118302
"""

import base64
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # In place (SQLite has had DROP COLUMN since 3.35): batch mode's default, rebuilding the
    # table, would drop a table the cosignatures' foreign key refers to, which SQLite refuses
    # while any cosignature is stored.
    with op.batch_alter_table("checkpoints", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("root")


def downgrade() -> None:
    # SQLite cannot make a column NOT NULL in place, so there it comes back NOT NULL with a
    # placeholder default; elsewhere nullable, then NOT NULL once filled from the notes.
    sqlite = op.get_bind().dialect.name == "sqlite"
    placeholder = sa.text(f"X'{'00' * 32}'") if sqlite else None
    root = sa.Column(
        "root", sa.LargeBinary(length=32), nullable=not sqlite, server_default=placeholder
    )
    with op.batch_alter_table("checkpoints", schema=None, recreate="never") as batch_op:
        batch_op.add_column(root)
    rows = sa.table("checkpoints", sa.column("size"), sa.column("note"), sa.column("root"))
    bind = op.get_bind()
    for size, note in bind.execute(sa.select(rows.c.size, rows.c.note)).all():
        root_hash = base64.b64decode(note.split("\n")[2])
        bind.execute(rows.update().where(rows.c.size == size).values(root=root_hash))
    if not sqlite:
        op.alter_column(
            "checkpoints", "root", existing_type=sa.LargeBinary(length=32), nullable=False
        )
