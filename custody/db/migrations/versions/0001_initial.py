"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("name_zh", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("judgment_no", sa.Text(), nullable=True),
        sa.Column("judgment_date", sa.String(length=10), nullable=True),
        sa.Column("opened_at_us", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_no"),
    )
    op.create_table(
        "number_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_code", "year"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at_us", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_no", sa.String(length=19), nullable=False),
        sa.Column("kind", sa.String(length=1), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "registered_at_us", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("firearm_type", sa.Text(), nullable=True),
        sa.Column("make_model", sa.Text(), nullable=True),
        sa.Column("serial_number", sa.Text(), nullable=True),
        sa.Column("calibre", sa.Text(), nullable=True),
        sa.Column("fires_standard_ammunition", sa.Boolean(), nullable=True),
        sa.Column("source_maker", sa.Text(), nullable=True),
        sa.Column("source_workshop", sa.Text(), nullable=True),
        sa.Column("source_route", sa.Text(), nullable=True),
        sa.Column("source_seller", sa.Text(), nullable=True),
        sa.Column("source_notes", sa.Text(), nullable=True),
        sa.Column("quantity_rounds", sa.Integer(), nullable=True),
        sa.Column("headstamp_lot", sa.Text(), nullable=True),
        sa.Column("sample_of_item_id", sa.Integer(), nullable=True),
        sa.Column("checkout_purpose", sa.String(length=16), nullable=True),
        sa.Column("checked_out_to", sa.Text(), nullable=True),
        sa.Column("due_date", sa.String(length=10), nullable=True),
        sa.Column("custodian_user_id", sa.Integer(), nullable=True),
        sa.Column("tag_uid", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["custodian_user_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sample_of_item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("evidence_no"),
        sa.UniqueConstraint("tag_uid"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_case", ["case_id"], unique=False)
        batch_op.create_index("ix_items_serial", ["serial_number"], unique=False)
        batch_op.create_index("ix_items_unit_state", ["unit_code", "state"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column(
            "seq",
            sa.Integer().with_variant(sa.BigInteger(), "postgresql"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("prev_hash", sa.Text(), nullable=False),
        sa.Column("recorded_at_us", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("item_id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=True),
        sa.Column("case_id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=True),
        sa.Column("actor_id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=True),
        sa.Column("unit_code", sa.Text(), nullable=False),
        sa.Column("station", sa.Text(), nullable=False),
        sa.Column("device", sa.Text(), nullable=False),
        sa.Column("witness_id", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=True),
        sa.Column("item_version", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("hash", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.ForeignKeyConstraint(
            ["witness_id"],
            ["users.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sqlite_strict=True,
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index("ix_custody_events_case", ["case_id", "seq"], unique=False)
        batch_op.create_index("ix_custody_events_item", ["item_id", "seq"], unique=False)
    op.create_table(
        "scan_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("received_at_us", sa.Integer().with_variant(sa.BigInteger(), "postgresql"), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["custody_events.seq"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("station", "idempotency_key"),
    )
    _append_only("custody_events")


def _append_only(table: str) -> None:
    """The ledger refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the database itself."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION custody_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION custody_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION custody_refuse_change()"
    )


def downgrade() -> None:
    raise RuntimeError("the custody ledger is never dropped: there is no downgrade below the initial schema")
