"""`custody discrepancy …`: what audits found wrong, listed until resolved; resolved by their owner with
a reason before an auditor other than the owner, who confirms with their own password (asked for, or the
next line of standard input under the global ``--password-stdin``, after the acting user's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, reports_errors, second_person, services

if TYPE_CHECKING:
    from custody.audit_records import Discrepancy


@click.group()
def discrepancy() -> None:
    """Discrepancies found by audits: an owner, a due date, open until resolved and confirmed."""


def discrepancy_record(found: Discrepancy) -> dict[str, Any]:
    from custody.clock import from_us

    return {
        "id": found.id,
        "audit_id": found.audit_id,
        "unit_code": found.unit_code,
        "finding": found.finding.value,
        "category": None if found.category is None else found.category.value,
        "code": found.code,
        "detail": found.detail,
        "owner": found.owner,
        "due_date": found.due_date,
        "opened_at": from_us(found.opened_at_us).isoformat(),
        "status": found.status.value,
        "resolution": None if found.resolution is None else found.resolution.value,
        "reason": found.reason,
        "resolved_at": None if found.resolved_at_us is None else from_us(found.resolved_at_us).isoformat(),
        "resolved_seq": found.resolved_seq,
    }


@discrepancy.command("list")
@click.option("--unit", "unit_code", metavar="CODE", help="Only this unit's (default: every unit you see).")
@click.option("--all", "everything", is_flag=True, help="Resolved ones too (default: the open ones).")
@reports_errors
def list_command(unit_code: str | None, everything: bool) -> None:
    """Discrepancies of the units you see, oldest first, one JSON line each."""
    from custody.model import DiscrepancyStatus

    with services() as custody:
        listed = custody.discrepancies.list(
            acting_user(custody), unit_code, None if everything else DiscrepancyStatus.OPEN
        )
    for found in listed:
        emit(discrepancy_record(found))


@discrepancy.command("resolve")
@click.argument("discrepancy_id", type=int)
@click.option(
    "--resolution",
    type=click.Choice(["found_elsewhere", "record_corrected", "reported_lost"]),
    required=True,
    help="found_elsewhere; record_corrected (a `corrected` event fixed the record); reported_lost (报失).",
)
@click.option("--reason", required=True, help="Why (kept in the record and the ledger).")
@click.option(
    "--confirm-by",
    "confirm_by",
    required=True,
    metavar="AUDITOR",
    help="An auditor other than you, who confirms with their password.",
)
@reports_errors
def resolve_command(discrepancy_id: int, resolution: str, reason: str, confirm_by: str) -> None:
    """Resolve a discrepancy you own, before another auditor. Prints the discrepancy."""
    with services() as custody:
        actor = acting_user(custody)
        confirmer = second_person(custody, actor, confirm_by, "confirming auditor")
        resolved = custody.discrepancies.resolve(actor, discrepancy_id, resolution, reason, confirmer)
    emit(discrepancy_record(resolved))
