"""sealed storage: handovers, storage locations, seals, seal numbers, stores marked for a full audit

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

* ``items`` gains ``checked_out_from`` (the state a check-out left, restored by the return),
  ``seal_no`` (the intact seal holding the item) and ``location_code`` (where it lies in the store).
  Items handed over by the one-step act of older versions stay ``handed_over`` with their custodian:
  their receiver confirmed with a password in that act, which is what acceptance means now.
* ``handovers`` and ``handover_items``: a handover offered to a named custodian, then accepted or
  refused.
* ``locations``: store → room → shelf → bin of a unit; ``stations.location_code`` binds a station to one.
* ``seals``, ``seal_items`` and ``seal_sequences`` (seal numbers are gapless per unit and year).
* ``store_marks``: a store that needs a full audit.

The ledger's columns do not change: events about seals and handovers are events of their items.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("parent_code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at_us", BigInt, nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["parent_code"], ["locations.code"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_locations_unit_code", "locations", ["unit_code"])
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("checked_out_from", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("seal_no", sa.String(length=19), nullable=True))
        batch.add_column(sa.Column("location_code", sa.String(length=40), nullable=True))
    op.create_index("ix_items_seal_no", "items", ["seal_no"])
    op.create_index("ix_items_location_code", "items", ["location_code"])
    with op.batch_alter_table("stations") as batch:
        batch.add_column(sa.Column("location_code", sa.String(length=40), nullable=True))
        batch.create_foreign_key("fk_stations_location_code", "locations", ["location_code"], ["code"])
    op.create_table(
        "handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("offered_by_id", sa.Integer(), nullable=False),
        sa.Column("custodian_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("offered_at_us", BigInt, nullable=False),
        sa.Column("decided_at_us", BigInt, nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["offered_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["custodian_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handovers_custodian_status", "handovers", ["custodian_id", "status"])
    op.create_table(
        "handover_items",
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["handover_id"], ["handovers.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("handover_id", "item_id"),
    )
    op.create_index("ix_handover_items_item_id", "handover_items", ["item_id"])
    op.create_table(
        "seals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seal_no", sa.String(length=19), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.Column("custodian_id", sa.Integer(), nullable=False),
        sa.Column("witness_id", sa.Integer(), nullable=False),
        sa.Column("tag_uid", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("sealed_at_us", BigInt, nullable=False),
        sa.Column("voided_at_us", BigInt, nullable=True),
        sa.Column("void_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["location_code"], ["locations.code"]),
        sa.ForeignKeyConstraint(["custodian_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["witness_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("seal_no"),
        sa.UniqueConstraint("tag_uid"),
    )
    op.create_index("ix_seals_unit_code", "seals", ["unit_code"])
    op.create_index("ix_seals_location_code", "seals", ["location_code"])
    op.create_table(
        "seal_items",
        sa.Column("seal_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["seal_id"], ["seals.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("seal_id", "item_id"),
    )
    op.create_index("ix_seal_items_item_id", "seal_items", ["item_id"])
    op.create_table(
        "seal_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_code", "year"),
    )
    op.create_table(
        "store_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("marked_at_us", BigInt, nullable=False),
        sa.Column("marked_seq", BigInt, nullable=True),
        sa.Column("cleared_at_us", BigInt, nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_store_marks_unit_open", "store_marks", ["unit_code", "cleared_at_us"])


def downgrade() -> None:
    op.drop_table("store_marks")
    op.drop_table("seal_sequences")
    op.drop_table("seal_items")
    op.drop_table("seals")
    op.drop_table("handover_items")
    op.drop_table("handovers")
    with op.batch_alter_table("stations") as batch:
        batch.drop_constraint("fk_stations_location_code", type_="foreignkey")
        batch.drop_column("location_code")
    op.drop_index("ix_items_location_code", "items")
    op.drop_index("ix_items_seal_no", "items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("location_code")
        batch.drop_column("seal_no")
        batch.drop_column("checked_out_from")
    op.drop_table("locations")
