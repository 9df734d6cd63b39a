"""`custody lot split`: N rounds of an ammunition lot become a new lot with its own evidence number, in
one act; the two lots add up to the original. Prints one JSON object (both lots)."""

from __future__ import annotations

import click

from custody_cli.context import acting_user, emit, reports_errors, services
from custody_cli.sample import item_summary


@click.group()
def lot() -> None:
    """Ammunition lots: split a lot in two."""


@lot.command("split")
@click.argument("lot_no")
@click.option(
    "--rounds", type=int, required=True, help="Rounds that go to the new lot (fewer than the lot's)."
)
@reports_errors
def split_command(lot_no: str, rounds: int) -> None:
    """Split ROUNDS off the lot you hold (a clerk in case custody, its custodian in the store; a sealed
    lot is unsealed first) into a new lot of the same case, calibre and headstamp."""
    with services() as custody:
        done = custody.samples.split(acting_user(custody), lot_no, rounds)
    emit({"original": item_summary(done.original), "split_off": item_summary(done.split_off)})
