"""destruction: review dates of sealed items, destruction applications and their items

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

* ``items.review_due``: when a sealed item is next reviewed for disposal (set by ``sealed`` and
  ``review_held`` events, whose payload carries it). Items sealed before this revision have none: their
  ``sealed`` events carry none, and replay agrees.
* ``destruction_applications``: an application (报请销毁) of a unit's sealed store to the province;
  ``destruction_application_items``: the items it names.

The ledger's columns do not change: the acts of an application are events of its items.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("review_due", sa.String(length=10), nullable=True))
    op.create_table(
        "destruction_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("created_at_us", BigInt, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_at_us", BigInt, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["applicant_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_destruction_applications_unit_status", "destruction_applications", ["unit_code", "status"]
    )
    op.create_table(
        "destruction_application_items",
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["destruction_applications.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("application_id", "item_id"),
    )
    op.create_index("ix_destruction_application_items_item_id", "destruction_application_items", ["item_id"])


def downgrade() -> None:
    op.drop_table("destruction_application_items")
    op.drop_table("destruction_applications")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("review_due")
