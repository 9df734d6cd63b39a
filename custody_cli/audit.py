"""`custody audit …`: audits of the sealed store (检查) by an independent auditor: open, read, submit,
close, show and the report.

Every command prints JSON. ``audit read`` takes the reads from standard input as ``custody scanner
listen`` and ``custody tag watch`` print them, one JSON object a line (a scan: ``{"event": "scan",
"code": …}``; a tag: ``{"event": "arrived", "uid": …, "text": …, "tamper": {"loop": …, "opened_before":
…}}``), skips the lines that are no read (connections, removals, device errors), and answers one JSON
line per read; or one code typed by hand with ``--code`` and ``--reason``.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from custody_cli.context import acting_user, emit, fail, reports_errors, services

if TYPE_CHECKING:
    from custody.actors import Actor
    from custody.audit_records import Audit, ReadIn, ReadOutcome, SubmittedRound
    from custody.audit_report import CategoryDraw
    from custody.services import Custody

BATCH = 50  # reads per call to the core, as the station's batches
_QUIET = 0.1  # seconds without input after which the reads taken so far are committed
_STATUS_EVENTS = frozenset(
    {"connected", "disconnected", "reconnected", "error", "removed", "reader_added", "reader_removed"}
)
_READ_EVENTS = frozenset({"scan", "arrived"})


@click.group()
def audit() -> None:
    """Audits of a unit's sealed store (检查): sized samples or everything, blind or not, in rounds."""


def audit_record(found: Audit, draws: tuple[CategoryDraw, ...] = ()) -> dict[str, Any]:
    from custody.clock import from_us

    return {
        "id": found.id,
        "unit_code": found.unit_code,
        "locations": list(found.locations),
        "mode": found.mode.value,
        "blind": found.blind,
        "seed": found.seed,
        "station": found.station_name,
        "status": found.status.value,
        "round": found.round,
        "submitted_round": found.submitted_round,
        "opened_by": found.opened_by,
        "opened_at": from_us(found.opened_at_us).isoformat(),
        "closed_at": None if found.closed_at_us is None else from_us(found.closed_at_us).isoformat(),
        "closed_seq": found.closed_seq,
        "closed_hash": found.closed_hash,
        "drawn": {
            d.category.value: {
                "population": d.population,
                "first_round": d.first_round,
                "rounds": list(d.rounds),
                "drawn": d.drawn,
                **({} if found.hidden else {"items": list(d.drawn_items)}),
            }
            for d in draws
        },
    }


def _draw_of(custody: Custody, viewer: Actor, audit_id: int) -> dict[str, Any]:
    from custody.audit_report import AuditReports

    found, draws = AuditReports(custody.audits).draw(viewer, audit_id)
    return audit_record(found, draws)


@audit.command("open")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="The unit whose store is audited.")
@click.option(
    "--location",
    "locations",
    multiple=True,
    metavar="CODE",
    help="A location audited with everything below it (repeatable; none: the whole store).",
)
@click.option("--mode", type=click.Choice(["full", "sample"]), required=True)
@click.option("--blind", is_flag=True, help="Hide what the records expect until each round is submitted.")
@click.option("--seed", help="The draw's seed (default: a random one, recorded).")
@click.option("--station", metavar="NAME", help="A station of the unit whose reads go to this audit.")
@click.option(
    "--period-days",
    type=int,
    default=365,
    show_default=True,
    help="How far back the auditor must have had no part in the audited items' custody.",
)
@reports_errors
def open_command(
    unit_code: str,
    locations: tuple[str, ...],
    mode: str,
    blind: bool,
    seed: str | None,
    station: str | None,
    period_days: int,
) -> None:
    """Open an audit and draw its first round. Prints the audit with the counts drawn per category (and,
    unless blind, the evidence numbers drawn)."""
    from custody.model import AuditMode

    with services() as custody:
        actor = acting_user(custody)
        opened = custody.audits.open(
            actor, unit_code, locations, AuditMode(mode), blind, seed, station, period_days
        )
        emit(_draw_of(custody, actor, opened.id))


@audit.command("read")
@click.argument("audit_id", type=int)
@click.option("--code", help="A code typed by hand (needs --reason) instead of reads on standard input.")
@click.option("--reason", help="Why the code is typed by hand.")
@click.option("--location", "location_code", metavar="CODE", help="Where the reads are taken.")
@reports_errors
def read_command(audit_id: int, code: str | None, reason: str | None, location_code: str | None) -> None:
    """Take reads into the audit's open round: JSON lines on standard input (as `custody scanner listen`
    and `custody tag watch` print them), committed in batches of at most 50; or one code typed by hand.
    Prints one JSON line per read: recorded, repeat or refused."""
    from custody.audit_records import ReadIn

    if reason is not None and code is None:
        raise click.UsageError("--reason goes with --code (a code typed by hand)")
    with services() as custody:
        actor = acting_user(custody)
        if code is not None:
            if not reason:
                raise click.UsageError("a code typed by hand needs --reason")
            manual = ReadIn(code=code, reason=reason, location_code=location_code, source="manual")
            for outcome in custody.audit_reads.read(actor, audit_id, [manual]):
                emit(_outcome(outcome, None))
            return
        where = location_code
        batch: list[tuple[int, ReadIn | str]] = []  # a line's read, or what is wrong with it

        def flush() -> None:
            nonlocal where
            reads = [read for _n, read in batch if not isinstance(read, str)]
            if where is not None and reads and reads[0].location_code is None:
                # a location read in an earlier batch still says where these are
                reads[0] = _located(reads[0], where)
            taken = iter(custody.audit_reads.read(actor, audit_id, reads) if reads else ())
            for number, read in batch:
                if isinstance(read, str):
                    emit({"line": number, "status": "refused", "kind": "unknown", "error": read})
                    continue
                outcome = next(taken)
                if outcome.kind == "location" and outcome.status != "refused":
                    where = outcome.code
                elif outcome.status != "refused" and read.location_code is not None:
                    where = read.location_code
                emit(_outcome(outcome, number))
            sys.stdout.flush()
            batch.clear()

        try:
            for got in _lines():
                if got is not None and got[1].strip():
                    parsed = _parse(got[1])
                    if parsed is not None:
                        batch.append((got[0], parsed))
                if got is None or len(batch) >= BATCH:
                    flush()
        except KeyboardInterrupt:
            pass  # the reads taken so far still count
        flush()


def _located(read: ReadIn, where: str) -> ReadIn:
    from dataclasses import replace

    return replace(read, location_code=where)


_LONGEST_LINE = 64 * 1024  # characters of one input line


def _lines() -> Iterator[tuple[int, str] | None]:
    """Lines of standard input, numbered from 1, as they come; None each time the input has been quiet
    for a moment (a pipe from a scanner or a reader is quiet between reads: the reads so far are then
    committed rather than when 50 have come). A thread reads the lines, so that lines already buffered
    come at once."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        # a line longer than any read is cut, and each piece is answered as malformed: never held whole
        for line in iter(lambda: sys.stdin.readline(_LONGEST_LINE), ""):
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="stdin", daemon=True).start()
    number = 0
    while True:
        try:
            line = lines.get(timeout=_QUIET)
        except queue.Empty:
            yield None
            continue
        if line is None:
            return
        number += 1
        yield number, line


def _parse(line: str) -> ReadIn | str | None:
    """The read a line of `scanner listen` or `tag watch` carries; None for a status event; a string
    saying what is wrong with a line that is neither."""
    from custody.audit_records import ReadIn

    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"not a JSON line: {error.msg}"
    if not isinstance(record, dict):
        return "not a JSON object"
    event = record.get("event")
    if event in _STATUS_EVENTS:
        return None
    if event is not None and event not in _READ_EVENTS:
        return f"unknown event {str(event)[:40]!r}"
    where = record.get("location")
    if where is not None and not isinstance(where, str):
        return "location is not a string"
    if event == "scan" or (event is None and "code" in record):
        code = record.get("code")
        if not isinstance(code, str) or not code:
            return "a scan without a code"
        return ReadIn(code=code, location_code=where, source="scan")
    uid = record.get("uid")
    if not isinstance(uid, str) or not uid:
        return "a tag read without a uid"
    text = record.get("text")
    if text is not None and not isinstance(text, str):
        return "a tag's text is not a string"
    tamper = record.get("tamper")
    loop: object = tamper
    opened_before: object = None
    if isinstance(tamper, dict):
        loop, opened_before = tamper.get("loop"), tamper.get("opened_before")
    if loop is not None and not isinstance(loop, str):
        return "a tag's tamper status is not a string"
    if opened_before is not None and not isinstance(opened_before, bool):
        return "a tag's opened_before is not true or false"
    return ReadIn(
        uid=uid, text=text, tamper=loop, opened_before=opened_before, location_code=where, source="tag"
    )


def _outcome(outcome: ReadOutcome, line: int | None) -> dict[str, Any]:
    shown: dict[str, Any] = {} if line is None else {"line": line}
    shown.update(
        status=outcome.status,
        kind=outcome.kind,
        code=outcome.code,
        known=outcome.known,
        names=list(outcome.names),
        tamper=outcome.tamper,
    )
    if outcome.refused is not None:
        shown["error"] = str(outcome.refused)
    return shown


@audit.command("submit")
@click.argument("audit_id", type=int)
@reports_errors
def submit_command(audit_id: int) -> None:
    """End the current round: prints the discrepancies it found per category and what the escalation
    drew for the next round (none: the audit is ready to close)."""
    with services() as custody:
        actor = acting_user(custody)
        submitted = custody.audits.submit(actor, audit_id)
        emit({**_draw_of(custody, actor, audit_id), **_submitted(submitted)})


def _submitted(submitted: SubmittedRound) -> dict[str, Any]:
    return {
        "submitted": submitted.round,
        "discrepancies": {c.value: n for c, n in submitted.discrepancies.items()},
        "added": {c.value: n for c, n in submitted.added.items() if n},
        "escalated": submitted.escalated,
        "ready_to_close": not submitted.escalated,
    }


@audit.command("close")
@click.argument("audit_id", type=int)
@reports_errors
def close_command(audit_id: int) -> None:
    """Close the audit after its last round: prints the counts per finding, the discrepancies opened and
    the ledger head it closed at."""
    with services() as custody:
        actor = acting_user(custody)
        closed, outcome = custody.audits.close(actor, audit_id)
        listed = custody.discrepancies.list(actor, closed.unit_code, None)
        drawn = _draw_of(custody, actor, audit_id)
    emit(
        {
            **drawn,
            "findings": {f.value: n for f, n in outcome.counts().items()},
            "discrepancies": [
                {"id": d.id, "finding": d.finding.value, "code": d.code, "owner": d.owner}
                for d in listed
                if d.audit_id == closed.id
            ],
            "head": None if closed.closed_seq is None else f"{closed.closed_seq}:{closed.closed_hash}",
        }
    )


@audit.command("show")
@click.argument("audit_id", type=int)
@reports_errors
def show_command(audit_id: int) -> None:
    """An audit: where it stands and what it drew (the items only once its auditor may see them)."""
    with services() as custody:
        emit(_draw_of(custody, acting_user(custody), audit_id))


@audit.command("report")
@click.argument("audit_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path), help="The rows as CSV.")
@reports_errors
def report_command(audit_id: int, out: Path, csv_out: Path | None) -> None:
    """Write the report of a closed audit (检查报告) as PDF to FILE, and its rows as CSV."""
    from custody.audit_report import AuditReports
    from reports.audit import audit_csv, render_audit
    from reports.errors import ReportError

    with services() as custody:
        data = AuditReports(custody.audits).report(acting_user(custody), audit_id)
    try:
        pdf = render_audit(data)
        rows = audit_csv(data) if csv_out is not None else None
    except ReportError as refused:
        fail(f"no report written: {refused}")
        return
    out.write_bytes(pdf)
    if csv_out is not None and rows is not None:
        csv_out.write_text(rows, encoding="utf-8-sig")  # the BOM tells spreadsheets it is UTF-8
    emit(
        {
            "id": audit_id,
            "out": str(out),
            "csv": None if csv_out is None else str(csv_out),
            "discrepancies": len(data.discrepancies),
            "head": f"{data.closed_seq}:{data.closed_hash}",
        }
    )
