"""`custody seal …`: seal accepted items before a witness, open, move and show seals.

Every act prints one JSON object. The witness proves who they are with their own password (asked for,
or the next line of standard input under the global ``--password-stdin``), after the acting user's.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, second_person, services

if TYPE_CHECKING:
    from collections.abc import Callable

    from custody.seal_reads import SealView
    from custody.storage_records import Seal
    from devices.rfid import TagHandle, TagReading


@click.group()
def seal() -> None:
    """Seals (封存): numbered, witnessed, optionally with a tamper-evident NFC seal tag."""


def seal_record(found: Seal) -> dict[str, Any]:
    from custody.clock import from_us

    return {
        "seal_no": found.seal_no,
        "status": found.status.value,
        "unit_code": found.unit_code,
        "location_code": found.location_code,
        "tag_uid": found.tag_uid,
        "sealed_at": from_us(found.sealed_at_us).isoformat(),
        "voided_at": None if found.voided_at_us is None else from_us(found.voided_at_us).isoformat(),
        "void_reason": found.void_reason,
    }


def view_record(view: SealView) -> dict[str, Any]:
    reading = view.last_reading
    return {
        **seal_record(view.seal),
        "location_name": view.location.name,
        "custodian": view.custodian,
        "witness": view.witness,
        "items": [
            {"evidence_no": i.evidence_no, "kind": i.kind.value, "state": i.state.value, "version": i.version}
            for i in view.items
        ],
        "last_reading": None
        if reading is None
        else {
            "tamper": reading.tamper,
            "opened_before": reading.opened_before,
            "broken": reading.broken,
            "seq": reading.seq,
            "recorded_at": reading.recorded_at,
            "station": reading.station,
        },
    }


@seal.command("create")
@click.argument("evidence_nos", nargs=-1, required=True, metavar="EVIDENCE_NO...")
@click.option("--location", "location_code", required=True, metavar="CODE", help="Where the seal lies.")
@click.option("--witness", required=True, metavar="USER", help="The witness (confirms with their password).")
@click.option(
    "--tag", is_flag=True, help="Write the seal number to the NTAG 213 TT on the reader and bind it."
)
@click.option(
    "--review-due",
    metavar="YYYY-MM-DD",
    help="The items' review date (default: a year after sealing).",
)
@click.option("--reader", metavar="NAME", help="With --tag: the reader whose name contains NAME.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="With --tag: seconds to wait.",
)
@reports_errors
def create_command(
    evidence_nos: tuple[str, ...],
    location_code: str,
    witness: str,
    tag: bool,
    review_due: str | None,
    reader: str | None,
    wait: float,
) -> None:
    """Seal accepted items you hold at a location of your store, before a witness who never took part
    in their custody. Prints the seal (its new number)."""
    with services() as custody:
        actor = acting_user(custody)
        witness_actor = second_person(custody, actor, witness, "witness")
        if not tag:
            made = custody.seals.create(
                actor, location_code, list(evidence_nos), witness_actor, review_due=review_due
            )
            emit(view_record(custody.seals.show(actor, made.seal_no)))
            return

        def record(uid: str) -> Seal:
            return custody.seals.create(
                actor, location_code, list(evidence_nos), witness_actor, uid, review_due
            )

        sealed, reading = _with_seal_tag(record, reader, wait)
        emit({**view_record(custody.seals.show(actor, sealed.seal_no)), "tag": reading.to_json()})


def _with_seal_tag(record: Callable[[str], Seal], reader: str | None, wait: float) -> tuple[Seal, TagReading]:
    """Take the tag on the reader: a tamper-evident tag whose loop is closed; record the seal bound to
    its UID (a refusal leaves the tag untouched); then write the seal number on it and read it back."""
    from devices.rfid import PcscContext, RfidError, open_tag, wait_for_tag

    made: Seal | None = None
    try:
        with PcscContext() as context:
            name = wait_for_tag(context, reader, wait)
            with open_tag(context, name) as handle:
                _require_seal_tag(handle)
                made = record(handle.uid.hex().upper())
                assert made is not None
                reading = handle.write_text(made.seal_no)
    except RfidError as error:
        emit({"event": "error", "kind": error.kind, "reader": error.reader, "message": error.message})
        if made is None:
            fail(f"nothing sealed: {error.message}")
        assert made is not None
        fail(
            f"seal {made.seal_no} is recorded, bound to tag {made.tag_uid}, but the tag was not written "
            f"({error.message}): put it back on the reader and run "
            f"`custody tag write {made.seal_no} --no-check`"
        )
    assert made is not None
    return made, reading


def _require_seal_tag(handle: TagHandle) -> None:
    if not handle.tag_type.tamper:
        fail(f"a seal tag is a tamper-evident tag (NTAG 213 TT); this one is a {handle.tag_type.name}")
    status = handle.read_tamper()
    if status is not None and (status.loop == "open" or status.opened_before):
        fail("this seal tag's tamper loop was found open: it cannot seal anything any more")


@seal.command("open")
@click.argument("seal_no")
@click.option("--reason", required=True, help="Why the seal is opened (kept in the record).")
@click.option("--witness", required=True, metavar="USER", help="The witness (confirms with their password).")
@reports_errors
def open_command(seal_no: str, reason: str, witness: str) -> None:
    """Open a seal before a witness: its items are back in the store unsealed, the seal is void."""
    with services() as custody:
        actor = acting_user(custody)
        witness_actor = second_person(custody, actor, witness, "witness")
        opened = custody.seals.open(actor, seal_no, reason, witness_actor)
    emit(seal_record(opened))


@seal.command("move")
@click.argument("seal_no")
@click.option("--to", "to_location", required=True, metavar="CODE", help="The new location.")
@reports_errors
def move_command(seal_no: str, to_location: str) -> None:
    """Move a seal to another location of its store (recorded on every item under it)."""
    with services() as custody:
        moved = custody.seals.move(acting_user(custody), seal_no, to_location)
    emit(seal_record(moved))


@seal.command("show")
@click.argument("seal_no")
@reports_errors
def show_command(seal_no: str) -> None:
    """A seal: its items, location, custodian, witness and the last read of its tag."""
    with services() as custody:
        view = custody.seals.show(acting_user(custody), seal_no)
    emit(view_record(view))
    sys.stdout.flush()
