"""`custody item …`: register items and record their movements."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from custody.errors import Message
from custody.model import CheckoutPurpose, EventType
from custody_cli.context import CASE_UNIT, acting_user, emit, reports_errors, services

NOT_AN_ASSIGNMENT = Message("cli.set_not_an_assignment", "--set takes FIELD=VALUE, got {assignment!r}")

SUMMARY = ("evidence_no", "kind", "state", "version", "unit_code", "case_no")
OVERDUE = ("evidence_no", "unit_code", "checkout_purpose", "checked_out_to", "due_date", "version")


@click.group()
def item() -> None:
    """Items: firearms, ammunition lots, ballistic samples."""


@item.group("register")
def register() -> None:
    """Register (登记) a seized item at intake; prints its evidence number."""


def _source_options(command: Any) -> Any:
    for name in ("notes", "seller", "route", "workshop", "maker"):
        command = click.option(f"--source-{name}", default=None, help=f"Source and flow: {name}.")(command)
    return command


@register.command("firearm")
@click.option("--case", "case_no", required=True)
@CASE_UNIT
@click.option("--type", "firearm_type", required=True, help="e.g. 手枪 pistol, 步枪 rifle, 自制枪 home-made.")
@click.option("--make-model", required=True)
@click.option("--serial", "serial_number", required=True)
@click.option("--calibre", required=True)
@click.option(
    "--fires-standard/--no-fires-standard",
    "fires_standard",
    required=True,
    help="Can it fire standard-issue ammunition (可发射制式子弹)?",
)
@click.option("--description", default="")
@_source_options
@reports_errors
def register_firearm(
    case_no: str,
    case_unit: str | None,
    firearm_type: str,
    make_model: str,
    serial_number: str,
    calibre: str,
    fires_standard: bool,
    description: str,
    **source: str | None,
) -> None:
    """Register a firearm."""
    from custody.intake import FirearmIntake, SourceAndFlow

    intake = FirearmIntake(
        firearm_type,
        make_model,
        serial_number,
        calibre,
        fires_standard,
        SourceAndFlow(**{k.removeprefix("source_"): v for k, v in source.items()}),
        description,
    )
    with services() as custody:
        registered = custody.items.register_firearm(
            acting_user(custody), case_no, intake, case_unit=case_unit
        )
    emit({k: getattr(registered, k) for k in SUMMARY})


@register.command("ammo")
@click.option("--case", "case_no", required=True)
@CASE_UNIT
@click.option("--calibre", required=True)
@click.option("--rounds", "quantity", type=int, required=True, help="Quantity in rounds.")
@click.option("--headstamp", "headstamp_lot", default="", help="Headstamp or lot.")
@click.option("--description", default="")
@_source_options
@reports_errors
def register_ammo(
    case_no: str,
    case_unit: str | None,
    calibre: str,
    quantity: int,
    headstamp_lot: str,
    description: str,
    **source: str | None,
) -> None:
    """Register an ammunition lot."""
    from custody.intake import AmmunitionIntake, SourceAndFlow

    intake = AmmunitionIntake(
        calibre,
        quantity,
        headstamp_lot,
        SourceAndFlow(**{k.removeprefix("source_"): v for k, v in source.items()}),
        description,
    )
    with services() as custody:
        registered = custody.items.register_ammunition(
            acting_user(custody), case_no, intake, case_unit=case_unit
        )
    emit({k: getattr(registered, k) for k in SUMMARY})


@item.command("show")
@click.argument("evidence_no")
@reports_errors
def show(evidence_no: str) -> None:
    """An item's state and full history: one JSON line for the item, then one per event (an item
    outside the acting user's scope is unknown)."""
    with services() as custody:
        found = custody.items.item(acting_user(custody), evidence_no)
    fields = asdict(found)
    history = fields.pop("history")
    emit({k: v for k, v in fields.items() if v is not None})
    for event in history:
        emit(event)


def _act(
    evidence_no: str,
    version: int | None,
    event: EventType,
    payload: dict[str, Any],
    witness: str | None = None,
) -> None:
    """Record an act. A witness confirms with their own password, after the acting user's (counted and
    throttled as a login); a wrong one refuses the act before anything is written."""
    from custody_cli.context import second_person

    with services() as custody:
        actor = acting_user(custody)
        confirmed = second_person(custody, actor, witness, "witness") if witness else None
        current = version if version is not None else custody.items.item(actor, evidence_no).version
        after = custody.items.act(
            actor, evidence_no, event, current, payload, witness=confirmed.username if confirmed else None
        )
    emit({k: getattr(after, k) for k in SUMMARY if k != "case_no"})  # an act reads no case number


_version = click.option(
    "--version",
    "version",
    type=int,
    default=None,
    help="The item version you read; refused if the item changed since (default: current).",
)


@item.command("transfer")
@click.argument("evidence_no")
@click.option("--to", "to_unit", required=True, help="Receiving unit code.")
@click.option("--reason", default="")
@_version
@reports_errors
def transfer(evidence_no: str, to_unit: str, reason: str, version: int | None) -> None:
    """Transfer an item to another unit."""
    _act(evidence_no, version, EventType.TRANSFERRED, {"to_unit": to_unit, "reason": reason})


@item.command("checkout")
@click.argument("evidence_no")
@click.option("--purpose", type=click.Choice([p.value for p in CheckoutPurpose]), required=True)
@click.option("--to", "to", required=True, help="Who takes it (name, lab, court).")
@click.option("--due", "due_date", required=True, help="Due back, YYYY-MM-DD (China Standard Time).")
@_version
@reports_errors
def checkout(evidence_no: str, purpose: str, to: str, due_date: str, version: int | None) -> None:
    """Check an item out to the lab or to court."""
    _act(evidence_no, version, EventType.CHECKED_OUT, {"purpose": purpose, "to": to, "due_date": due_date})


@item.command("return")
@click.argument("evidence_no")
@click.option("--note", default="")
@_version
@reports_errors
def return_(evidence_no: str, note: str, version: int | None) -> None:
    """Record a checked-out item's return."""
    _act(evidence_no, version, EventType.RETURNED, {"note": note})


@item.command("correct")
@click.argument("evidence_no")
@click.option(
    "--set",
    "assignments",
    multiple=True,
    required=True,
    metavar="FIELD=VALUE",
    help="A corrected field, e.g. --set serial_number=A123 (true/false for flags).",
)
@click.option("--reason", required=True)
@click.option("--corrects-seq", type=int, default=None, help="The ledger seq of the record being corrected.")
@click.option(
    "--witness",
    default=None,
    metavar="USER",
    help="A witness, who confirms with their own password (needed from the handover offer on).",
)
@_version
@reports_errors
def correct(
    evidence_no: str,
    assignments: tuple[str, ...],
    reason: str,
    corrects_seq: int | None,
    witness: str | None,
    version: int | None,
) -> None:
    """Record a correction; the corrected record stays in the ledger. Before the handover offer the
    case's clerk corrects; from it on the custodian, with a witness."""
    from custody.errors import InvalidInput

    changes: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, value = assignment.partition("=")
        if not sep:
            raise InvalidInput(NOT_AN_ASSIGNMENT, "changes", assignment=assignment)
        changes[name] = (
            {"true": True, "false": False}.get(value.lower(), value)
            if name == "fires_standard_ammunition"
            else value
        )
    _act(
        evidence_no,
        version,
        EventType.CORRECTED,
        {"changes": changes, "reason": reason, "corrects_seq": corrects_seq},
        witness,
    )


@item.command("count")
@click.argument("evidence_no")
@click.option("--rounds", "quantity", type=int, required=True, help="Rounds counted.")
@click.option("--reason", required=True)
@_version
@reports_errors
def count(evidence_no: str, quantity: int, reason: str, version: int | None) -> None:
    """Record a recount of an ammunition lot."""
    _act(evidence_no, version, EventType.COUNTED, {"quantity": quantity, "reason": reason})


@item.command("overdue")
@reports_errors
def overdue() -> None:
    """Checked-out items past their due date within the acting user's scope, one JSON line each."""
    with services() as custody:
        for overdue_item in custody.items.overdue(acting_user(custody)):
            emit({k: getattr(overdue_item, k) for k in OVERDUE})
