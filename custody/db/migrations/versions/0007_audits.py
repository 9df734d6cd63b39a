"""audits of the sealed store: sessions, their locations, candidates and reads, discrepancies

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

* ``audits``: an audit session of a unit's store (mode, seed, blind, round, bound station, the ledger
  point it closed at); ``audit_locations``: the locations it covers.
* ``audit_candidates``: the items in scope when it opened, ranked per category in the draw order
  (SHA-256 of the seed and the evidence number), with the round that drew each.
* ``audit_reads``: what was read, once per distinct code or tag, with the number of reads.
* ``discrepancies``: what an audit found wrong, open until resolved and confirmed.

The ledger's columns do not change: audit events are events of their items.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("station_name", sa.String(length=64), nullable=True),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at_us", BigInt, nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("submitted_round", sa.Integer(), nullable=False),
        sa.Column("closed_at_us", BigInt, nullable=True),
        sa.Column("closed_seq", BigInt, nullable=True),
        sa.Column("closed_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audits_unit_status", "audits", ["unit_code", "status"])
    op.create_index("ix_audits_station_name", "audits", ["station_name"])
    op.create_table(
        "audit_locations",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"]),
        sa.ForeignKeyConstraint(["location_code"], ["locations.code"]),
        sa.PrimaryKeyConstraint("audit_id", "location_code"),
    )
    op.create_table(
        "audit_candidates",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("drawn_round", sa.Integer(), nullable=True),
        sa.Column("seal_no", sa.String(length=19), nullable=True),
        sa.Column("location_code", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("audit_id", "item_id"),
    )
    op.create_index("ix_audit_candidates_draw", "audit_candidates", ["audit_id", "category", "rank"])
    op.create_index("ix_audit_candidates_item_id", "audit_candidates", ["item_id"])
    op.create_table(
        "audit_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("read_key", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("uid", sa.String(length=20), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("seal_no", sa.String(length=19), nullable=True),
        sa.Column("location_code", sa.String(length=40), nullable=True),
        sa.Column("tamper", sa.String(length=16), nullable=True),
        sa.Column("opened_before", sa.Boolean(), nullable=True),
        sa.Column("read_count", sa.Integer(), nullable=False),
        sa.Column("first_at_us", BigInt, nullable=False),
        sa.Column("last_at_us", BigInt, nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("audit_id", "read_key"),
    )
    op.create_table(
        "discrepancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("finding", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=True),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.String(length=10), nullable=False),
        sa.Column("opened_at_us", BigInt, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at_us", BigInt, nullable=True),
        sa.Column("resolved_seq", BigInt, nullable=True),
        sa.ForeignKeyConstraint(["audit_id"], ["audits.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_discrepancies_audit_id", "discrepancies", ["audit_id"])
    op.create_index("ix_discrepancies_unit_status", "discrepancies", ["unit_code", "status"])
    op.create_index("ix_discrepancies_item_status", "discrepancies", ["item_id", "status"])


def downgrade() -> None:
    op.drop_table("discrepancies")
    op.drop_table("audit_reads")
    op.drop_table("audit_candidates")
    op.drop_table("audit_locations")
    op.drop_table("audits")
