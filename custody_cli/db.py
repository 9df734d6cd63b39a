"""`custody db …`: the database schema."""

from __future__ import annotations

from pathlib import Path

import click

from custody_cli.context import emit, reports_errors, services


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


@db.command("import-county")
@click.argument("county", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--unit", "unit_code", required=True, help="The county's unit, e.g. 220102 (its own and those below)."
)
@click.option(
    "--keep",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to keep the county's ledger export in (its original evidence).",
)
@click.option(
    "--expect-head",
    default=None,
    metavar="SEQ:HASH",
    help="A head of the county's recorded earlier (on a report): its ledger must still hold it.",
)
@reports_errors
def import_county_command(county: Path, unit_code: str, keep: Path, expect_head: str | None) -> None:
    """Move a county's SQLite store into this database: its chain verified, exported into KEEP, every
    row copied with new ids, every event re-chained, and an import event naming the county's old head."""
    from custody.db.unit_of_work import Store
    from custody.ledger import Head
    from custody.store_import import import_county

    try:
        expected = Head.parse(expect_head) if expect_head else None
    except ValueError as bad:
        raise click.BadParameter(str(bad), param_hint="--expect-head") from None

    source = Store.open(f"sqlite:///{county.resolve()}")
    try:
        with services() as custody:
            moved = import_county(source, custody.store, unit_code, keep, expected)
    finally:
        source.close()
    emit(
        {
            "ok": True,
            "county_head": str(moved.county_head),
            "county_events": moved.county_events,
            "first_seq": moved.first_seq,
            "last_seq": moved.last_seq,
            "import_seq": moved.import_seq,
            "head": str(moved.head),
            "rows": dict(moved.rows),
            "locked_users": list(moved.locked_users),
            "export": str(moved.export),
            "export_sha256": moved.export_sha256,
        }
    )
