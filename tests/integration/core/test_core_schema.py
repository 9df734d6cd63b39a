"""The table classes (``custody/db/tables.py``) describe exactly the schema the migrations build, on
both back ends: the ledger's hash covers every column of the event table, so a column added on one
side only would change what is hashed, or fail to store it."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from custody.db.tables import Base


def test_the_migrated_schema_matches_the_table_classes(database_url: str):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []
