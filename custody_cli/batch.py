"""`custody batch …`: the province's destruction batches (销毁批次): build one from open applications,
add applications, approve it (a second provincial destruction officer, with their own password), show it.

Every act prints the batch as one JSON object; a refused act names each refused item with its reason,
and nothing of it is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, reports_errors, second_person, services

if TYPE_CHECKING:
    from custody.batches import Batch

METHODS = ("smelting", "cutting", "crushing", "shredding")


@click.group()
def batch() -> None:
    """Provincial destruction batches: built from applications, approved by a second officer."""


def batch_record(found: Batch) -> dict[str, Any]:
    return {
        "id": found.id,
        "status": found.status.value,
        "method": found.method.value,
        "place": found.place,
        "planned_date": found.planned_date,
        "created_by": found.created_by,
        "created_at": found.created_at,
        "approved_by": found.approved_by,
        "approved_at": found.approved_at,
        "applications": list(found.application_ids),
        "items": [
            {
                "evidence_no": i.evidence_no,
                "kind": i.kind.value,
                "state": i.state.value,
                "unit_code": i.unit_code,
                "application_id": i.application_id,
                "rounds": i.rounds,
            }
            for i in found.items
        ],
    }


@batch.command("create")
@click.argument("application_ids", nargs=-1, required=True, type=int, metavar="APPLICATION...")
@click.option("--method", required=True, type=click.Choice(METHODS), help="The planned method.")
@click.option("--place", required=True, help="Where the items are to be destroyed.")
@click.option("--date", "planned_date", required=True, metavar="YYYY-MM-DD", help="The planned date.")
@reports_errors
def create_command(application_ids: tuple[int, ...], method: str, place: str, planned_date: str) -> None:
    """Build a batch from open destruction applications (a provincial destruction officer)."""
    with services() as custody:
        made = custody.batches.create(
            acting_user(custody), method, place, planned_date, list(application_ids)
        )
    emit(batch_record(made))


@batch.command("add")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.argument("application_ids", nargs=-1, required=True, type=int, metavar="APPLICATION...")
@reports_errors
def add_command(batch_id: int, application_ids: tuple[int, ...]) -> None:
    """Add open destruction applications to a batch not yet approved."""
    with services() as custody:
        done = custody.batches.add(acting_user(custody), batch_id, list(application_ids))
    emit(batch_record(done))


@batch.command("approve")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.option(
    "--approver",
    required=True,
    metavar="USER",
    help="Another provincial destruction officer (their password).",
)
@reports_errors
def approve_command(batch_id: int, approver: str) -> None:
    """Approve a batch: its approver, never its builder, confirms with their own password."""
    with services() as custody:
        actor = acting_user(custody)
        confirming = second_person(custody, actor, approver, "approver")
        done = custody.batches.approve(actor, batch_id, confirming)
    emit(batch_record(done))


@batch.command("show")
@click.argument("batch_id", type=int, metavar="BATCH")
@reports_errors
def show_command(batch_id: int) -> None:
    """A batch with its applications and items."""
    with services() as custody:
        found = custody.batches.get(acting_user(custody), batch_id)
    emit(batch_record(found))
