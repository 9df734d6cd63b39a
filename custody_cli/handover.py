"""`custody handover …`: offer a case's items to sealed storage (移交), accept or refuse an offer, read
handovers and write a handover's slip (移交清单)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import CASE_UNIT, acting_user, emit, reports_errors, services

if TYPE_CHECKING:
    from custody.storage_records import Handover


@click.group()
def handover() -> None:
    """Handovers to the same-level public-order department (移交治安部门): a clerk offers, the named
    custodian accepts or refuses."""


def _shown(found: Handover) -> dict[str, Any]:
    return {
        "id": found.id,
        "case_no": found.case_no,
        "unit_code": found.unit_code,
        "status": found.status.value,
        "offered_by": found.offered_by,
        "custodian": found.custodian,
        "offered_at": found.offered_at.isoformat(),
        "decided_at": None if found.decided_at is None else found.decided_at.isoformat(),
        "refusal_reason": found.refusal_reason,
        "evidence_nos": [item.evidence_no for item in found.items],
    }


@handover.command("offer")
@click.argument("case_no")
@click.argument("evidence_nos", nargs=-1, required=True, metavar="EVIDENCE_NO...")
@click.option("--to", "custodian", required=True, help="Username of the same-level public-order custodian.")
@CASE_UNIT
@reports_errors
def offer(case_no: str, evidence_nos: tuple[str, ...], custodian: str, case_unit: str | None) -> None:
    """Offer items of a closed or judged case to a custodian: every item becomes `offered`, or, when
    any of them may not be, none does and each refused item is named with its reason."""
    with services() as custody:
        offered = custody.handovers.offer(acting_user(custody), case_no, custodian, evidence_nos, case_unit)
    emit(_shown(offered))


@handover.command("accept")
@click.argument("handover_id", type=int)
@reports_errors
def accept(handover_id: int) -> None:
    """Accept an offer made to you: its items become `handed_over`, in your custody."""
    with services() as custody:
        accepted = custody.handovers.accept(acting_user(custody), handover_id)
    emit(_shown(accepted))


@handover.command("refuse")
@click.argument("handover_id", type=int)
@click.option("--reason", required=True)
@reports_errors
def refuse(handover_id: int, reason: str) -> None:
    """Refuse an offer made to you, with a reason: its items go back to `registered`."""
    with services() as custody:
        refused = custody.handovers.refuse(acting_user(custody), handover_id, reason)
    emit(_shown(refused))


@handover.command("show")
@click.argument("handover_id", type=int)
@reports_errors
def show(handover_id: int) -> None:
    """A handover, as the acting user may see it."""
    with services() as custody:
        found = custody.handovers.get(acting_user(custody), handover_id)
    emit(_shown(found))


@handover.command("list")
@click.option("--status", type=click.Choice(["offered", "accepted", "refused"]), default=None)
@reports_errors
def list_(status: str | None) -> None:
    """Handovers of the acting user's units, newest first, one JSON line each."""
    from custody.model import HandoverStatus

    wanted = None if status is None else HandoverStatus(status)
    with services() as custody:
        viewer = acting_user(custody)
        cursor: str | None = None
        while True:
            page = custody.handovers.list(viewer, wanted, cursor, 200)
            for found in page.rows:
                emit(_shown(found))
            if page.next_cursor is None:
                break
            cursor = page.next_cursor


@handover.command("slip")
@click.argument("handover_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="The rows as CSV.")
@reports_errors
def slip(handover_id: int, out: Path, csv_out: Path | None) -> None:
    """Write the handover's slip (移交清单) as PDF to FILE, and its rows as CSV."""
    from reports.slip import render_slip, slip_csv

    with services() as custody:
        data = custody.handovers.slip(acting_user(custody), handover_id)
    out.write_bytes(render_slip(data))
    if csv_out is not None:
        csv_out.write_bytes(slip_csv(data))
    emit(
        {
            "id": handover_id,
            "out": str(out),
            "csv": None if csv_out is None else str(csv_out),
            "items": len(data.items),
        }
    )
