"""scope and integrity: case numbers unique per owning unit; the access log hash-chained; REPLACE refused

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

* ``cases``: ``unique(case_no)`` becomes ``unique(unit_code, case_no)`` (two units may use the same case
  number; a read by number resolves within the reader's scope), with an index on ``case_no``.
* ``access_log``: ``note``, ``prev_hash``, ``hash_version`` and ``hash``; the entries already written are
  chained once, here, in seq order, as they are at the upgrade (see :mod:`custody.access_chain`).
* SQLite: ``REPLACE INTO`` (and ``INSERT OR REPLACE``) deletes the row it conflicts with without firing
  the DELETE trigger, so an INSERT trigger on every append-only table refuses a seq that exists already.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from custody.access_chain import HASHED_COLUMNS, chained
from custody.ledger import GENESIS_HASH, Head

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

APPEND_ONLY = ("custody_events", "access_log")

_SQLITE_CASES = """
CREATE TABLE cases_0004 (
    id INTEGER NOT NULL,
    case_no VARCHAR(64) NOT NULL,
    unit_code VARCHAR(6) NOT NULL,
    title TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    judgment_no TEXT,
    judgment_date VARCHAR(10),
    opened_at_us INTEGER NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(unit_code) REFERENCES units (code),
    CONSTRAINT uq_cases_unit_case_no UNIQUE (unit_code, case_no)
)
"""


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        _sqlite_cases(bind)
    else:
        _postgresql_cases(bind)
    op.create_index("ix_cases_case_no", "cases", ["case_no"], unique=False)
    _chain_access_log(bind, sqlite)
    if sqlite:
        for table in APPEND_ONLY:
            refuse = (
                f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "  # noqa: S608 - constants
                f"WHEN EXISTS (SELECT 1 FROM {table} WHERE seq = NEW.seq) "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
            )
            op.execute(refuse)


def _sqlite_cases(bind: sa.Connection) -> None:
    """SQLite cannot drop a constraint: the table is rebuilt (its documented ALTER TABLE procedure),
    with foreign keys off for the upgrade (:func:`custody.db.migrate.upgrade`) and checked after."""
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0004 rebuilds the cases table: run it with foreign keys off")
    op.execute(_SQLITE_CASES)
    op.execute(
        "INSERT INTO cases_0004 (id, case_no, unit_code, title, status, judgment_no, judgment_date, "
        "opened_at_us, version) SELECT id, case_no, unit_code, title, status, judgment_no, judgment_date, "
        "opened_at_us, version FROM cases"
    )
    op.execute("DROP TABLE cases")
    op.execute("ALTER TABLE cases_0004 RENAME TO cases")
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken after rebuilding cases: {broken[:5]}")


def _postgresql_cases(bind: sa.Connection) -> None:
    for constraint in sa.inspect(bind).get_unique_constraints("cases"):
        if constraint["column_names"] == ["case_no"] and constraint["name"]:
            op.drop_constraint(constraint["name"], "cases", type_="unique")
    op.create_unique_constraint("uq_cases_unit_case_no", "cases", ["unit_code", "case_no"])


def _chain_access_log(bind: sa.Connection, sqlite: bool) -> None:
    op.add_column("access_log", sa.Column("note", sa.Text(), nullable=False, server_default=""))
    op.add_column("access_log", sa.Column("prev_hash", sa.Text(), nullable=False, server_default=""))
    op.add_column("access_log", sa.Column("hash_version", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("access_log", sa.Column("hash", sa.Text(), nullable=False, server_default=""))
    # The entries written so far are chained as they are now: the one time they are updated.
    if sqlite:
        op.execute("DROP TRIGGER access_log_no_update")
    else:
        op.execute("ALTER TABLE access_log DISABLE TRIGGER access_log_no_change")
    columns = [c for c in HASHED_COLUMNS if c not in ("prev_hash", "hash_version")]
    rows = bind.exec_driver_sql(f"SELECT {', '.join(columns)} FROM access_log ORDER BY seq").all()  # noqa: S608
    head = Head(0, GENESIS_HASH)
    update = sa.text("UPDATE access_log SET prev_hash = :p, hash_version = :v, hash = :h WHERE seq = :s")
    for values in rows:
        entry = chained(Head(values[0] - 1, head.hash), dict(zip(columns, values, strict=True)))
        bind.execute(update, {"p": entry["prev_hash"], "v": 1, "h": entry["hash"], "s": entry["seq"]})
        head = Head(entry["seq"], entry["hash"])
    if sqlite:
        op.execute(
            "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
            "BEGIN SELECT RAISE(ABORT, 'access_log is append-only: UPDATE refused'); END"
        )
    else:
        op.execute("ALTER TABLE access_log ENABLE TRIGGER access_log_no_change")


def downgrade() -> None:
    raise RuntimeError("the access log's chain is never removed: there is no downgrade below 0004")
