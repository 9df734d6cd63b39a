"""`custody location …`: the storage locations of a unit's store (store → room → shelf → bin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, reports_errors, services

if TYPE_CHECKING:
    from custody.storage_records import Location


@click.group()
def location() -> None:
    """Storage locations (存放位置): L + unit code + store[-room[-shelf[-bin]]], e.g. L220102-A-2-03."""


def location_record(found: Location) -> dict[str, Any]:
    return {
        "code": found.code,
        "unit_code": found.unit_code,
        "level": found.level.value,
        "parent_code": found.parent_code,
        "name": found.name,
    }


@location.command("add")
@click.argument("code")
@click.option("--name", required=True, help="What the place is called, e.g. 一号库 or 2号架.")
@reports_errors
def add_command(code: str, name: str) -> None:
    """Add a location to the store of the code's unit (its parent must exist)."""
    with services() as custody:
        added = custody.locations.add(acting_user(custody), code, name)
    emit(location_record(added))


@location.command("list")
@click.option("--unit", "unit_code", default=None, help="Only this unit's locations.")
@reports_errors
def list_command(unit_code: str | None) -> None:
    """The locations the acting user may see, one JSON line each, by code."""
    with services() as custody:
        found = custody.locations.list(acting_user(custody), unit_code)
    for each in found:
        emit(location_record(each))
