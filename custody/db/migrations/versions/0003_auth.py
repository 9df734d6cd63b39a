"""authentication: login attempts counted before hashing, demo accounts marked

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigInt = sa.Integer().with_variant(sa.BigInteger(), "postgresql")

# Before this revision the demo loaded into the embedded database and left these accounts with the
# public password below: those still holding it are marked as demo accounts, so that a service without
# the demo refuses to start while they are active (a frozen copy: the demo's list may change later).
EARLIER_DEMO_USERS = (
    "admin",
    "prov-destruction",
    "prov-stats",
    "cc-clerk",
    "cc-investigator",
    "cc-custodian",
    "cc-auditor",
    "ng-clerk",
    "ng-custodian",
    "jl-clerk",
    "jl-investigator",
    "jl-custodian",
)
DEMO_PASSWORD = "custody-demo"  # noqa: S105 - the public demo password, looked for, not given


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client", sa.String(length=200), nullable=False),
        sa.Column("at_us", BigInt, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_login_attempts_client", "login_attempts", ["client", "at_us"], unique=False)
    op.create_index("ix_login_attempts_at", "login_attempts", ["at_us"], unique=False)
    op.create_table(
        "demo_accounts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    _mark_earlier_demo_accounts()


def _mark_earlier_demo_accounts() -> None:
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    conn = op.get_bind()
    query = sa.text(
        "SELECT u.id, c.password_hash FROM users u JOIN user_credentials c ON c.user_id = u.id "
        "WHERE u.username IN :names"
    ).bindparams(sa.bindparam("names", expanding=True))
    hasher = PasswordHasher()
    for user_id, stored in conn.execute(query, {"names": list(EARLIER_DEMO_USERS)}).all():
        try:
            hasher.verify(stored, DEMO_PASSWORD)
        except (VerificationError, InvalidHashError):
            continue
        conn.execute(sa.text("INSERT INTO demo_accounts (user_id) VALUES (:id)"), {"id": user_id})


def downgrade() -> None:
    op.drop_table("demo_accounts")
    op.drop_index("ix_login_attempts_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_client", table_name="login_attempts")
    op.drop_table("login_attempts")
