"""`custody destruction …`: applications of a city's sealed store (or the province's own) to the
province for the destruction of sealed items (报请销毁): apply, withdraw, refuse, show.

Every act prints the application as one JSON object; a refused application names each refused item with
its reason, and nothing of it is recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, reports_errors, services

if TYPE_CHECKING:
    from custody.applications import Application


@click.group()
def destruction() -> None:
    """Destruction applications to the province: nominated items, withdrawn or refused back to sealed."""


def application_record(found: Application) -> dict[str, Any]:
    return {
        "id": found.id,
        "unit_code": found.unit_code,
        "applicant": found.applicant,
        "created_at": found.created_at,
        "status": found.status.value,
        "reason": found.reason,
        "decided_by": found.decided_by,
        "decided_at": found.decided_at,
        "decision_reason": found.decision_reason,
        "items": [
            {
                "evidence_no": i.evidence_no,
                "kind": i.kind.value,
                "state": i.state.value,
                "unit_code": i.unit_code,
                "seal_no": i.seal_no,
            }
            for i in found.items
        ],
    }


@destruction.command("apply")
@click.argument("evidence_nos", nargs=-1, required=True, metavar="EVIDENCE_NO...")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The applying unit (your own).")
@click.option("--reason", default="", help="Why the unit applies (optional).")
@reports_errors
def apply_command(evidence_nos: tuple[str, ...], unit_code: str, reason: str) -> None:
    """Apply for the destruction of sealed items of your unit's subtree. Prints the application."""
    with services() as custody:
        made = custody.applications.apply(acting_user(custody), unit_code, list(evidence_nos), reason)
    emit(application_record(made))


@destruction.command("withdraw")
@click.argument("application_id", type=int, metavar="APPLICATION")
@click.option("--reason", default="", help="Why it is withdrawn (optional).")
@reports_errors
def withdraw_command(application_id: int, reason: str) -> None:
    """Withdraw your open application: its items are sealed again."""
    with services() as custody:
        done = custody.applications.withdraw(acting_user(custody), application_id, reason)
    emit(application_record(done))


@destruction.command("refuse")
@click.argument("application_id", type=int, metavar="APPLICATION")
@click.option("--reason", required=True, help="Why the province refuses it (kept in the ledger).")
@reports_errors
def refuse_command(application_id: int, reason: str) -> None:
    """Refuse an open application (a provincial destruction officer): its items are sealed again."""
    with services() as custody:
        done = custody.applications.refuse(acting_user(custody), application_id, reason)
    emit(application_record(done))


@destruction.command("show")
@click.argument("application_id", type=int, metavar="APPLICATION")
@reports_errors
def show_command(application_id: int) -> None:
    """An application with its items and what became of it."""
    with services() as custody:
        found = custody.applications.get(acting_user(custody), application_id)
    emit(application_record(found))
