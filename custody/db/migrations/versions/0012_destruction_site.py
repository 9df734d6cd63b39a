"""destruction site: the station bound to a batch's site, and every read taken at the site

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04

* ``destruction_batches.site_station_name``: the station whose scans are taken into the open site (a
  fixed reader at the furnace, a handheld); none for a site read by the officer alone;
* ``destruction_site_reads``: every read at a site, whatever became of it (destroyed, a repeat, a lot's
  count; or a finding: an unexpected or unknown code, rounds differing from the record, a lot scanned
  before it was counted, a refusal), with who read it, through which station and device.

The ledger's columns do not change: an item's destruction is its own event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("destruction_batches") as batch:
        batch.add_column(sa.Column("site_station_name", sa.String(length=64), nullable=True))
        batch.create_index("ix_destruction_batches_site_station_name", ["site_station_name"])
    op.create_table(
        "destruction_site_reads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("read_at_us", BigInt, nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("counted", sa.Integer(), nullable=True),
        sa.Column("recorded", sa.Integer(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("station", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["destruction_batches.id"]),
        sa.ForeignKeyConstraint(["officer_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_destruction_site_reads_batch_id", "destruction_site_reads", ["batch_id"])


def downgrade() -> None:
    op.drop_index("ix_destruction_site_reads_batch_id", table_name="destruction_site_reads")
    op.drop_table("destruction_site_reads")
    with op.batch_alter_table("destruction_batches") as batch:
        batch.drop_index("ix_destruction_batches_site_station_name")
        batch.drop_column("site_station_name")
