"""`custody db …`: the database schema."""

from __future__ import annotations

import click

from custody_cli.context import reports_errors, services


@click.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@reports_errors
def upgrade_command() -> None:
    """Create or upgrade the schema to the newest migration."""
    from custody.db.migrate import upgrade

    with services() as custody:
        upgrade(custody.engine)
        click.echo(f"schema up to date ({custody.store.url})")
