"""destruction batches: the province's batches, the applications they take and their items

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

* ``destruction_batches``: a provincial destruction batch (销毁批次), its planned method, place and date,
  its builder and its approver;
* ``destruction_batch_applications``: the applications it took (an application in one batch only);
* ``destruction_batch_items``: their items (an item in one batch only, ever: ``item_id`` is the key);
* ``destruction_batch_witnesses``: the witnesses of a batch's site, each confirmed with their credentials;
* ``destruction_photos``: photos of the site, content-addressed by SHA-256 (kept in the database, so a
  backup holds them).

The ledger's columns do not change: the acts of a batch are events of its items.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "destruction_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at_us", BigInt, nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("planned_date", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at_us", BigInt, nullable=True),
        sa.Column("site_method", sa.String(length=16), nullable=True),
        sa.Column("site_place", sa.Text(), nullable=True),
        sa.Column("site_officer_id", sa.Integer(), nullable=True),
        sa.Column("site_opened_at_us", BigInt, nullable=True),
        sa.Column("closed_at_us", BigInt, nullable=True),
        sa.Column("closed_seq", BigInt, nullable=True),
        sa.Column("closed_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["approved_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["site_officer_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_destruction_batches_status", "destruction_batches", ["status"])
    op.create_table(
        "destruction_batch_applications",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["destruction_batches.id"]),
        sa.ForeignKeyConstraint(["application_id"], ["destruction_applications.id"]),
        sa.PrimaryKeyConstraint("application_id"),
    )
    op.create_index(
        "ix_destruction_batch_applications_batch_id", "destruction_batch_applications", ["batch_id"]
    )
    op.create_table(
        "destruction_batch_items",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["destruction_batches.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_index("ix_destruction_batch_items_batch_id", "destruction_batch_items", ["batch_id"])
    op.create_table(
        "destruction_batch_witnesses",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at_us", BigInt, nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["destruction_batches.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("batch_id", "user_id"),
    )
    op.create_table(
        "destruction_photos",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at_us", BigInt, nullable=False),
        sa.Column("stored_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["stored_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("sha256"),
    )


def downgrade() -> None:
    op.drop_table("destruction_photos")
    op.drop_table("destruction_batch_witnesses")
    op.drop_table("destruction_batch_items")
    op.drop_table("destruction_batch_applications")
    op.drop_table("destruction_batches")
