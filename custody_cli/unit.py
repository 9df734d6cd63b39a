"""`custody unit …`: the police units."""

from __future__ import annotations

from pathlib import Path

import click

from custody_cli.context import acting_user, reports_errors, services


@click.group()
def unit() -> None:
    """Police units (province, cities/prefectures, counties, special bureaus)."""


@unit.command("import")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with code,parent,name_zh,name_en,level,note (default: the province's units).",
)
@reports_errors
def import_command(path: Path | None) -> None:
    """Import the units; units already known are left as they are. Once users exist, only a province
    administrator imports (before the first user, units are the first step of setting up)."""
    from custody.units import read_units
    from custody_cli.progress import progress_bar

    rows = read_units(path)
    with services() as custody:
        admin = acting_user(custody) if custody.users.count() > 0 else None
        with progress_bar("importing units", len(rows), "units") as progress:
            added = custody.units.import_units(admin, rows, progress)
    click.echo(f"{added} units added, {len(rows) - added} already known")
