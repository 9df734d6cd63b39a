"""`custody sample record`: a test-fire of a firearm at the lab and the ballistic samples kept of it
(弹头、弹壳样本), recorded in one act; prints one JSON object (the firearm, its samples, the lot used)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, services

if TYPE_CHECKING:
    from custody.records import Item


@click.group()
def sample() -> None:
    """Ballistic samples: bullets (B) and cartridge cases (C) kept from a test-fire."""


def item_summary(item: Item) -> dict[str, Any]:
    summary = {
        "evidence_no": item.evidence_no,
        "kind": item.kind.value,
        "state": item.state.value,
        "version": item.version,
        "unit_code": item.unit_code,
    }
    if item.quantity_rounds is not None:
        summary["quantity_rounds"] = item.quantity_rounds
    return summary


@sample.command("record")
@click.argument("firearm_no")
@click.option("--lab", required=True, help="The laboratory that test-fired the firearm.")
@click.option("--examiner", required=True, help="Who test-fired it.")
@click.option("--date", "fired_on", metavar="YYYY-MM-DD", help="Day of the test-fire (default: today).")
@click.option(
    "--ammo", "lot_no", metavar="LOT_NO", help="The ammunition lot of the custody fired (with --rounds)."
)
@click.option("--rounds", type=int, help="Rounds of --ammo fired: taken off the lot.")
@click.option("--lab-stock", metavar="TEXT", help="The lab's own ammunition fired (instead of --ammo).")
@click.option(
    "--bullets", type=click.IntRange(min=0), default=0, show_default=True, help="Bullet samples kept."
)
@click.option(
    "--cases", type=click.IntRange(min=0), default=0, show_default=True, help="Cartridge-case samples kept."
)
@reports_errors
def record_command(
    firearm_no: str,
    lab: str,
    examiner: str,
    fired_on: str | None,
    lot_no: str | None,
    rounds: int | None,
    lab_stock: str | None,
    bullets: int,
    cases: int,
) -> None:
    """Record a test-fire of a firearm checked out to the lab: each sample kept becomes an item of the
    firearm's case with its own evidence number (print its label with `custody label item`)."""
    from custody.samples import TestFire

    if (lot_no is None) == (lab_stock is None):
        fail("name the ammunition fired: --ammo LOT_NO --rounds N, or --lab-stock TEXT", 2)
    if lot_no is not None and rounds is None:
        fail("--ammo needs --rounds: the rounds fired are taken off the lot", 2)
    fired = TestFire(lab, examiner, bullets, cases, fired_on, lot_no, rounds, lab_stock)
    with services() as custody:
        done = custody.samples.test_fire(acting_user(custody), firearm_no, fired)
    emit(
        {
            "firearm": item_summary(done.firearm),
            "samples": [item_summary(made) for made in done.samples],
            "lot": None if done.lot is None else item_summary(done.lot),
        }
    )
