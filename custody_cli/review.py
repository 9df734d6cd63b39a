"""`custody review …`: the disposition queue (处置队列) of sealed stores, and holds of a sealed item's
review (with a reason and a new review date)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, reports_errors, services

if TYPE_CHECKING:
    from custody.reviews import ReviewEntry


@click.group()
def review() -> None:
    """Review dates of sealed items: what is due, overdue, held or nominated for destruction."""


def entry_record(entry: ReviewEntry) -> dict[str, Any]:
    return {
        "evidence_no": entry.evidence_no,
        "kind": entry.kind.value,
        "unit_code": entry.unit_code,
        "case_no": entry.case_no,
        "state": entry.state.value,
        "seal_no": entry.seal_no,
        "location_code": entry.location_code,
        "review_due": entry.review_due,
        "standing": entry.standing.value,
        "held_reason": entry.held_reason,
        "application_id": entry.application_id,
    }


@review.command("list")
@click.option(
    "--unit", "unit_code", metavar="CODE", help="This unit and those below it (default: all you see)."
)
@click.option(
    "--within",
    "within_days",
    type=int,
    default=30,
    show_default=True,
    help="Days ahead counted as due.",
)
@reports_errors
def list_command(unit_code: str | None, within_days: int) -> None:
    """The disposition queue: overdue, then due, held and nominated items, one JSON line each."""
    with services() as custody:
        entries = custody.reviews.queue(acting_user(custody), unit_code, within_days)
    for entry in entries:
        emit(entry_record(entry))


@review.command("hold")
@click.argument("evidence_no")
@click.option("--reason", required=True, help="Why the review waits (kept in the ledger).")
@click.option("--until", "until", required=True, metavar="YYYY-MM-DD", help="The new review date.")
@reports_errors
def hold_command(evidence_no: str, reason: str, until: str) -> None:
    """Hold a sealed item's review until a later date, for a reason. Prints the item's review date."""
    with services() as custody:
        item = custody.reviews.hold(acting_user(custody), evidence_no, reason, until)
    emit({"evidence_no": item.evidence_no, "state": item.state.value, "review_due": item.review_due})
