"""tag-write jobs: a desk asks a station's reader to write a tag; the station takes the job and reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

* ``tag_jobs``: one row per job (an item's tag written and bound, a blank seal tag read, a seal's number
  written on its tag): the station, who asked, the item or seal, the status (pending, taken, done,
  failed, cancelled) with its times, the tag read back (UID, type, tamper loop) or why the job failed.
  Operational state, changed in place; a binding is recorded in the ledger by the item's own act.

The ledger's columns do not change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tag_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=6), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("seal_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=40), nullable=False),
        sa.Column("expected_uid", sa.String(length=20), nullable=True),
        sa.Column("wait_s", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at_us", BigInt, nullable=False),
        sa.Column("taken_at_us", BigInt, nullable=True),
        sa.Column("finished_at_us", BigInt, nullable=True),
        sa.Column("cancelled_by_id", sa.Integer(), nullable=True),
        sa.Column("device", sa.String(length=128), nullable=False),
        sa.Column("uid", sa.String(length=20), nullable=True),
        sa.Column("tag_type", sa.String(length=32), nullable=True),
        sa.Column("tamper", sa.String(length=16), nullable=True),
        sa.Column("error_kind", sa.String(length=32), nullable=True),
        sa.Column("error_key", sa.String(length=64), nullable=True),
        sa.Column("error_params", sa.Text(), nullable=True),
        sa.Column("error_detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["station_id"], ["stations.id"]),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"]),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"]),
        sa.ForeignKeyConstraint(["seal_id"], ["seals.id"]),
        sa.ForeignKeyConstraint(["cancelled_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tag_jobs_station_status", "tag_jobs", ["station_id", "status"])
    op.create_index("ix_tag_jobs_item", "tag_jobs", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_tag_jobs_item", table_name="tag_jobs")
    op.drop_index("ix_tag_jobs_station_status", table_name="tag_jobs")
    op.drop_table("tag_jobs")
