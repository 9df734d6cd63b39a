"""audit reads in the order read: an index on (audit_id, id)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

* ``ix_audit_reads_order`` on ``audit_reads (audit_id, id)``: an audit's reconciliation takes every
  read of the audit in the order read; this index hands them over in that order, with no sort of a
  whole store's reads (the unique index on ``(audit_id, read_key)`` holds them in the order of their
  keys).
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_reads_order", "audit_reads", ["audit_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_reads_order", table_name="audit_reads")
