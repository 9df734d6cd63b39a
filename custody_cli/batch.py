"""`custody batch …`: the province's destruction batches (销毁批次): build one from open applications,
add applications, approve it (a second provincial destruction officer, with their own password), show it.

Every act prints the batch as one JSON object; a refused act names each refused item with its reason,
and nothing of it is recorded.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, reports_errors, second_person, services

if TYPE_CHECKING:
    from custody.batch_site import Site
    from custody.batches import Batch
    from custody.site_reads import SiteRead

_READ_EVENTS = ("scan", "arrived")  # as `scanner listen` and `tag watch` print them

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
    """A batch with its applications, items, witnesses and site."""
    with services() as custody:
        actor = acting_user(custody)
        found = custody.batches.get(actor, batch_id)
        site = custody.batch_site.site(actor, batch_id)
    emit({**batch_record(found), "site": site_record(site)})


def site_record(site: Site) -> dict[str, Any]:
    return {
        "batch_id": site.batch_id,
        "status": site.status.value,
        "witnesses": [
            {"username": w.username, "full_name": w.full_name, "unit_code": w.unit_code, "at": w.confirmed_at}
            for w in site.witnesses
        ],
        "method": site.method,
        "place": site.place,
        "officer": site.officer,
        "opened_at": site.opened_at,
        "closed_at": site.closed_at,
        "closed_seq": site.closed_seq,
        "closed_hash": site.closed_hash,
        "station": site.station,
    }


@batch.command("witness")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.argument("username", metavar="USER")
@reports_errors
def witness_command(batch_id: int, username: str) -> None:
    """Record a witness of the batch's site: USER confirms with their own password."""
    with services() as custody:
        actor = acting_user(custody)
        person = second_person(custody, actor, username, "witness")
        site = custody.batch_site.witness(actor, batch_id, person)
    emit(site_record(site))


@batch.command("site")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.option("--method", required=True, type=click.Choice(METHODS), help="The method used at the site.")
@click.option("--place", required=True, help="Where the site is.")
@click.option("--rounds", type=int, default=None, help="Rounds counted of the next ammunition lot scanned.")
@click.option(
    "--station",
    default=None,
    metavar="NAME",
    help="A station whose scans are taken into the site (bound when the site opens).",
)
@reports_errors
def site_command(batch_id: int, method: str, place: str, rounds: int | None, station: str | None) -> None:
    """Open the site (two witnesses confirmed) and read scans as JSON lines on standard input (as
    `custody scanner listen` and `custody tag watch` print them; a `rounds` field gives the rounds
    counted of a lot). Prints one JSON line per read: destroyed, repeat, counted, or a finding (unknown,
    unexpected, rounds_differ, uncounted, refused), each kept in the site's reads."""
    from custody.batches import BatchStatus
    from custody.errors import CustodyError
    from custody.numbers import ItemKind

    with services() as custody:
        actor = acting_user(custody)
        if custody.batch_site.site(actor, batch_id).status is not BatchStatus.SITE:
            emit(site_record(custody.batch_site.open(actor, batch_id, method, place, station)))
        pending = rounds
        for number, line in enumerate(iter(sys.stdin.readline, ""), start=1):
            if not line.strip():
                continue
            read = _parse(line)
            if isinstance(read, str):
                emit({"line": number, "status": "refused", "kind": "unknown", "error": read})
                continue
            if read is None:
                continue
            code, counted, device = read
            try:
                outcome = custody.site_reads.scan(
                    actor, batch_id, code, counted if counted is not None else pending, device=device
                )
            except CustodyError as refused:  # this line is refused; the next ones are read
                emit({"line": number, "status": "refused", "key": refused.key, "error": str(refused)})
                continue
            if outcome.kind == ItemKind.AMMUNITION.value and counted is None:
                pending = None  # --rounds counted the lot just read
            emit(_outcome(outcome, number))
            sys.stdout.flush()


@batch.command("count")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.argument("evidence_no", metavar="LOT_NO")
@click.option("--rounds", required=True, type=int, help="The rounds counted at the site.")
@reports_errors
def count_command(batch_id: int, evidence_no: str, rounds: int) -> None:
    """Record the rounds of an ammunition lot counted at the open site: as recorded, the lot is destroyed
    when it is next scanned (by the officer or the site's station); different, a finding."""
    with services() as custody:
        outcome = custody.site_reads.count(acting_user(custody), batch_id, evidence_no, rounds)
    emit(_outcome(outcome, None))


@batch.command("reads")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.option("--findings", is_flag=True, help="Only the findings (what changed nothing, and why).")
@reports_errors
def reads_command(batch_id: int, findings: bool) -> None:
    """Every read kept at the batch's site, oldest first, one JSON line each."""
    with services() as custody:
        kept = custody.site_reads.reads(acting_user(custody), batch_id, findings)
    for each in kept:
        record = _outcome(each.read, None)
        record.update(at=each.at, officer=each.officer, station=each.station, device=each.device)
        emit(record)


def _outcome(outcome: SiteRead, line: int | None) -> dict[str, Any]:
    found: dict[str, Any] = {"status": outcome.status, "code": outcome.code}
    if line is not None:
        found["line"] = line
    if outcome.evidence_no is not None:
        found["evidence_no"] = outcome.evidence_no
    if outcome.counted is not None or outcome.recorded is not None:
        found.update(counted=outcome.counted, recorded=outcome.recorded)
    if outcome.key is not None or outcome.error is not None:
        found.update(key=outcome.key, error=outcome.error)
    return found


def _parse(line: str) -> tuple[str, int | None, str] | str | None:
    """The code (or tag UID), the rounds counted and the device a line carries; None for a status line;
    a string saying what is wrong with a line that is neither."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not a JSON line: {error.msg}"
    if not isinstance(record, dict):
        return "not a JSON object"
    event = record.get("event")
    if event is not None and event not in _READ_EVENTS:
        return None  # a status line of the scanner or reader
    code = record.get("code") if "code" in record else record.get("uid")
    if not isinstance(code, str) or not code:
        return "a read without a code or uid"
    counted = record.get("rounds")
    if counted is not None and (not isinstance(counted, int) or isinstance(counted, bool)):
        return "rounds is not a whole number"
    device = record.get("device") or record.get("reader") or ""
    return code, counted, device if isinstance(device, str) else ""


@batch.command("withdraw")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.argument("evidence_no", metavar="EVIDENCE_NO")
@click.option("--reason", required=True, help="Why the item is not destroyed (kept in the ledger).")
@reports_errors
def withdraw_command(batch_id: int, evidence_no: str, reason: str) -> None:
    """Withdraw an approved item not destroyed from the batch: it is sealed again."""
    with services() as custody:
        site = custody.batch_site.withdraw(acting_user(custody), batch_id, evidence_no, reason)
    emit(site_record(site))


@batch.command("close")
@click.argument("batch_id", type=int, metavar="BATCH")
@reports_errors
def close_command(batch_id: int) -> None:
    """Close the batch once every approved item is destroyed or withdrawn (records the ledger's head)."""
    with services() as custody:
        site = custody.batch_site.close(acting_user(custody), batch_id)
    emit(site_record(site))


@batch.command("photo")
@click.argument("batch_id", type=int, metavar="BATCH")
@click.argument("evidence_no", metavar="EVIDENCE_NO")
@click.argument("path", type=click.Path(exists=True, dir_okay=False), metavar="FILE")
@click.option("--before", "stage", flag_value="before", help="A photo before destruction.")
@click.option("--after", "stage", flag_value="after", help="A photo after destruction.")
@reports_errors
def photo_command(batch_id: int, evidence_no: str, path: str, stage: str | None) -> None:
    """Keep a photo (JPEG or PNG, at most 10 MB) of an item before or after its destruction, its serial
    visible. Prints the photo's SHA-256, recorded in the item's ledger."""
    from custody.batch_photos import MAX_PHOTO_BYTES

    if stage is None:
        raise click.UsageError("say --before or --after")
    with open(path, "rb") as given:
        content = given.read(MAX_PHOTO_BYTES + 1)  # one byte more than is kept tells it is too large
    with services() as custody:
        kept = custody.batch_photos.add(acting_user(custody), batch_id, evidence_no, stage, content)
    emit(
        {
            "batch_id": kept.batch_id,
            "evidence_no": kept.evidence_no,
            "stage": kept.stage,
            "sha256": kept.sha256,
            "media_type": kept.media_type,
            "size": kept.size,
        }
    )
