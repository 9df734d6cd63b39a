"""the ledger's signed checkpoints

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

* ``ledger_checkpoints``: signed tree heads of the ledger (C2SP tlog-checkpoint in a signed note), one
  per tree size, append-only like the ledger (the database refuses UPDATE and DELETE, and TRUNCATE on
  PostgreSQL). The ledger's columns do not change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")
TABLE = "ledger_checkpoints"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tree_size", BigInt, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("key_name", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("compact_range", sa.Text(), nullable=False),
        sa.Column("created_at_us", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tree_size"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only: {verb} refused'); END"
            )
        return
    # custody_refuse_change() is the ledger's (0001, 0002)
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION custody_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION custody_refuse_change()"
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its triggers go with it
