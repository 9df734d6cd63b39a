"""Bring a database to the newest schema with Alembic (``custody db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from custody.db.engine import is_sqlite

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations in one transaction. On SQLite, foreign keys are off meanwhile (a migration
    that rebuilds a table needs it; PRAGMA foreign_keys cannot change inside a transaction) and every
    reference is checked before the commit."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    sqlite = is_sqlite(engine)
    with engine.connect() as conn:
        driver = conn.connection.driver_connection
        if sqlite:
            driver.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all() if sqlite else []
                if broken:
                    raise RuntimeError(f"the migrations left broken references: {broken[:5]}")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def schema_is_current(engine: Engine) -> bool:
    """Whether the database's schema is at the newest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_current_head()
    with engine.connect() as conn:
        return bool(MigrationContext.configure(conn).get_current_revision() == head)
