"""case statistics: a case's category, filed date (立案日期) and solved date (破案日期)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04

* ``cases.category``, ``cases.filed_date``, ``cases.solved_date``: what the monthly statistics count.
  A case opened before keeps NULL category and filed date (its ``case_opened`` event carries neither):
  the statistics count it as filed on the day it was opened (China Standard Time) and under no category
  (未分类). ``solved_date`` is set by the ``case_solved`` act and changed by ``case_corrected`` only;
* ``ix_custody_events_type``: the ledger's events by type and time, so that the acts of a period are read
  without scanning the ledger; ``ix_custody_events_item_type``: an item's events with their types, so that
  its owning unit and rounds at a point are found without reading the events that do not change them.

The ledger's columns do not change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("category", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("filed_date", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("solved_date", sa.String(length=10), nullable=True))
    op.create_index("ix_custody_events_type", "custody_events", ["event_type", "recorded_at_us"])
    op.create_index("ix_custody_events_item_type", "custody_events", ["item_id", "seq", "event_type"])


def downgrade() -> None:
    op.drop_index("ix_custody_events_item_type", table_name="custody_events")
    op.drop_index("ix_custody_events_type", table_name="custody_events")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("solved_date")
        batch.drop_column("filed_date")
        batch.drop_column("category")
