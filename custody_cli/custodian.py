"""`custody custodian change`: a unit's store passes to another custodian."""

from __future__ import annotations

import click

from custody_cli.context import acting_user, emit, reports_errors, second_person, services


@click.group()
def custodian() -> None:
    """Custodians of the sealed store (治安保管人)."""


@custodian.command("change")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit whose store passes on.")
@click.option(
    "--to", "to_user", required=True, metavar="USER", help="The new custodian (confirms with their password)."
)
@reports_errors
def change_command(unit_code: str, to_user: str) -> None:
    """Hand every item of the store you hold (sealed or not) to USER, who confirms with their own
    password; the store is marked for a full audit."""
    with services() as custody:
        actor = acting_user(custody)
        new_custodian = second_person(custody, actor, to_user, "new custodian")
        change = custody.seals.custodian_change(actor, unit_code, new_custodian)
    emit(
        {
            "unit_code": change.unit_code,
            "to": change.to,
            "items": [item.evidence_no for item in change.items],
            "store_mark": change.mark_id,
            "marked_seq": change.marked_seq,
        }
    )
